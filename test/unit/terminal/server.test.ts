import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, SessionKeeperError } from '../../../src/session/base/errors';
import { createLogger, silentLogger, type Logger } from '../../../src/session/base/log';
import type { AuthSession } from '../../../src/session/provider';
import { ask, runCli } from '../../../src/terminal/cli';
import { GRANT_LIFETIME_MS, TerminalAccess, grantId, scopeOf } from '../../../src/terminal/consent';
import { FolderSecrets, type TerminalFolder } from '../../../src/terminal/folders';
import {
  EXIT_CODES,
  HANDLE_TIMEOUT_MS,
  MAX_REQUEST_BYTES,
  RESPONSE_TIMEOUT_MS,
  type TerminalRequest,
  type TerminalResponse,
} from '../../../src/terminal/protocol';
import {
  TerminalServer,
  createTokenHandler,
  newChannel,
  newSecret,
  type AccountRef,
  type ConsentQuestion,
  type TokenSource,
} from '../../../src/terminal/server';
import { makeTempDir, removeTempDir } from '../../support/tempDirs.mjs';
import { CapturingSink, MemoryMemento } from '../../support/fakes';

const posix = process.platform !== 'win32';
const TOKEN = 'header.payload.signature-of-alice';

function session(account: AccountRef, token = TOKEN): AuthSession {
  return { id: `s-${account.id}`, accessToken: token, account: { id: account.id, label: account.label }, scopes: ['openid', 'api'] };
}

/** Two workspace folders of the window under test, and a directory outside both. */
const A: TerminalFolder = { uri: 'file:///work/webapp', name: 'webapp', path: '/work/webapp' };
const B: TerminalFolder = { uri: 'file:///work/clone', name: 'clone', path: '/work/clone' };
const HOUR = 3_600_000;

interface Fixture {
  readonly source: TokenSource & { accountList: AccountRef[]; failWith?: Error; calls: number; renewal?: Promise<void> };
  readonly access: TerminalAccess;
  readonly asked: { question: ConsentQuestion; answer: (allow: boolean | undefined) => void }[];
  readonly clock: { now: number };
  readonly handle: (r: TerminalRequest, folder?: TerminalFolder) => Promise<TerminalResponse>;
  /** Answers the last question and lets the decision be written. */
  answer(allow: boolean | undefined): Promise<void>;
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
  const clock = { now: Date.UTC(2026, 0, 1, 8) };
  const handler = createTokenHandler({
    source,
    access,
    logger,
    now: () => clock.now,
    formatTime: (ms) => new Date(ms).toISOString().slice(11, 16),
    platform: 'linux',
    ask: (question, answer) => asked.push({ question, answer }),
  });
  return {
    source,
    access,
    asked,
    clock,
    handle: (r, folder) => handler(r, folder),
    async answer(allow) {
      asked.at(-1)!.answer(allow);
      await new Promise((r) => setImmediate(r));
    },
  };
}

const request = (over: Partial<TerminalRequest> = {}): TerminalRequest => ({
  v: 2,
  secret: 'x',
  provider: 'acme',
  scopes: [],
  format: 'header',
  tool: 'curl',
  cwd: '/work/webapp',
  caller: { command: 'bash', cwd: '/work/webapp' },
  ...over,
});

const code = (r: TerminalResponse) => (r.ok ? 'ok' : r.code);

describe('terminal token handler', () => {
  it('asks once for the folder and refuses at once while the answer is pending; serves after Allow', async () => {
    const f = fixture();
    const first = await f.handle(request(), A);
    assert.deepEqual(first, {
      ok: false,
      code: 'consentRequired',
      message:
        'Terminal access for alice at Acme SSO is not allowed in the workspace folder "webapp" yet. Allow it in VS Code, then run the command again.',
    });
    assert.equal(code(await f.handle(request({ cwd: '/work/webapp/src' }), A)), 'consentRequired');
    assert.equal(f.asked.length, 1, 'a second request from the same folder does not ask again');
    assert.equal(f.source.calls, 0, 'no token is fetched before the user allowed it');
    assert.deepEqual(f.asked[0].question, {
      providerLabel: 'Acme SSO',
      accountLabel: 'alice',
      scope: { folder: A.uri, folderName: 'webapp', folderPath: '/work/webapp' },
      program: { tool: 'curl', command: 'bash', cwd: '/work/webapp' },
      until: f.clock.now + GRANT_LIFETIME_MS,
    });
    await f.answer(true);
    assert.deepEqual(await f.handle(request(), A), { ok: true, token: TOKEN, account: 'alice', expiresAt: Date.UTC(2026, 0, 1) });
    assert.equal(code(await f.handle(request({ cwd: '/work/webapp/deep/er' }), A)), 'ok', 'anywhere inside the folder');
    const [grant] = f.access.grants('acme').get('alice-sub')!;
    assert.equal(grant.lastUse?.outcome, 'served');
  });

  it('asks again for a program in another workspace folder, whatever it says it is', async () => {
    const f = fixture();
    await f.handle(request({ tool: 'kubectl', format: 'kubectl' }), A);
    await f.answer(true);
    assert.equal(code(await f.handle(request({ tool: 'kubectl', format: 'kubectl' }), A)), 'ok');
    // The same claim from a terminal of the cloned repository, as its Makefile or npm postinstall would make it.
    const cloned = request({
      tool: 'kubectl',
      format: 'bare',
      cwd: '/work/clone',
      caller: { command: "sh -c 'session-keeper --tool kubectl'", cwd: '/work/clone' },
    });
    const other = await f.handle(cloned, B);
    assert.equal(code(other), 'consentRequired');
    assert.equal(f.source.calls, 1, 'no token for the other folder');
    assert.equal(f.asked.length, 2, 'the user is asked about the other folder');
    assert.deepEqual(f.asked[1].question.scope, { folder: B.uri, folderName: 'clone', folderPath: '/work/clone' });
    assert.equal(f.asked[1].question.program.command, "sh -c 'session-keeper --tool kubectl'");
  });

  it("asks again for a program that runs outside its terminal's folder, and a directory change never reaches another folder's grant", async () => {
    const f = fixture();
    await f.handle(request(), A);
    await f.answer(true);
    // A terminal of webapp, cd'd into a repository cloned elsewhere.
    assert.equal(code(await f.handle(request({ cwd: '/tmp/cloned-repo' }), A)), 'consentRequired');
    assert.deepEqual(f.asked[1].question.scope, {
      folder: A.uri,
      folderName: 'webapp',
      folderPath: '/work/webapp',
      dir: '/tmp/cloned-repo',
    });
    assert.match(
      ((await f.handle(request({ cwd: '/tmp/cloned-repo' }), A)) as { message: string }).message,
      /is not allowed in \/tmp\/cloned-repo yet/,
    );
    // A terminal of the other folder, or of no folder, that changed into webapp.
    assert.equal(code(await f.handle(request({ cwd: '/work/webapp' }), B)), 'consentRequired');
    assert.equal(code(await f.handle(request({ cwd: '/work/webapp' }), undefined)), 'consentRequired');
    assert.equal(
      code(await f.handle(request({ cwd: '/work/webapp-old' }), A)),
      'consentRequired',
      'a sibling with the same prefix is outside',
    );
    assert.equal(f.source.calls, 0);
    // Allowed outside: exactly that directory, not the ones below it.
    await f.handle(request({ cwd: '/tmp/cloned-repo' }), A);
    f.asked[1].answer(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(code(await f.handle(request({ cwd: '/tmp/cloned-repo' }), A)), 'ok');
    assert.equal(code(await f.handle(request({ cwd: '/tmp/cloned-repo/sub' }), A)), 'consentRequired');
  });

  it('asks again once the grant has expired (a work day after the Allow)', async () => {
    const f = fixture();
    await f.handle(request(), A);
    await f.answer(true);
    f.clock.now += GRANT_LIFETIME_MS - 1;
    assert.equal(code(await f.handle(request(), A)), 'ok');
    assert.ok(GRANT_LIFETIME_MS >= 8 * HOUR && GRANT_LIFETIME_MS <= 12 * HOUR, 'a work day');
    f.clock.now += 1;
    assert.equal(code(await f.handle(request(), A)), 'consentRequired');
    assert.equal(f.asked.length, 2, 'asked again');
    await f.answer(true);
    assert.equal(code(await f.handle(request(), A)), 'ok', 'allowed again, for another work day');
  });

  it('after Deny, refuses without asking until it expires; a dismissed question is asked again', async () => {
    const f = fixture();
    await f.handle(request(), A);
    await f.answer(undefined);
    await f.handle(request(), A);
    assert.equal(f.asked.length, 2, 'dismissed: asked again');
    await f.answer(false);
    const denied = await f.handle(request(), A);
    assert.ok(!denied.ok && denied.code === 'denied', code(denied));
    assert.equal(
      denied.message,
      'Terminal access for alice at Acme SSO in the workspace folder "webapp" was denied until 18:00. Allow it in VS Code (Session Keeper view, the account\'s terminal rows), then run the command again.',
    );
    assert.equal(f.asked.length, 2, 'a denial does not ask again');
    f.clock.now += GRANT_LIFETIME_MS;
    assert.equal(code(await f.handle(request(), A)), 'consentRequired');
    assert.equal(f.asked.length, 3, 'asked again after the denial expired');
  });

  it('shows the caller as the OS describes it, without control characters or token-like words', async () => {
    const f = fixture();
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    await f.handle(
      request({
        tool: 'kubectl',
        caller: { command: `deploy --token ${jwt} --key ${'k'.repeat(48)} \u001b]52;c;ZXZpbA==\u0007done`, cwd: '/work/webapp\u202e/x' },
      }),
      A,
    );
    const { program } = f.asked[0].question;
    assert.equal(program.tool, 'kubectl');
    assert.ok(!program.command!.includes(jwt) && !program.command!.includes('k'.repeat(48)), program.command);
    assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(program.command! + program.cwd!), 'no control characters');
    assert.match(program.command!, /^deploy --token \[redacted\] --key \[redacted\] done$/);
    assert.equal(program.cwd, '/work/webapp /x');
  });

  it('tells not signed in, unknown provider, missing scopes and offline apart', async () => {
    const f = fixture();
    await f.access.decide('acme', 'alice-sub', scopeOf(A, A.path), 'allowed', undefined, f.clock.now);
    const c = async (r: TerminalRequest) => code(await f.handle(r, A));
    assert.equal(await c(request({ provider: 'other' })), 'unknownProvider');
    assert.equal(await c(request({ account: 'bob' })), 'notSignedIn');
    assert.equal(await c(request({ scopes: ['admin'] })), 'notSignedIn');
    assert.equal(await c(request({ account: 'alice' })), 'ok', 'an account by label');
    assert.equal(await c(request({ account: 'alice-sub' })), 'ok', 'an account by id');
    f.source.failWith = new SessionKeeperError(ErrorCode.Offline, 'Acme SSO: cannot be renewed right now');
    assert.equal(await c(request()), 'offline');
    f.source.failWith = new Error('boom');
    assert.equal(await c(request()), 'failed');
    f.source.accountList = [];
    const none = await f.handle(request(), A);
    assert.ok(!none.ok && none.code === 'notSignedIn' && /No account is signed in to Acme SSO/.test(none.message));
  });

  it('sends a display name with control characters as plain text, so the command can print it', async () => {
    const f = fixture();
    f.source.accountList = [{ id: 'alice-sub', label: 'ali\u202ece\u001b[2J', active: true }];
    await f.access.decide('acme', 'alice-sub', scopeOf(A, A.path), 'allowed', undefined, f.clock.now);
    const served = await f.handle(request(), A);
    assert.ok(served.ok);
    assert.equal(served.account, 'ali ce');
  });
});

describe('terminal socket server', () => {
  let dir: string;
  let server: TerminalServer | undefined;
  let secret: string;
  let f: Fixture;
  let sink: CapturingSink;
  let folders: FolderSecrets;
  /** The environment a terminal of webapp gets. */
  let env: Record<string, string>;

  beforeEach(async function () {
    if (!posix) this.skip(); // named pipes: the Windows path is exercised where the editor runs on Windows
    dir = makeTempDir('sk-terminal-');
    secret = newSecret();
    sink = new CapturingSink();
    f = fixture(createLogger(sink));
    folders = new FolderSecrets();
    folders.update([A, B]);
    await f.access.decide('acme', 'alice-sub', scopeOf(A, A.path), 'allowed', undefined, f.clock.now);
    server = await TerminalServer.listen({
      channel: newChannel(process.platform, dir),
      secret,
      folderOf: (s) => folders.folderOf(s),
      handle: f.handle,
      logger: createLogger(sink),
    });
    env = {
      SESSION_KEEPER_IPC: server.channel.path,
      SESSION_KEEPER_SECRET: secret,
      SESSION_KEEPER_FOLDER_SECRET: folders.secretOf(A.uri)!,
    };
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) removeTempDir(dir);
  });

  function io(env: Record<string, string | undefined>, stdin = '', cwd = A.path) {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        env,
        cwd: () => cwd,
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
    const missing = await raw(path, `${JSON.stringify({ v: 2, provider: 'acme', format: 'bare' })}\n`);
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
    await f.access.revoke('acme', 'alice-sub', grantId(scopeOf(A, A.path)), f.clock.now);
    const pending = io(env);
    assert.equal(await runCli(['-p', 'acme'], pending.io), EXIT_CODES.notAllowed);
    assert.match(
      pending.out.stderr,
      /is not allowed in the workspace folder "webapp" yet. Allow it in VS Code, then run the command again/,
    );
  });

  it("knows a terminal's folder by the folder secret it carries, and refuses one the window does not know", async () => {
    const inA = io(env);
    assert.equal(await runCli(['-p', 'acme'], inA.io), EXIT_CODES.ok, inA.out.stderr);
    // The same directory, from a terminal of the other folder: that folder's grant (none) applies.
    const fromB = io({ ...env, SESSION_KEEPER_FOLDER_SECRET: folders.secretOf(B.uri)! });
    assert.equal(await runCli(['-p', 'acme'], fromB.io), EXIT_CODES.notAllowed);
    assert.match(fromB.out.stderr, /is not allowed in \/work\/webapp yet/);
    // Without the variable the terminal belongs to no folder: no grant of a folder applies.
    const none = io({ ...env, SESSION_KEEPER_FOLDER_SECRET: undefined });
    assert.equal(await runCli(['-p', 'acme'], none.io), EXIT_CODES.notAllowed);
    const forged = io({ ...env, SESSION_KEEPER_FOLDER_SECRET: 'made-up' });
    assert.equal(await runCli(['-p', 'acme'], forged.io), EXIT_CODES.refused);
    assert.match(forged.out.stderr, /workspace folder is no longer open/);
    // A folder removed from the window takes its secret along.
    const removed = folders.secretOf(A.uri)!;
    folders.update([B]);
    const gone = io({ ...env, SESSION_KEEPER_FOLDER_SECRET: removed });
    assert.equal(await runCli(['-p', 'acme'], gone.io), EXIT_CODES.refused);
    assert.equal(f.source.calls, 1, 'a token only for the terminal of the allowed folder');
  });

  it('sends the working directory and what the OS says of the caller, which the question shows', async () => {
    await f.access.revoke('acme', 'alice-sub', grantId(scopeOf(A, A.path)), f.clock.now);
    const cli = io(env, '', '/work/webapp/api');
    const caller = { command: 'make deploy', cwd: '/work/webapp/api' };
    assert.equal(await runCli(['-p', 'acme', '--tool', 'kubectl'], { ...cli.io, caller: () => caller }), EXIT_CODES.notAllowed);
    assert.deepEqual(f.asked[0].question.program, { tool: 'kubectl', ...caller });
  });

  it('keeps the connection open while a renewal outlasts the time allowed for reading the request', async () => {
    // The command waits longer than the server may take to answer, renewal included.
    assert.ok(RESPONSE_TIMEOUT_MS > HANDLE_TIMEOUT_MS, 'the command gives up before the server does');
    const slowDir = newChannel(process.platform, dir);
    const slow = await TerminalServer.listen({
      channel: slowDir,
      secret,
      folderOf: (s) => folders.folderOf(s),
      handle: f.handle,
      logger: silentLogger,
      readTimeoutMs: 20,
    });
    try {
      // A renewal fifteen times longer than the read limit: the answer must still arrive.
      f.source.renewal = new Promise((resolve) => setTimeout(resolve, 300));
      const cli = io({ ...env, SESSION_KEEPER_IPC: slow.channel.path });
      assert.equal(await runCli(['-p', 'acme', '-f', 'bare'], cli.io), EXIT_CODES.ok, cli.out.stderr);
      assert.equal(cli.out.stdout, `${TOKEN}\n`);
    } finally {
      await slow.close();
    }
  });

  it('answers "offline" itself when a renewal takes longer than it allows, before the command gives up', async () => {
    const slowDir = newChannel(process.platform, dir);
    const slow = await TerminalServer.listen({
      channel: slowDir,
      secret,
      folderOf: (s) => folders.folderOf(s),
      handle: f.handle,
      logger: silentLogger,
      handleTimeoutMs: 30,
    });
    try {
      f.source.renewal = new Promise(() => undefined); // the issuer never answers
      const cli = io({ ...env, SESSION_KEEPER_IPC: slow.channel.path });
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
