import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { posixLauncher, shellQuote, windowsLauncher, writeLauncher } from '../../../src/terminal/launcher';
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
    assert.equal(statSync(join(bin, 'session-keeper')).mode & 0o777, 0o755);
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
});
