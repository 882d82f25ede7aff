import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../../../src/terminal/cli';
import { EXIT_CODES } from '../../../src/terminal/protocol';
import { newChannel } from '../../../src/terminal/server';
import { hasControls, oneLine } from '../../../src/terminal/text';
import { makeTempDir, removeTempDir } from '../../support/tempDirs.mjs';

// The command trusts only its own window: it checks whose channel it is talking to before it sends
// the secret, and prints nothing that could steer the terminal.

/** A socket server that records what it receives and answers every request with `answer`. */
async function fakeWindow(path: string, answer: unknown): Promise<{ server: Server; received: string[] }> {
  const received: string[] = [];
  const server = createServer((socket) => {
    socket.on('data', (chunk) => {
      received.push(chunk.toString('utf8'));
      socket.end(`${JSON.stringify(answer)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
  return { server, received };
}

function io(env: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      env,
      cwd: () => '/work',
      readStdin: async () => '',
      stdout: (t: string) => void (out.stdout += t),
      stderr: (t: string) => void (out.stderr += t),
    },
  };
}

const SECRET = 'the-window-secret';
// OSC 52 (set the clipboard), a CSI colour, a C1 CSI, a bell and a right-to-left override.
const HOSTILE = 'boom\u001b]52;c;ZXZpbA==\u0007 \u001b[31mred\u001b[0m \u009b2J\u202eevil\u0007';

describe('the session-keeper command and the channel it talks to', () => {
  let dir: string;
  let servers: Server[];
  beforeEach(function () {
    if (process.platform === 'win32') return this.skip(); // named pipes have no POSIX owner or mode
    dir = makeTempDir('sk-trust-');
    servers = [];
  });
  afterEach(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    if (dir) removeTempDir(dir);
  });

  async function listen(path: string, answer: unknown) {
    const w = await fakeWindow(path, answer);
    servers.push(w.server);
    chmodSync(path, 0o600); // as the real server leaves it
    return w;
  }

  const served = { ok: true, token: 'a-token', account: 'alice' };

  it("talks to a channel in this user's 0700 folder", async () => {
    const channel = newChannel(process.platform, dir);
    const w = await listen(channel.path, served);
    const cli = io({ SESSION_KEEPER_IPC: channel.path, SESSION_KEEPER_SECRET: SECRET });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.ok, cli.out.stderr);
    assert.equal(cli.out.stdout, 'a-token\n');
    assert.equal(w.received.length, 1);
  });

  it('sends no secret to a socket in a folder others can open, as a planted one at a removed /tmp/sk-* path would be', async () => {
    const planted = join(dir, 'sk-planted');
    mkdirSync(planted, { mode: 0o755 });
    chmodSync(planted, 0o755);
    const w = await listen(join(planted, 'ipc.sock'), served);
    const cli = io({ SESSION_KEEPER_IPC: join(planted, 'ipc.sock'), SESSION_KEEPER_SECRET: SECRET });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.unreachable);
    assert.match(cli.out.stderr, /not sending this terminal's secret: the folder of .* is open to other users/);
    assert.equal(cli.out.stdout, '');
    assert.deepEqual(w.received, [], 'nothing reached the socket');
  });

  it('sends no secret through a symbolic link, even one to a private folder', async () => {
    const channel = newChannel(process.platform, dir);
    const w = await listen(channel.path, served);
    const link = join(dir, 'sk-link');
    symlinkSync(channel.dir!, link);
    const cli = io({ SESSION_KEEPER_IPC: join(link, 'ipc.sock'), SESSION_KEEPER_SECRET: SECRET });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.unreachable);
    assert.match(cli.out.stderr, /is a symbolic link/);
    assert.deepEqual(w.received, []);
  });

  it('sends no secret to a socket other users may open', async () => {
    const channel = newChannel(process.platform, dir);
    const w = await listen(channel.path, served);
    chmodSync(channel.path, 0o666);
    const cli = io({ SESSION_KEEPER_IPC: channel.path, SESSION_KEEPER_SECRET: SECRET });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.unreachable);
    assert.match(cli.out.stderr, /ipc\.sock is open to other users/);
    assert.deepEqual(w.received, []);
  });

  it("sends no secret to another user's channel (needs root to make one)", async function () {
    if (process.getuid?.() !== 0) return this.skip(); // only root can hand a folder to another user
    const channel = newChannel(process.platform, dir);
    const w = await listen(channel.path, served);
    chownSync(channel.dir!, 65534, 65534);
    const cli = io({ SESSION_KEEPER_IPC: channel.path, SESSION_KEEPER_SECRET: SECRET });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.unreachable);
    assert.match(cli.out.stderr, /belongs to another user/);
    assert.deepEqual(w.received, []);
  });

  it('prints no escape sequence or control character of an answer it does not trust to the terminal', async () => {
    const channel = newChannel(process.platform, dir);
    await listen(channel.path, { ok: false, code: 'offline', message: HOSTILE });
    const cli = io({ SESSION_KEEPER_IPC: channel.path, SESSION_KEEPER_SECRET: SECRET });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.offline);
    assert.equal(cli.out.stderr, 'session-keeper: boom red 2J evil\n');
  });

  for (const [what, answer] of [
    ['a token', { ok: true, token: `tok\u001b]52;c;ZXZpbA==\u0007en`, account: 'alice' }],
    ['a token with a line break', { ok: true, token: 'tok\nen', account: 'alice' }],
    ['an account name', { ok: true, token: 'a-token', account: 'ali\u202ece' }],
  ] as const) {
    it(`refuses a credential with control characters in ${what}, printing nothing of it`, async () => {
      const channel = newChannel(process.platform, dir);
      await listen(channel.path, answer);
      for (const format of ['bare', 'json', 'git']) {
        const cli = io({ SESSION_KEEPER_IPC: channel.path, SESSION_KEEPER_SECRET: SECRET });
        assert.equal(await runCli(['-p', 'acme', '-f', format], cli.io), EXIT_CODES.failed, format);
        assert.equal(cli.out.stdout, '', format);
        assert.match(cli.out.stderr, /control characters/);
      }
    });
  }
});

describe('plain text for the terminal', () => {
  it('removes whole escape sequences and turns other controls into spaces', () => {
    assert.equal(oneLine(HOSTILE), 'boom red 2J evil');
    assert.equal(oneLine('a\tb\r\nc\u2028d\u200fe\u0000'), 'a b c d e');
    assert.equal(oneLine('\u001bP1$r0m\u001b\\ok'), 'ok', 'a DCS string');
    assert.equal(oneLine('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
  });

  it('keeps ordinary text of any script', () => {
    for (const s of ['alice@example.com', 'Zoë Ångström', 'محمد', '山田太郎', 'C:\\Users\\me', "it's 50% done (ok)"]) {
      assert.equal(oneLine(s), s);
      assert.equal(hasControls(s), false, s);
    }
    assert.equal(hasControls('a\u001bb'), true);
    assert.equal(hasControls('a\u0085b'), true, 'C1 next line');
    assert.equal(hasControls('a\u2066b'), true, 'bidi isolate');
  });
});
