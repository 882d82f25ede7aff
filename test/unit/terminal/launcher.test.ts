import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { posixLauncher, shellQuote, terminalsReachHere, windowsLauncher, writeLauncher } from '../../../src/terminal/launcher';
import { makeTempDir, removeTempDir } from '../../support/tempDirs.mjs';

describe('terminal launcher', () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir('sk-launcher-')));
  afterEach(() => removeTempDir(dir));

  it('runs the command on the given runtime with ELECTRON_RUN_AS_NODE=1 and passes every argument through', function () {
    if (process.platform === 'win32') return this.skip(); // the .cmd launcher is checked as text below
    // A folder name with a quote and a space, as a user's home can have.
    const storage = join(dir, "it's storage");
    const cli = join(dir, 'cli.js');
    writeFileSync(cli, 'console.log(JSON.stringify({ env: process.env.ELECTRON_RUN_AS_NODE, args: process.argv.slice(2) }))');
    const bin = writeLauncher(storage, process.execPath, cli, 'linux');
    assert.equal(statSync(join(bin, 'session-keeper')).mode & 0o777, 0o700);
    const run = spawnSync(join(bin, 'session-keeper'), ['--provider', 'acme', "a b'c", '$HOME'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { env: '1', args: ['--provider', 'acme', "a b'c", '$HOME'] });
  });

  it('quotes paths for sh, and writes a .cmd for Windows that keeps the variable to itself', () => {
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
    assert.match(
      posixLauncher('/opt/code/code', '/x/cli.js'),
      /^#!\/bin\/sh\n[^]*ELECTRON_RUN_AS_NODE=1 exec '\/opt\/code\/code' '\/x\/cli.js' "\$@"\n$/,
    );
    const cmd = windowsLauncher('C:\\Code\\Code.exe', 'C:\\ext\\dist\\cli.js');
    assert.match(cmd, /^@echo off\r\nsetlocal\r\nset ELECTRON_RUN_AS_NODE=1\r\n"C:\\Code\\Code.exe" "C:\\ext\\dist\\cli.js" %\*\r\n/);
    const bin = writeLauncher(dir, 'C:\\Code\\Code.exe', 'C:\\cli.js', 'win32');
    assert.ok(statSync(join(bin, 'session-keeper.cmd')).isFile());
  });

  describe("its folder, first on every terminal's PATH", () => {
    const posixOnly = function (this: Mocha.Context) {
      if (process.platform === 'win32') this.skip(); // no POSIX owners or modes
    };
    beforeEach(posixOnly);

    it('is created 0700 whatever the umask, and so is the launcher in it', () => {
      const before = process.umask(0);
      try {
        const bin = writeLauncher(join(dir, 'storage'), process.execPath, join(dir, 'cli.js'), 'linux');
        assert.equal(lstatSync(bin).mode & 0o777, 0o700);
        assert.equal(lstatSync(join(bin, 'session-keeper')).mode & 0o777, 0o700);
      } finally {
        process.umask(before);
      }
    });

    it('is tightened to 0700 when an earlier version left it open to others', () => {
      const storage = join(dir, 'storage');
      mkdirSync(join(storage, 'bin'), { recursive: true });
      chmodSync(join(storage, 'bin'), 0o777);
      const bin = writeLauncher(storage, process.execPath, join(dir, 'cli.js'), 'linux');
      assert.equal(lstatSync(bin).mode & 0o777, 0o700);
    });

    it('is refused when it is a symbolic link, even to a private folder of ours', () => {
      const storage = join(dir, 'storage');
      const elsewhere = join(dir, 'elsewhere');
      mkdirSync(elsewhere, { mode: 0o700 });
      mkdirSync(storage);
      symlinkSync(elsewhere, join(storage, 'bin'));
      assert.throws(() => writeLauncher(storage, process.execPath, join(dir, 'cli.js'), 'linux'), /symbolic link/);
    });

    it('is refused when another user owns it (needs root to make one)', function () {
      if (process.getuid?.() !== 0) return this.skip(); // only root can give a folder away
      const storage = join(dir, 'storage');
      mkdirSync(join(storage, 'bin'), { recursive: true, mode: 0o700 });
      chownSync(join(storage, 'bin'), 65534, 65534);
      assert.throws(() => writeLauncher(storage, process.execPath, join(dir, 'cli.js'), 'linux'), /belongs to another user/);
    });
  });

  it("is put on PATH only where the window's terminals run on this extension host's machine", () => {
    assert.equal(terminalsReachHere(undefined, true), true, 'a local window: terminals and extension on this computer');
    assert.equal(terminalsReachHere(undefined, false), true);
    assert.equal(
      terminalsReachHere('ssh-remote+build', false),
      true,
      'a remote window, the extension on the remote side with the terminals',
    );
    assert.equal(
      terminalsReachHere('ssh-remote+build', true),
      false,
      'a remote window, the extension on this computer, the terminals remote',
    );
  });
});
