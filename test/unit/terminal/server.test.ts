import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, SessionKeeperError } from '../../../src/session/base/errors';
import { createLogger, silentLogger, type Logger } from '../../../src/session/base/log';
import type { AuthSession } from '../../../src/session/provider';
import { ask, runCli } from '../../../src/terminal/cli';
import { TerminalAccess } from '../../../src/terminal/consent';
import {
  EXIT_CODES,
  HANDLE_TIMEOUT_MS,
  MAX_REQUEST_BYTES,
  RESPONSE_TIMEOUT_MS,
  type TerminalRequest,
  type TerminalResponse,
} from '../../../src/terminal/protocol';
import { TerminalServer, createTokenHandler, newChannel, newSecret, type AccountRef, type TokenSource } from '../../../src/terminal/server';
import { makeTempDir, removeTempDir } from '../../support/tempDirs.mjs';
import { CapturingSink, MemoryMemento } from '../../support/fakes';

const posix = process.platform !== 'win32';
const TOKEN = 'header.payload.signature-of-alice';

function session(account: AccountRef, token = TOKEN): AuthSession {
  return { id: `s-${account.id}`, accessToken: token, account: { id: account.id, label: account.label }, scopes: ['openid', 'api'] };
}

interface Fixture {
  readonly source: TokenSource & { accountList: AccountRef[]; failWith?: Error; calls: number; renewal?: Promise<void> };
  readonly access: TerminalAccess;
  readonly asked: { provider: string; account: string; answer: (allow: boolean | undefined) => void }[];
  readonly handle: (r: TerminalRequest) => Promise<TerminalResponse>;
}

function fixture(logger: Logger = silentLogger): Fixture {
  const source = {
    accountList: [{ id: 'alice-sub', label: 'alice', active: true }] as AccountRef[],
    failWith: undefined as Error | undefined,
    /** While set, getSessions waits for it, as an inline renewal waits for the issuer. */
    renewal: undefined as Promise<void> | undefined,
    calls: 0,
    providerLabel: (id: string) => (id === 'acme' ? 'Acme SSO' : undefined),
    accounts(this: void) {
      return source.accountList;
    },
    async getSessions(_id: string, scopes: readonly string[], account: { id: string }) {
      source.calls += 1;
      await source.renewal;
      if (source.failWith) throw source.failWith;
      if (scopes.includes('admin')) return [];
      return source.accountList.filter((a) => a.id === account.id).map((a) => session(a));
    },
    expiresAt: () => Date.UTC(2026, 0, 1),
  };
  const access = new TerminalAccess(new MemoryMemento(), 'sessionKeeper.terminalAccess');
  const asked: Fixture['asked'] = [];
  const handle = createTokenHandler({
    source,
    access,
    logger,
    now: () => 1000,
    ask: (provider, account, answer) => asked.push({ provider, account, answer }),
  });
  return { source, access, asked, handle };
}

const request = (over: Partial<TerminalRequest> = {}): TerminalRequest => ({
  v: 1,
  secret: 'x',
  provider: 'acme',
  scopes: [],
  format: 'header',
  tool: 'curl',
  ...over,
});

describe('terminal token handler', () => {
  it('asks once and refuses at once while the answer is pending; serves after Allow', async () => {
    const f = fixture();
    const first = await f.handle(request());
    assert.deepEqual(first, {
      ok: false,
      code: 'consentRequired',
      message: 'Allow terminal access for alice at Acme SSO in VS Code, then run the command again.',
    });
    assert.equal((await f.handle(request())).ok, false);
    assert.equal(f.asked.length, 1, 'a second request does not ask again');
    assert.equal(f.source.calls, 0, 'no token is fetched before the user allowed it');
    f.asked[0].answer(true);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await f.handle(request()), { ok: true, token: TOKEN, account: 'alice', expiresAt: Date.UTC(2026, 0, 1) });
    assert.equal(f.access.get('acme', 'alice-sub')?.uses[0].outcome, 'served');
  });

  it('after Deny, refuses with a message saying where to allow it; a dismissed question is asked again', async () => {
    const f = fixture();
    await f.handle(request());
    f.asked[0].answer(undefined);
    await f.handle(request());
    assert.equal(f.asked.length, 2, 'dismissed: asked again');
    f.asked[1].answer(false);
    await new Promise((r) => setImmediate(r));
    const denied = await f.handle(request());
    assert.ok(!denied.ok && denied.code === 'denied' && /was denied/.test(denied.message));
    assert.equal(f.asked.length, 2);
  });

  it('tells not signed in, unknown provider, missing scopes and offline apart', async () => {
    const f = fixture();
    await f.access.decide('acme', 'alice-sub', 'allowed', 1);
    const code = async (r: TerminalRequest) => {
      const out = await f.handle(r);
      return out.ok ? 'ok' : out.code;
    };
    assert.equal(await code(request({ provider: 'other' })), 'unknownProvider');
    assert.equal(await code(request({ account: 'bob' })), 'notSignedIn');
    assert.equal(await code(request({ scopes: ['admin'] })), 'notSignedIn');
    assert.equal(await code(request({ account: 'alice' })), 'ok', 'an account by label');
    assert.equal(await code(request({ account: 'alice-sub' })), 'ok', 'an account by id');
    f.source.failWith = new SessionKeeperError(ErrorCode.Offline, 'Acme SSO: cannot be renewed right now');
    assert.equal(await code(request()), 'offline');
    f.source.failWith = new Error('boom');
    assert.equal(await code(request()), 'failed');
    f.source.accountList = [];
    const none = await f.handle(request());
    assert.ok(!none.ok && none.code === 'notSignedIn' && /No account is signed in to Acme SSO/.test(none.message));
  });

  it('remembers decisions per account (ids only) and the tools that asked, and forgets the decision on revoke', async () => {
    const memento = new MemoryMemento();
    const access = new TerminalAccess(memento, 'k');
    await access.recordUse('acme', 'alice-sub', { tool: 'kubectl', format: 'kubectl', lastUsedAt: 1, outcome: 'notAllowed' });
    await access.decide('acme', 'alice-sub', 'allowed', 2);
    await access.recordUse('acme', 'alice-sub', { tool: 'kubectl', format: 'kubectl', lastUsedAt: 3, outcome: 'served' });
    await access.recordUse('acme', 'alice-sub', { tool: 'curl', format: 'header', lastUsedAt: 4, outcome: 'served' });
    const again = new TerminalAccess(memento, 'k');
    assert.equal(again.decision('acme', 'alice-sub'), 'allowed');
    assert.deepEqual(
      again.get('acme', 'alice-sub')?.uses.map((u) => [u.tool, u.lastUsedAt]),
      [
        ['curl', 4],
        ['kubectl', 3],
      ],
    );
    assert.ok(!JSON.stringify(memento.get('k')).includes('alice"'), 'no labels are stored');
    await again.revoke('acme', 'alice-sub');
    assert.equal(new TerminalAccess(memento, 'k').decision('acme', 'alice-sub'), undefined);
    assert.equal(new TerminalAccess(memento, 'k').get('acme', 'alice-sub')?.uses.length, 2, 'the tools stay listed');
    await memento.update('k', { v: 1, providers: { acme: { x: { decision: 'maybe', uses: [{ tool: 1 }] } } } });
    assert.deepEqual(new TerminalAccess(memento, 'k').get('acme', 'x'), { uses: [] }, 'a damaged record grants nothing');
  });
});

describe('terminal socket server', () => {
  let dir: string;
  let server: TerminalServer | undefined;
  let secret: string;
  let f: Fixture;
  let sink: CapturingSink;

  beforeEach(async function () {
    if (!posix) this.skip(); // named pipes: the Windows path is exercised where the editor runs on Windows
    dir = makeTempDir('sk-terminal-');
    secret = newSecret();
    sink = new CapturingSink();
    f = fixture(createLogger(sink));
    await f.access.decide('acme', 'alice-sub', 'allowed', 1);
    server = await TerminalServer.listen({
      channel: newChannel(process.platform, dir),
      secret,
      handle: f.handle,
      logger: createLogger(sink),
    });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) removeTempDir(dir);
  });

  function io(env: Record<string, string | undefined>, stdin = '') {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        env,
        readStdin: async () => stdin,
        stdout: (t: string) => void (out.stdout += t),
        stderr: (t: string) => void (out.stderr += t),
      },
    };
  }

  it('keeps the socket in a 0700 directory, owner-only, and removes it on close', async () => {
    const { path, dir: channelDir } = server!.channel;
    assert.ok(channelDir && path.startsWith(channelDir));
    assert.equal(statSync(channelDir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(channelDir).uid, process.getuid!());
    await server!.close();
    server = undefined;
    assert.equal(existsSync(channelDir), false);
  });

  it('serves each format through the real command code, and logs no token', async () => {
    const env = { SESSION_KEEPER_IPC: server!.channel.path, SESSION_KEEPER_SECRET: secret };
    const header = io(env);
    assert.equal(await runCli(['-p', 'acme', '-f', 'header'], header.io), 0);
    assert.equal(header.out.stdout, `Authorization: Bearer ${TOKEN}\n`);
    const git = io(env, 'protocol=https\nhost=example.test\n\n');
    assert.equal(await runCli(['-p', 'acme', '-f', 'git', 'get'], git.io), 0);
    assert.equal(git.out.stdout, `username=alice\npassword=${TOKEN}\n`);
    const kube = io(env);
    assert.equal(await runCli(['-p', 'acme', '-f', 'kubectl'], kube.io), 0);
    assert.equal(JSON.parse(kube.out.stdout).kind, 'ExecCredential');
    const store = io({});
    assert.equal(await runCli(['-p', 'acme', '-f', 'git', 'store'], store.io), 0, 'store needs no VS Code at all');
    assert.equal(store.out.stdout, '');
    assert.ok(sink.lines.length > 0);
    assert.ok(!sink.lines.some((l) => l.includes(TOKEN)), 'the token never reaches the log');
  });

  it('refuses a wrong or missing secret, whatever else the request says', async () => {
    const path = server!.channel.path;
    for (const presented of ['wrong', `${secret}x`, secret.slice(0, -1)]) {
      const answer = await ask(path, { ...request(), secret: presented });
      assert.ok(!answer.ok && answer.code === 'forbidden', presented);
    }
    const missing = await raw(path, `${JSON.stringify({ v: 1, provider: 'acme', format: 'bare' })}\n`);
    assert.equal(JSON.parse(missing).code, 'forbidden');
    const cli = io({ SESSION_KEEPER_IPC: path, SESSION_KEEPER_SECRET: 'wrong' });
    assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.refused);
    assert.equal(cli.out.stdout, '');
    assert.match(cli.out.stderr, /Open a new terminal/);
    assert.equal(f.source.calls, 0, 'no token was fetched for a refused request');
  });

  it('refuses bad JSON and oversized requests without reading on', async () => {
    const path = server!.channel.path;
    assert.equal(JSON.parse(await raw(path, '{oops\n')).code, 'badRequest');
    const big = JSON.parse(await raw(path, 'x'.repeat(MAX_REQUEST_BYTES + 10)));
    assert.equal(big.code, 'badRequest');
    assert.match(big.message, /larger than/);
  });

  it('tells a missing or closed channel apart (exit 3), and a pending consent (exit 4)', async () => {
    const gone = io({ SESSION_KEEPER_IPC: join(dir, 'nothing-here.sock'), SESSION_KEEPER_SECRET: secret });
    assert.equal(await runCli(['-p', 'acme'], gone.io), EXIT_CODES.unreachable);
    assert.match(gone.out.stderr, /VS Code is not running/);
    const noEnv = io({});
    assert.equal(await runCli(['-p', 'acme'], noEnv.io), EXIT_CODES.unreachable);
    await f.access.revoke('acme', 'alice-sub');
    const pending = io({ SESSION_KEEPER_IPC: server!.channel.path, SESSION_KEEPER_SECRET: secret });
    assert.equal(await runCli(['-p', 'acme'], pending.io), EXIT_CODES.notAllowed);
    assert.match(pending.out.stderr, /Allow terminal access for alice at Acme SSO in VS Code, then run the command again/);
  });

  it('keeps the connection open while a renewal outlasts the time allowed for reading the request', async () => {
    // The command waits longer than the server may take to answer, renewal included.
    assert.ok(RESPONSE_TIMEOUT_MS > HANDLE_TIMEOUT_MS, 'the command gives up before the server does');
    const slowDir = newChannel(process.platform, dir);
    const slow = await TerminalServer.listen({ channel: slowDir, secret, handle: f.handle, logger: silentLogger, readTimeoutMs: 20 });
    try {
      // A renewal fifteen times longer than the read limit: the answer must still arrive.
      f.source.renewal = new Promise((resolve) => setTimeout(resolve, 300));
      const cli = io({ SESSION_KEEPER_IPC: slow.channel.path, SESSION_KEEPER_SECRET: secret });
      assert.equal(await runCli(['-p', 'acme', '-f', 'bare'], cli.io), EXIT_CODES.ok, cli.out.stderr);
      assert.equal(cli.out.stdout, `${TOKEN}\n`);
    } finally {
      await slow.close();
    }
  });

  it('answers "offline" itself when a renewal takes longer than it allows, before the command gives up', async () => {
    const slowDir = newChannel(process.platform, dir);
    const slow = await TerminalServer.listen({ channel: slowDir, secret, handle: f.handle, logger: silentLogger, handleTimeoutMs: 30 });
    try {
      f.source.renewal = new Promise(() => undefined); // the issuer never answers
      const cli = io({ SESSION_KEEPER_IPC: slow.channel.path, SESSION_KEEPER_SECRET: secret });
      assert.equal(await runCli(['-p', 'acme'], cli.io), EXIT_CODES.offline, cli.out.stderr);
      assert.match(cli.out.stderr, /No token within \d+ seconds; try again/);
    } finally {
      await slow.close();
    }
  });

  it('removes its private directory when it cannot listen', async () => {
    const channel = newChannel(process.platform, dir);
    await assert.rejects(
      TerminalServer.listen({
        channel: { ...channel, path: join(channel.dir!, 'missing', 'ipc.sock') },
        secret,
        handle: f.handle,
        logger: silentLogger,
      }),
    );
    assert.equal(existsSync(channel.dir!), false);
  });

  it('cannot be reached by another user (needs root to run as nobody)', function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
      // Only root can start a process as another user; without that there is no second user to try.
      return this.skip();
    }
    const path = server!.channel.path;
    // The temp dir above the channel is opened up so that only the channel's own modes stand in the way.
    chmodSync(dir, 0o755);
    const probe = `require('net').createConnection(${JSON.stringify(path)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
    const asNobody = () => spawnSync(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 });
    const first = asNobody();
    if (first.error) return this.skip(); // this runtime cannot be started as nobody (e.g. its files are not readable to others)
    assert.equal(first.stdout.trim(), 'EACCES', 'the 0700 directory keeps other users out');
    // With the directory open, the owner-only socket still refuses them.
    chmodSync(server!.channel.dir!, 0o755);
    assert.equal(asNobody().stdout.trim(), 'EACCES', 'the 0600 socket keeps other users out');
    chmodSync(server!.channel.dir!, 0o700);
  });
});

/** Sends bytes and reads the whole answer. */
function raw(path: string, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let out = '';
    socket.on('connect', () => socket.write(data));
    socket.on('data', (c) => (out += c.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(out) : reject(e)));
  });
}
