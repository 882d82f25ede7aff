// The engine against an issuer that misbehaves in every way an issuer, a gateway or the network
// in between can: broken discovery, endpoints with schemes that must never be followed, forged
// ID tokens, faults and garbage at the token, JWKS and revocation endpoints, oversized and
// endless bodies, hostile text in error responses, and hostile requests at the loopback redirect.
//
// Every case asserts that the operation settles within a bound, that a rejection is a
// SessionKeeperError whose message is a short, clean sentence without token text, and, for
// refreshes, whether the session is kept (transient) or ends (terminal).
//
// Run alone with: npm run test:protocol -- test/protocol/hostile.test.ts
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startIdp, type Idp } from '../idp/idp.mjs';
import { authorizationCodeFlow, type BrowserHost } from '../../src/session/kinds/oauth/flows/authorizationCode';
import { withAccount } from '../../src/session/kinds/oauth/flows/contract';
import { deviceFlow, type DeviceHost } from '../../src/session/kinds/oauth/flows/device';
import { CONTROL_CHARS, MAX_LABEL, plainText } from '../../src/session/base/plainText';
import { sessionEndedNotice, signInFailedNotice, userCodeNotice } from '../../src/editor/notices';
import type { ProviderConfig } from '../../src/session/config';
import { ErrorCode, SessionKeeperError, userMessage } from '../../src/session/base/errors';
import { createFetch, type Fetch } from '../../src/session/net/http';
import { silentLogger } from '../../src/session/base/log';
import { OAuthClient } from '../../src/session/kinds/oauth/client';
import { SessionKeeperProvider } from '../../src/session/provider';
import { Refresher, defaultPolicy, type RefreshPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, freshRefreshState, type StoredSession } from '../../src/session/storage/store';
import { FakeClock } from '../support/fakeClock';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { assertNothingStored } from '../support/assert';
import { freePort } from '../support/net.mjs';
import { OAuthSource } from '../../src/session/kinds/oauth/source';
import {
  CLIENT_ID,
  HTML_PAGE,
  HostileIssuer,
  KID,
  b64url,
  html,
  json,
  randomToken,
  text,
  type Handler,
  type Reply,
} from '../support/hostileIssuer';

/** Time limit of each request the client makes. */
const TIMEOUT_MS = 1_500;
/** Every operation settles within this, whatever the issuer does. */
const BOUND_MS = 10_000;
const MAX_MESSAGE = 500;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const STACK = /\n\s+at /;
const REDIRECT = 'http://127.0.0.1:9/callback';
const DAY = 86_400_000;

const POLICY: RefreshPolicy = { ...defaultPolicy, leadMs: 5_000, baseBackoffMs: 1_000, maxBackoffMs: 60_000, heartbeatMs: 60_000 };

// ---------------------------------------------------------------------------------------------
// Assertions that never print token text.

/** All 8-character pieces of the secrets: a message may contain none of them. */
function pieces(secrets: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const s of secrets) for (let i = 0; i + 8 <= s.length; i++) out.add(s.slice(i, i + 8));
  return out;
}

function leaks(text: string, secrets: readonly string[]): boolean {
  const p = pieces(secrets);
  for (let i = 0; i + 8 <= text.length; i++) if (p.has(text.slice(i, i + 8))) return true;
  return false;
}

/** Text safe to print in a failure: secret pieces masked, control characters escaped, shortened. */
function safe(text: unknown, secrets: readonly string[] = []): string {
  const s = String(text);
  const p = pieces(secrets);
  const masked = [...s];
  for (let i = 0; i + 8 <= s.length; i++) if (p.has(s.slice(i, i + 8))) for (let j = i; j < i + 8; j++) masked[j] = '*';
  const out = JSON.stringify(masked.join('').slice(0, 300));
  return s.length > 300 ? `${out}… (${s.length} chars)` : out;
}

function describeThrown(err: unknown, secrets: readonly string[]): string {
  if (err instanceof Error) return `${err.constructor.name} ${safe(err.message, secrets)}`;
  return `${typeof err} ${safe(err, secrets)}`;
}

/** The checks every user-facing text of a failure must pass. */
function assertCleanText(what: string, text: string, secrets: readonly string[]): void {
  assert.ok(text.length > 0 && text.length <= MAX_MESSAGE, `${what} is ${text.length} chars long: ${safe(text, secrets)}`);
  assert.ok(!STACK.test(text), `${what} contains a stack trace: ${safe(text, secrets)}`);
  assert.ok(!CONTROL.test(text), `${what} contains control characters: ${safe(text, secrets)}`);
  assert.ok(!leaks(text, secrets), `${what} contains token text: ${safe(text, secrets)}`);
}

function assertCleanError(err: unknown, secrets: readonly string[]): SessionKeeperError {
  assert.ok(err instanceof SessionKeeperError, `expected a SessionKeeperError, got ${describeThrown(err, secrets)}`);
  assert.equal(typeof err.message, 'string');
  assertCleanText('the message', err.message, secrets);
  assert.match(err.message.trim(), /[.!?]$/, `the message is not a sentence: ${safe(err.message, secrets)}`);
  return err;
}

type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number };

/** Waits for the operation, failing the case if it does not settle within the bound. */
async function settle<T>(p: Promise<T>, bound = BOUND_MS): Promise<Outcome<T>> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), bound);
  });
  try {
    const r = await Promise.race([
      p.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      hung,
    ]);
    if (r === 'hung') assert.fail(`the operation did not settle within ${bound} ms`);
    return { ...r, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(p: Promise<unknown>, secrets: readonly string[], bound = BOUND_MS): Promise<SessionKeeperError> {
  const out = await settle(p, bound);
  assert.ok(!out.ok, 'expected the operation to fail, it succeeded');
  return assertCleanError(out.error, secrets);
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

let srv: HostileIssuer;
let closedPort: number;

interface Sent {
  readonly url: string;
  readonly method: string;
}

/** The client's fetch, recording every URL it is asked for; nothing leaves this machine. */
function recordingFetch(): { fetch: Fetch; sent: Sent[] } {
  const inner = createFetch(TIMEOUT_MS);
  const sent: Sent[] = [];
  const fetch: Fetch = (url, init) => {
    sent.push({ url: String(url), method: init.method ?? 'GET' });
    let target: URL | undefined;
    try {
      target = new URL(url);
    } catch {
      target = undefined;
    }
    if (!target || target.protocol !== 'http:' || target.hostname !== '127.0.0.1') return Promise.reject(new TypeError('fetch failed'));
    return inner(url, init);
  };
  return { fetch, sent };
}

function newClient(now?: () => number) {
  const { fetch, sent } = recordingFetch();
  return { client: new OAuthClient({ issuer: srv.issuer, clientId: CLIENT_ID, fetch, timeoutMs: TIMEOUT_MS, now }), sent };
}

/** Requests that went anywhere but this issuer. */
function offIssuer(sent: readonly Sent[]): string[] {
  return sent.filter((s) => !s.url.startsWith(`${srv.issuer}/`)).map((s) => `${s.method} ${safe(s.url)}`);
}

function providerConfig(): ProviderConfig {
  return {
    kind: 'oauth',
    id: 'hostile',
    label: 'Hostile',
    issuer: srv.issuer,
    clientId: CLIENT_ID,
    scopes: ['openid', 'offline_access'],
    authorizationParameters: {},
  };
}

function secretsOfCase(...more: Array<string | undefined>): string[] {
  return [...srv.issued, ...more.filter((s): s is string => typeof s === 'string' && s.length >= 8)];
}

const okToken = (nonce: string, idToken: Parameters<HostileIssuer['idToken']>[0] = {}, fields: Record<string, unknown> = {}) =>
  json(200, srv.tokenResponse({ id_token: srv.idToken({ ...idToken, claims: { nonce, ...idToken.claims } }), ...fields }));

interface SignInRun {
  out: Outcome<unknown>;
  store: SessionStore;
  secrets: MemorySecrets;
  code: string;
  sent: Sent[];
  page?: string;
}

/**
 * A full interactive sign-in (provider → authorization code flow → loopback → code exchange)
 * where the "browser" sends the authorization response straight to the loopback redirect.
 */
async function signIn(opts: {
  token?: (nonce: string) => Handler;
  editCallback?: (q: URLSearchParams, request: { state: string; nonce: string }) => void;
}): Promise<SignInRun> {
  const { client, sent } = newClient();
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets, new MemoryMemento(), silentLogger);
  const code = randomToken('CODE');
  let page: Promise<string> | undefined;
  const host: BrowserHost = {
    externalUri: async (u) => u,
    openBrowser: async (url) => {
      const u = new URL(url);
      const nonce = u.searchParams.get('nonce') ?? '';
      const state = u.searchParams.get('state') ?? '';
      const redirect = new URL(u.searchParams.get('redirect_uri') ?? REDIRECT);
      srv.on('token', opts.token ? opts.token(nonce) : () => okToken(nonce));
      const q = new URLSearchParams({ code, state });
      opts.editCallback?.(q, { state, nonce });
      redirect.search = q.toString();
      page = fetch(redirect).then(
        (r) => r.text(),
        () => '',
      );
      return true;
    },
  };
  const provider = new SessionKeeperProvider(providerConfig(), {
    store,
    source: new OAuthSource(client),
    logger: silentLogger,
    now: Date.now,
    ensureFresh: async (id) => store.find(id)?.session,
    signIn: (request) =>
      authorizationCodeFlow(client, host, silentLogger, { ...request, signal: new AbortController().signal, timeoutMs: 8_000 }).then(
        withAccount,
      ),
  });
  try {
    const out = await settle(provider.createSession([]));
    return { out, store, secrets, code, sent, page: page && (await settle(page, 3_000)).ok ? await page : undefined };
  } finally {
    provider.dispose();
  }
}

/** A sign-in that must fail with a clean error and store nothing. */
async function signInFails(opts: Parameters<typeof signIn>[0]): Promise<{ err: SessionKeeperError; run: SignInRun }> {
  const run = await signIn(opts);
  assert.ok(!run.out.ok, 'expected the sign-in to fail, it succeeded');
  const err = assertCleanError(run.out.error, secretsOfCase(run.code));
  assertNothingStored(run);
  return { err, run };
}

const SID = 'session-1';

interface RefresherRun {
  store: SessionStore;
  secrets: MemorySecrets;
  clock: FakeClock;
  at: string;
  rt: string;
  signInNeeded: number;
  /** The message of each sign-in notice, as the editor gets it. */
  notices: string[];
  session: StoredSession | undefined;
}

/** One refresh through the real Refresher and SessionStore, against the hostile issuer. */
async function refresherRun(arrange: (ctx: { rt: string; at: string }) => void): Promise<RefresherRun> {
  const clock = new FakeClock(Date.now());
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets, new MemoryMemento(), silentLogger, { now: clock.now });
  const at = randomToken('AT');
  const rt = randomToken('RT');
  await store.putSession(
    'hostile',
    srv.issuer,
    { id: 'alice-sub', label: 'alice' },
    {
      id: SID,
      scopes: ['offline_access', 'openid'],
      accessToken: at,
      tokenType: 'Bearer',
      refreshToken: rt,
      expiresAt: clock.now() + 60_000,
      createdAt: clock.now(),
      refresh: freshRefreshState(true),
    },
  );
  const { client } = newClient(clock.now);
  const source = new OAuthSource(client);
  let signInNeeded = 0;
  const notices: string[] = [];
  const refresher = new Refresher({
    store,
    source: () => source,
    clock,
    logger: silentLogger,
    policy: POLICY,
    onSignInNeeded: (_account, message) => {
      signInNeeded++;
      notices.push(message);
    },
  });
  arrange({ rt, at });
  try {
    await settle(refresher.refresh(SID));
  } finally {
    refresher.dispose();
  }
  return { store, secrets, clock, at, rt, signInNeeded, notices, session: store.find(SID)?.session };
}

function assertKeptForRetry(r: RefresherRun): void {
  const s = r.session;
  assert.ok(s, 'the session was deleted');
  assert.ok(
    !s.refresh.needsSignIn,
    `the session was ended (needsSignIn); lastError: ${safe(s.refresh.lastError, secretsOfCase(r.rt, r.at))}`,
  );
  assert.ok(s.refresh.consecutiveFailures >= 1, `consecutiveFailures is ${s.refresh.consecutiveFailures}`);
  assert.ok(s.refreshToken === r.rt, 'the refresh token changed');
  assert.ok(s.accessToken === r.at, 'the access token changed');
  const next = s.refresh.nextRefreshAt;
  assert.ok(typeof next === 'number' && Number.isFinite(next), `nextRefreshAt is ${String(next)}`);
  assert.ok(
    next - r.clock.now() <= POLICY.maxBackoffMs,
    `the next attempt is ${Math.round((next - r.clock.now()) / 1000)} s away, more than maxBackoffMs`,
  );
  if (s.refresh.lastError !== undefined) assertCleanText('refresh.lastError', s.refresh.lastError, secretsOfCase(r.rt, r.at));
}

function assertEnded(r: RefresherRun): void {
  const s = r.session;
  assert.ok(s, 'the session was deleted; it must wait for a new sign-in');
  assert.equal(
    s.refresh.needsSignIn,
    true,
    `the session was not ended; consecutiveFailures ${s.refresh.consecutiveFailures}, lastError ${safe(s.refresh.lastError, secretsOfCase(r.rt, r.at))}`,
  );
  assert.equal(r.signInNeeded, 1, 'one sign-in notice');
  assert.ok(s.refresh.lastError, 'the failure is recorded');
  assertCleanText('refresh.lastError', s.refresh.lastError, secretsOfCase(r.rt, r.at));
}

/** The stored state survives JSON and a reload without anything set aside. */
async function assertStoreSound(r: RefresherRun | { store: SessionStore; secrets: MemorySecrets; clock?: FakeClock }): Promise<void> {
  const now = r.clock?.now() ?? Date.now();
  for (const account of r.store.accounts()) {
    for (const s of account.sessions) {
      const e = s.expiresAt;
      assert.ok(
        e === undefined || (typeof e === 'number' && Number.isFinite(e) && e <= now + 400 * DAY && e > now - 400 * DAY),
        `expiresAt is ${String(e)}`,
      );
      for (const v of [s.refresh.nextRefreshAt, s.refresh.lastRefreshAt]) {
        assert.ok(v === undefined || (typeof v === 'number' && Number.isFinite(v)), `a refresh time is ${String(v)}`);
      }
    }
    const changed = jsonChanges(account);
    assert.deepEqual(changed, [], 'the stored account does not survive JSON unchanged at these paths');
  }
  for (const [key, value] of r.secrets.data) {
    assert.ok(!/"(expiresAt|nextRefreshAt|lastRefreshAt)":null/.test(value), `${key} holds a null time`);
  }
  const quarantined: string[] = [];
  const reloaded = new SessionStore(r.secrets, new MemoryMemento(), silentLogger, { onQuarantine: (m) => quarantined.push(m) });
  await reloaded.load();
  assert.deepEqual(quarantined, [], 'the reloaded store set a record aside');
  assert.equal(reloaded.accounts().length, r.store.accounts().length, 'the reloaded store lost an account');
}

/** Paths whose value JSON would change (non-finite numbers, undefined in arrays, ...); undefined properties are dropped by JSON and do not count. */
function jsonChanges(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path} (${String(value)})`];
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return [];
  if (Array.isArray(value))
    return value.flatMap((v, i) => (v === undefined ? [`${path}[${i}] (undefined)`] : jsonChanges(v, `${path}[${i}]`)));
  if (typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype) return [`${path} (${Object.prototype.toString.call(value)})`];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (v === undefined ? [] : jsonChanges(v, `${path}.${k}`)));
  }
  return [`${path} (${typeof value})`];
}

// ---------------------------------------------------------------------------------------------
// Faults shared by several families.

const tokenBody = () => JSON.stringify(srv.tokenResponse());
const hangSilent: Reply = { kind: 'hang', silent: true };
const ANSI = '\u001b[31mSession expired\u001b[0m \u001b]8;;http://evil.example\u0007click here\u001b]8;;\u0007 \u001b[2J';
const FAKE_STACK =
  'Internal error\n    at Object.<anonymous> (/srv/idp/app.js:10:5)\n    at Module._compile (node:internal/modules/cjs/loader:1101:14)';
const BAD_URLS: Array<[string, string]> = [
  ['not a URL', 'not a url'],
  ['a javascript: URL', 'javascript:alert(document.cookie)'],
  ['a command: URL', 'command:workbench.action.terminal.new'],
  ['a vscode: URL', 'vscode://evil.extension/authorize'],
  ['a file: URL', 'file:///etc/passwd'],
  ['a data: URL', 'data:application/json,{"keys":[]}'],
  ['plain http to another host', 'http://evil.example/endpoint'],
];
// VS Code 1.139's notification link (src/vs/base/common/linkedText.ts): a command link runs its command when clicked.
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/i;
// What a real issuer got into a notification before: VS Code decodes %2E before it runs the command.
const COMMAND_LINK = '[Install](command:workbench%2Eextensions%2EinstallExtension?%5B%22evil.pwn%22%5D)';

describe('hostile issuer', function () {
  this.timeout(30_000);

  before(async () => {
    srv = await HostileIssuer.start();
    closedPort = await freePort();
  });
  after(async () => srv.close());
  afterEach(() => srv.reset());

  // -------------------------------------------------------------------------------------------
  describe('discovery', () => {
    const authorize = () => newClient().client.authorizationRequest({ redirectUri: REDIRECT, scopes: ['openid'] });

    const cases: Array<{ name: string; arrange: () => void; hang?: boolean }> = [
      { name: 'an HTML page with status 200', arrange: () => srv.on('discovery', html(200)) },
      { name: 'HTTP 404', arrange: () => srv.on('discovery', text(404, 'Not Found', 'text/plain')) },
      { name: 'HTTP 500', arrange: () => srv.on('discovery', text(500, 'oops', 'text/plain')) },
      { name: 'HTTP 503 with an HTML page', arrange: () => srv.on('discovery', html(503)) },
      { name: 'a connection reset', arrange: () => srv.on('discovery', { kind: 'reset' }) },
      {
        name: 'truncated JSON',
        arrange: () => srv.on('discovery', text(200, JSON.stringify(srv.discoveryDocument()).slice(0, 60), 'application/json')),
      },
      {
        name: 'a body shorter than its content-length',
        arrange: () => srv.on('discovery', { kind: 'truncated', body: JSON.stringify(srv.discoveryDocument()).slice(0, 60) }),
      },
      { name: 'a JSON array', arrange: () => srv.on('discovery', json(200, [srv.discoveryDocument()])) },
      { name: 'JSON null', arrange: () => srv.on('discovery', text(200, 'null', 'application/json')) },
      { name: 'an empty body', arrange: () => srv.on('discovery', text(200, '', 'application/json')) },
      { name: 'a document naming another issuer', arrange: () => srv.setDiscovery({ issuer: 'https://evil.example' }) },
      { name: 'a document without an issuer', arrange: () => srv.setDiscovery({ issuer: undefined }) },
      { name: 'a document without authorization_endpoint', arrange: () => srv.setDiscovery({ authorization_endpoint: undefined }) },
      { name: 'a document without token_endpoint', arrange: () => srv.setDiscovery({ token_endpoint: undefined }) },
      { name: 'an authorization_endpoint that is a number', arrange: () => srv.setDiscovery({ authorization_endpoint: 42 }) },
      ...BAD_URLS.map(([what, url]) => ({
        name: `an authorization_endpoint that is ${what}`,
        arrange: () => srv.setDiscovery({ authorization_endpoint: url }),
      })),
      { name: 'an answer that never comes', arrange: () => srv.on('discovery', hangSilent), hang: true },
    ];

    for (const c of cases) {
      it(`discovery: ${c.name} is a clear error at sign-in`, async () => {
        c.arrange();
        const out = await settle(authorize());
        if (out.ok) {
          const u = new URL(out.value.url);
          assert.ok(
            u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)),
            `authorizationRequest() returned a ${u.protocol} URL`,
          );
          assert.fail('expected authorizationRequest() to fail, it returned a URL');
        }
        assertCleanError(out.error, []);
        if (c.hang) assert.ok(out.ms < TIMEOUT_MS * 8, `took ${out.ms} ms`);
      });
    }

    it('discovery: a valid document served as text/html is accepted', async () => {
      // oauth4webapi looks at the content type only when the body is not JSON.
      srv.on('discovery', () => text(200, JSON.stringify(srv.discoveryDocument()), 'text/html'));
      const out = await settle(authorize());
      assert.ok(out.ok, out.ok ? '' : `refused: ${String(out.error)}`);
      assert.ok(out.value.url.startsWith(`${srv.issuer}/authorize?`));
    });

    it('discovery: a document naming the origin issuer with a trailing slash is the same issuer (control)', async () => {
      srv.setDiscovery({ issuer: `${srv.issuer}/` });
      const pending = await authorize();
      assert.ok(pending.url.startsWith(`${srv.issuer}/authorize?`));
    });

    it('discovery: a gzip-encoded document is accepted (control)', async () => {
      srv.on('discovery', () => ({ kind: 'gzip', body: JSON.stringify(srv.discoveryDocument()) }));
      const pending = await authorize();
      assert.ok(pending.url.startsWith(`${srv.issuer}/authorize?`));
    });

    it('discovery: a document that arrives slowly but within the time limit is accepted (control)', async () => {
      srv.on('discovery', () => ({ kind: 'drip', body: JSON.stringify(srv.discoveryDocument()), intervalMs: 50, chunkBytes: 200 }));
      const pending = await authorize();
      assert.ok(pending.url.startsWith(`${srv.issuer}/authorize?`));
    });

    it('discovery: an https authorization_endpoint on another host is used (control)', async () => {
      srv.setDiscovery({ authorization_endpoint: 'https://login.example/authorize' });
      const pending = await authorize();
      assert.equal(new URL(pending.url).origin, 'https://login.example');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('endpoints with schemes that must never be followed', () => {
    for (const [what, url] of BAD_URLS) {
      it(`discovery: a token_endpoint that is ${what} is a clear error and is never requested`, async () => {
        srv.setDiscovery({ token_endpoint: url });
        const rt = randomToken('RT');
        const { client, sent } = newClient();
        await rejection(client.refreshTokenGrant(rt), [rt]);
        assert.deepEqual(offIssuer(sent), [], 'a request went to the bad endpoint');
      });
    }
    for (const [what, url] of BAD_URLS) {
      it(`discovery: a revocation_endpoint that is ${what} is never requested`, async () => {
        srv.setDiscovery({ revocation_endpoint: url });
        const rt = randomToken('RT');
        const { client, sent } = newClient();
        const out = await settle(client.revoke(rt, 'refresh_token'));
        if (out.ok) assert.equal(out.value, false, 'revoke() claims success');
        else assertCleanError(out.error, [rt]);
        assert.deepEqual(offIssuer(sent), [], 'a request went to the bad endpoint');
      });
    }
    for (const [what, url] of BAD_URLS) {
      it(`discovery: a jwks_uri that is ${what} fails the sign-in clearly and is never requested`, async () => {
        srv.setDiscovery({ jwks_uri: url });
        const { run } = await signInFails({});
        assert.deepEqual(offIssuer(run.sent), [], 'a request went to the bad endpoint');
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  describe('code exchange', () => {
    it('code exchange: a well-formed answer signs in and stores the account (control)', async () => {
      const run = await signIn({});
      assert.ok(run.out.ok, `the control sign-in failed: ${run.out.ok ? '' : describeThrown(run.out.error, secretsOfCase(run.code))}`);
      assert.equal(run.store.accounts().length, 1);
      assert.equal(run.store.accounts()[0].account.id, 'alice-sub');
    });

    const now = () => Math.floor(Date.now() / 1000);
    const idt = (nonce: string, o: Parameters<HostileIssuer['idToken']>[0]) => okToken(nonce, o);
    const cases: Array<{ name: string; token: (nonce: string) => Handler; hang?: boolean }> = [
      { name: 'an ID token signed with another key', token: (n) => () => idt(n, { signWith: 'other' }) },
      {
        name: 'an ID token whose payload was altered after signing',
        token: (n) => () => {
          const [h, , s] = srv.idToken({ claims: { nonce: n } }).split('.');
          const forged = `${h}.${b64url(JSON.stringify({ iss: srv.issuer, aud: CLIENT_ID, sub: 'mallory', nonce: n, iat: now(), exp: now() + 300 }))}.${s}`;
          return json(200, srv.tokenResponse({ id_token: forged }));
        },
      },
      { name: 'an ID token from another issuer', token: (n) => () => idt(n, { claims: { iss: 'https://evil.example' } }) },
      { name: 'an ID token for another audience', token: (n) => () => idt(n, { claims: { aud: 'another-client' } }) },
      { name: 'an ID token whose audience list lacks the client', token: (n) => () => idt(n, { claims: { aud: ['a', 'b'] } }) },
      {
        name: 'an ID token authorized for another party (azp)',
        token: (n) => () => idt(n, { claims: { aud: [CLIENT_ID, 'other'], azp: 'other' } }),
      },
      { name: 'an ID token with another nonce', token: () => () => idt('nonce-of-another-request', {}) },
      { name: 'an ID token without a nonce', token: () => () => idt('', { claims: { nonce: undefined } }) },
      { name: 'an expired ID token', token: (n) => () => idt(n, { claims: { iat: now() - 7200, exp: now() - 3600 } }) },
      { name: 'an ID token without exp', token: (n) => () => idt(n, { claims: { exp: undefined } }) },
      { name: 'an ID token without iat', token: (n) => () => idt(n, { claims: { iat: undefined } }) },
      { name: 'an ID token with a string exp', token: (n) => () => idt(n, { claims: { exp: 'tomorrow' } }) },
      { name: 'an ID token without sub', token: (n) => () => idt(n, { claims: { sub: undefined } }) },
      { name: 'an ID token with an empty sub', token: (n) => () => idt(n, { claims: { sub: '' } }) },
      { name: 'an ID token with a numeric sub', token: (n) => () => idt(n, { claims: { sub: 12345 } }) },
      { name: 'an ID token with an object sub', token: (n) => () => idt(n, { claims: { sub: { id: 'alice' } } }) },
      { name: 'an ID token with alg none', token: (n) => () => idt(n, { header: { alg: 'none', kid: undefined }, signWith: 'none' }) },
      { name: 'an ID token with alg HS256', token: (n) => () => idt(n, { header: { alg: 'HS256' } }) },
      { name: 'an ID token with an unknown kid', token: (n) => () => idt(n, { header: { kid: 'no-such-key' } }) },
      { name: 'an ID token that is not a JWT', token: () => () => json(200, srv.tokenResponse({ id_token: 'not-a-jwt' })) },
      {
        name: 'an ID token with two segments',
        token: (n) => () =>
          json(
            200,
            srv.tokenResponse({
              id_token: srv
                .idToken({ claims: { nonce: n } })
                .split('.')
                .slice(0, 2)
                .join('.'),
            }),
          ),
      },
      { name: 'an ID token that is a number', token: () => () => json(200, srv.tokenResponse({ id_token: 42 })) },
      { name: 'no ID token', token: () => () => json(200, srv.tokenResponse()) },
      { name: 'HTTP 500', token: () => text(500, 'Internal Server Error', 'text/plain') },
      { name: 'HTTP 503 with an HTML page', token: () => html(503) },
      { name: 'HTTP 429', token: () => text(429, '', undefined, { 'retry-after': '5' }) },
      { name: 'a connection reset', token: () => ({ kind: 'reset' }) },
      { name: 'a body shorter than its content-length', token: () => () => ({ kind: 'truncated', body: tokenBody().slice(0, 40) }) },
      { name: 'an answer that never comes', token: () => hangSilent, hang: true },
      { name: 'malformed JSON', token: () => text(200, '{"access_token": "abc", token_type: Bearer}', 'application/json') },
      { name: 'an HTML page with status 200', token: () => html(200) },
      { name: 'a JSON array', token: () => json(200, []) },
      { name: 'a 400 invalid_grant', token: () => json(400, { error: 'invalid_grant', error_description: 'code expired' }) },
      { name: 'a 401 invalid_client', token: () => json(401, { error: 'invalid_client' }) },
      {
        name: 'a 401 with a Basic challenge from a proxy',
        token: () => text(401, 'Unauthorized', 'text/plain', { 'www-authenticate': 'Basic realm="corp-proxy"' }),
      },
      { name: 'a response without access_token', token: (n) => () => okToken(n, {}, { access_token: undefined }) },
      { name: 'a response without token_type', token: (n) => () => okToken(n, {}, { token_type: undefined }) },
      {
        name: 'an error description with control characters and the authorization code',
        token: () => (req) =>
          json(400, { error: 'invalid_grant', error_description: `${ANSI} ${new URLSearchParams(req.body).get('code')}` }),
      },
    ];
    for (const c of cases) {
      it(`code exchange: ${c.name} fails the sign-in clearly and stores nothing`, async () => {
        const { run } = await signInFails({ token: c.token });
        if (c.hang) assert.ok(run.out.ms < TIMEOUT_MS * 8, `took ${run.out.ms} ms`);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  describe('JWKS', () => {
    const ecJwk = () => ({
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      kid: KID,
      alg: 'ES256',
      use: 'sig',
    });
    const cases: Array<{ name: string; jwks: Handler; hang?: boolean }> = [
      { name: 'HTTP 500', jwks: text(500, 'oops', 'text/plain') },
      { name: 'HTTP 404', jwks: text(404, 'Not Found', 'text/plain') },
      { name: 'an HTML page with status 200', jwks: html(200) },
      { name: 'a connection reset', jwks: { kind: 'reset' } },
      {
        name: 'a body shorter than its content-length',
        jwks: () => ({ kind: 'truncated', body: JSON.stringify(srv.jwks()).slice(0, 50) }),
      },
      { name: 'an empty key set', jwks: json(200, { keys: [] }) },
      { name: 'keys that are not an array', jwks: json(200, { keys: 'none' }) },
      { name: 'JSON null', jwks: text(200, 'null', 'application/json') },
      { name: 'only a key of another type under the same kid', jwks: () => json(200, { keys: [ecJwk()] }) },
      { name: 'only a key with another kid', jwks: () => json(200, { keys: [{ ...srv.jwks().keys[0], kid: 'rotated-away' }] }) },
      { name: 'an answer that never comes', jwks: hangSilent, hang: true },
    ];
    for (const c of cases) {
      it(`JWKS: ${c.name} fails the sign-in clearly and stores nothing`, async () => {
        srv.on('jwks', c.jwks);
        await signInFails({});
      });
    }

    it('JWKS: a key set over the size limit fails the sign-in, saying why, with no promise of a retry that a sign-in does not make', async () => {
      srv.on('jwks', { kind: 'stream', prefix: '{"keys":[],"padding":"', fill: 'a', suffix: '"}', bytes: 2 * 1024 * 1024 });
      const { err } = await signInFails({});
      assert.equal(err.code, ErrorCode.ResponseTooLarge, err.message);
      assert.match(err.message, /sent a response larger than 1024 KB/);
      assert.doesNotMatch(err.message, /retry|try again/i);
    });

    it('JWKS: a gzip-encoded key set is accepted (control)', async () => {
      srv.on('jwks', () => ({ kind: 'gzip', body: JSON.stringify(srv.jwks()) }));
      const run = await signIn({});
      assert.ok(run.out.ok, 'the sign-in failed');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('callback', () => {
    const cases: Array<{ name: string; edit: (q: URLSearchParams, r: { state: string; nonce: string }) => void }> = [
      { name: 'a wrong state', edit: (q) => q.set('state', 'forged-state-value-123') },
      { name: 'no state', edit: (q) => q.delete('state') },
      { name: 'an empty state', edit: (q) => q.set('state', '') },
      { name: 'two state parameters', edit: (q) => q.append('state', 'forged-state-value-123') },
      { name: 'no code', edit: (q) => q.delete('code') },
      { name: 'two code parameters', edit: (q) => q.append('code', 'second-code-value') },
      {
        name: 'error=access_denied with control characters and a token in its description',
        edit: (q) => {
          q.delete('code');
          q.set('error', 'access_denied');
          q.set('error_description', `${ANSI}\r\nDenied for access_token=${srv.jwtAccessToken()} ${randomToken('SECRET')}\u0000`);
        },
      },
      {
        name: 'error=access_denied with a long description',
        edit: (q) => {
          q.delete('code');
          q.set('error', 'access_denied');
          q.set('error_description', 'x'.repeat(4000));
        },
      },
      {
        name: 'an error with a forged state',
        edit: (q) => {
          q.delete('code');
          q.set('error', 'server_error');
          q.set('state', 'forged-state-value-123');
        },
      },
      { name: 'an iss parameter naming another issuer (RFC 9207)', edit: (q) => q.set('iss', 'https://evil.example') },
      { name: 'an iss parameter naming this issuer with a trailing slash', edit: (q) => q.set('iss', `${srv.issuer}/`) },
    ];
    for (const c of cases) {
      it(`callback: ${c.name} fails the sign-in clearly, exchanges no code and stores nothing`, async () => {
        await signInFails({
          editCallback: (q, r) => {
            c.edit(q, r);
            // Whatever secret text the callback carries counts as the case's tokens.
            for (const v of q.values()) if (/^(CODE|SECRET|eyJ)/.test(v)) srv.issued.push(v);
            for (const m of (q.get('error_description') ?? '').matchAll(/(?:eyJ|SECRET)[A-Za-z0-9._-]+/g)) srv.issued.push(m[0]);
          },
        });
        assert.equal(srv.requestsTo('token').length, 0, 'the code was sent to the token endpoint');
      });
    }

    it('callback: an iss parameter naming this issuer is accepted (control)', async () => {
      const run = await signIn({ editCallback: (q) => q.set('iss', srv.issuer) });
      assert.ok(run.out.ok, 'the sign-in failed');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('refresh', () => {
    type Arrange = (ctx: { rt: string; at: string }) => void;
    const tok =
      (h: Handler): Arrange =>
      () =>
        srv.on('token', h);
    const disc =
      (h: Handler): Arrange =>
      () =>
        srv.on('discovery', h);
    const oauthError = (error: unknown, status = 400, more: Record<string, unknown> = {}) => tok(json(status, { error, ...more }));

    const transient: Array<{ name: string; arrange: Arrange; refresher?: boolean; hang?: boolean }> = [
      { name: 'a connection reset', arrange: tok({ kind: 'reset' }), refresher: true },
      {
        name: 'a refused connection',
        arrange: () => srv.setDiscovery({ token_endpoint: `http://127.0.0.1:${closedPort}/token` }),
        refresher: true,
      },
      {
        name: 'a body shorter than its content-length',
        arrange: tok(() => ({ kind: 'truncated', body: tokenBody().slice(0, 30) })),
        refresher: true,
      },
      { name: 'no answer at all', arrange: tok(hangSilent), hang: true },
      { name: 'headers and then a body that never ends', arrange: tok({ kind: 'hang' }), hang: true },
      {
        name: 'a body dripping slower than the time limit',
        arrange: tok(() => ({ kind: 'drip', body: tokenBody(), intervalMs: 150 })),
        hang: true,
      },
      { name: 'HTTP 500', arrange: tok(text(500, 'Internal Server Error', 'text/plain')), refresher: true },
      { name: 'HTTP 502 with an HTML page', arrange: tok(html(502)), refresher: true },
      { name: 'HTTP 503 with JSON', arrange: tok(json(503, { error: 'temporarily_unavailable' })), refresher: true },
      { name: 'HTTP 504 with no body', arrange: tok(text(504, '')) },
      { name: 'HTTP 429', arrange: tok(text(429, 'Too Many Requests', 'text/plain', { 'retry-after': '3' })), refresher: true },
      { name: 'HTTP 500 whose body says invalid_grant', arrange: tok(json(500, { error: 'invalid_grant' })), refresher: true },
      { name: 'discovery answering an HTML page with status 200', arrange: disc(html(200)), refresher: true },
      { name: 'discovery answering 404', arrange: disc(text(404, 'Not Found', 'text/plain')), refresher: true },
      { name: 'discovery answering 503', arrange: disc(html(503)) },
      { name: 'discovery resetting the connection', arrange: disc({ kind: 'reset' }), refresher: true },
      {
        name: 'discovery answering truncated JSON',
        arrange: disc(() => text(200, JSON.stringify(srv.discoveryDocument()).slice(0, 50), 'application/json')),
        refresher: true,
      },
      {
        name: 'discovery answering a body shorter than its content-length',
        arrange: disc(() => ({ kind: 'truncated', body: JSON.stringify(srv.discoveryDocument()).slice(0, 50) })),
      },
      { name: 'error temporarily_unavailable', arrange: oauthError('temporarily_unavailable'), refresher: true },
      { name: 'error server_error', arrange: oauthError('server_error'), refresher: true },
      { name: 'error slow_down', arrange: oauthError('slow_down'), refresher: true },
      { name: 'error invalid_request', arrange: oauthError('invalid_request'), refresher: true },
      { name: 'an unknown error code', arrange: oauthError('vendor_specific_hiccup'), refresher: true },
      { name: 'an error code that is not a string', arrange: oauthError(42) },
      {
        name: 'a 401 with a Basic challenge from a proxy',
        arrange: tok(text(401, '', undefined, { 'www-authenticate': 'Basic realm="corp-proxy"' })),
        refresher: true,
      },
      {
        name: 'a 401 with a Negotiate challenge',
        arrange: tok(text(401, '', undefined, { 'www-authenticate': 'Negotiate' })),
        refresher: true,
      },
      {
        name: 'a 407 from a proxy',
        arrange: tok(text(407, 'Proxy Authentication Required', 'text/plain', { 'proxy-authenticate': 'Basic realm="corp-proxy"' })),
      },
      { name: 'an HTML page with status 200', arrange: tok(html(200)), refresher: true },
      { name: 'an HTML page with status 400', arrange: tok(html(400)), refresher: true },
      { name: 'an HTML login page with status 401', arrange: tok(html(401)) },
      {
        name: 'a response without access_token',
        arrange: tok(() => json(200, srv.tokenResponse({ access_token: undefined }))),
        refresher: true,
      },
      { name: 'an access_token that is a number', arrange: tok(() => json(200, srv.tokenResponse({ access_token: 12345678 }))) },
      { name: 'a response without token_type', arrange: tok(() => json(200, srv.tokenResponse({ token_type: undefined }))) },
      { name: 'an unknown token_type', arrange: tok(() => json(200, srv.tokenResponse({ token_type: 'mac' }))) },
      {
        name: 'malformed JSON',
        arrange: tok(text(200, '{"access_token": "abc", token_type: Bearer', 'application/json')),
        refresher: true,
      },
      { name: 'an empty 200 answer', arrange: tok(text(200, '', 'application/json')), refresher: true },
      { name: 'a JSON array', arrange: tok(json(200, [])), refresher: true },
      { name: 'JSON null', arrange: tok(text(200, 'null', 'application/json')) },
      { name: 'a 200 with an error body', arrange: tok(json(200, { error: 'server_error' })) },
    ];

    for (const c of transient) {
      it(`refresh: ${c.name} is transient`, async () => {
        const rt = randomToken('RT');
        c.arrange({ rt, at: '' });
        const err = await rejection(newClient().client.refreshTokenGrant(rt), secretsOfCase(rt));
        assert.equal(err.transient, true, `${err.code} is not transient: ${safe(err.message, secretsOfCase(rt))}`);
      });
    }
    it('refresh: valid token JSON served as text/html is accepted or refused as transient', async () => {
      const rt = randomToken('RT');
      srv.on('token', () => text(200, tokenBody(), 'text/html'));
      const out = await settle(newClient().client.refreshTokenGrant(rt));
      if (!out.ok)
        assert.equal(assertCleanError(out.error, secretsOfCase(rt)).transient, true, 'a mislabelled but valid answer ended the session');
    });

    for (const c of transient.filter((t) => t.refresher)) {
      it(`refresh (Refresher): ${c.name} keeps the session and retries with backoff`, async () => {
        assertKeptForRetry(await refresherRun(c.arrange));
      });
    }

    const invalidGrant = JSON.stringify({ error: 'invalid_grant', error_description: 'grant revoked' });
    const terminal: Array<{ name: string; arrange: Arrange }> = [
      { name: '400 invalid_grant as application/json', arrange: tok(text(400, invalidGrant, 'application/json')) },
      {
        name: '400 invalid_grant as application/json; charset=utf-8',
        arrange: tok(text(400, invalidGrant, 'application/json; charset=utf-8')),
      },
      {
        name: '400 invalid_grant as application/json;charset=UTF-8',
        arrange: tok(text(400, invalidGrant, 'application/json;charset=UTF-8')),
      },
      {
        name: '400 invalid_grant as Application/JSON; charset="utf-8"',
        arrange: tok(text(400, invalidGrant, 'Application/JSON; charset="utf-8"')),
      },
      { name: '400 invalid_grant as text/plain', arrange: tok(text(400, invalidGrant, 'text/plain')) },
      { name: '400 invalid_grant without a content type', arrange: tok(text(400, invalidGrant)) },
      { name: '401 invalid_grant as application/json', arrange: tok(text(401, invalidGrant, 'application/json')) },
      { name: '400 invalid_grant without a description', arrange: oauthError('invalid_grant') },
      { name: '401 invalid_client', arrange: oauthError('invalid_client', 401) },
      { name: '400 invalid_client', arrange: oauthError('invalid_client', 400) },
      { name: '400 unauthorized_client', arrange: oauthError('unauthorized_client', 400) },
    ];
    for (const c of terminal) {
      it(`refresh: ${c.name} ends the session`, async () => {
        const rt = randomToken('RT');
        c.arrange({ rt, at: '' });
        const err = await rejection(newClient().client.refreshTokenGrant(rt), secretsOfCase(rt));
        assert.equal(err.transient, false, `${err.code} is transient`);
        assert.equal(err.code, ErrorCode.GrantRevoked, 'the grant is gone: GrantRevoked');
      });
      it(`refresh (Refresher): ${c.name} marks the session for a new sign-in and keeps it stored`, async () => {
        assertEnded(await refresherRun(c.arrange));
      });
    }

    describe('Retry-After', () => {
      const farDate = 'Fri, 31 Dec 9999 23:59:59 GMT';
      const cases: Array<[string, number, string]> = [
        ['503 with Retry-After: 99999999999', 503, '99999999999'],
        ['429 with Retry-After: 99999999999', 429, '99999999999'],
        [`503 with Retry-After: ${farDate}`, 503, farDate],
        [`429 with Retry-After: ${farDate}`, 429, farDate],
        ['503 with Retry-After: 1000000000000000000000000', 503, '1000000000000000000000000'],
        ['429 with Retry-After: 86400', 429, '86400'],
        ['503 with Retry-After: -1', 503, '-1'],
        ['503 with Retry-After: garbage', 503, 'soon, maybe'],
      ];
      for (const [name, status, value] of cases) {
        it(`refresh (Refresher): ${name} schedules the next attempt no later than maxBackoffMs`, async () => {
          assertKeptForRetry(await refresherRun(tok(text(status, '', undefined, { 'retry-after': value }))));
        });
      }
    });

    describe('expires_in', () => {
      const cases: Array<{ name: string; fields: (srv: HostileIssuer) => Record<string, unknown>; raw?: (body: string) => string }> = [
        { name: 'expires_in 1e308', fields: () => ({ expires_in: 1e308 }) },
        { name: 'expires_in "1e308"', fields: () => ({ expires_in: '1e308' }) },
        { name: 'expires_in -5', fields: () => ({ expires_in: -5 }) },
        { name: 'expires_in 0', fields: () => ({ expires_in: 0 }) },
        { name: 'expires_in "NaN"', fields: () => ({ expires_in: 'NaN' }) },
        { name: 'expires_in "abc"', fields: () => ({ expires_in: 'abc' }) },
        { name: 'expires_in "Infinity"', fields: () => ({ expires_in: 'Infinity' }) },
        {
          name: 'a huge integer expires_in',
          fields: () => ({ expires_in: 999999999999999 }),
          raw: (b) => b.replace('999999999999999', '99999999999999999999999999999999'),
        },
        { name: 'expires_in null', fields: () => ({ expires_in: null }) },
        { name: 'expires_in true', fields: () => ({ expires_in: true }) },
        { name: 'expires_in as an object', fields: () => ({ expires_in: { seconds: 300 } }) },
        { name: 'no expires_in with an opaque access token', fields: () => ({ expires_in: undefined }) },
        { name: 'no expires_in with a JWT access token', fields: (s) => ({ expires_in: undefined, access_token: s.jwtAccessToken() }) },
        {
          name: 'no expires_in with a JWT access token whose exp is 1e308',
          fields: (s) => ({ expires_in: undefined, access_token: s.jwtAccessToken({ exp: 1e308 }) }),
        },
        {
          name: 'no expires_in with a JWT access token whose exp is a string',
          fields: (s) => ({ expires_in: undefined, access_token: s.jwtAccessToken({ exp: 'never' }) }),
        },
      ];
      for (const c of cases) {
        it(`refresh (Refresher): ${c.name} never stores a non-finite or far-off expiry`, async () => {
          const r = await refresherRun(() =>
            srv.on('token', () => {
              const body = JSON.stringify(srv.tokenResponse(c.fields(srv)));
              return text(200, c.raw ? c.raw(body) : body, 'application/json');
            }),
          );
          assert.ok(r.session, 'the session was deleted');
          assert.ok(!r.session.refresh.needsSignIn, 'the session was ended');
          if (r.session.refresh.lastError !== undefined)
            assertCleanText('refresh.lastError', r.session.refresh.lastError, secretsOfCase(r.rt, r.at));
          await assertStoreSound(r);
        });
      }
      for (const c of cases.slice(0, 6)) {
        it(`code exchange: ${c.name} never stores a non-finite or far-off expiry`, async () => {
          const run = await signIn({ token: (nonce) => () => okToken(nonce, {}, c.fields(srv)) });
          if (!run.out.ok) assertCleanError(run.out.error, secretsOfCase(run.code));
          await assertStoreSound(run);
        });
      }
    });

    describe('issuer text', () => {
      type Text = (ctx: { rt: string; at: string }) => Record<string, unknown>;
      const cases: Array<{ name: string; status?: number; body: Text; transient: boolean }> = [
        {
          name: 'invalid_grant whose description is the refresh token',
          body: ({ rt }) => ({ error: 'invalid_grant', error_description: rt }),
          transient: false,
        },
        { name: 'an error code "invalid_grant:<refresh token>"', body: ({ rt }) => ({ error: `invalid_grant:${rt}` }), transient: true },
        {
          name: 'invalid_grant whose description quotes the refresh token in a sentence',
          body: ({ rt }) => ({ error: 'invalid_grant', error_description: `Refresh token ${rt} was revoked by policy 7` }),
          transient: false,
        },
        {
          name: 'server_error whose description is the refresh token',
          body: ({ rt }) => ({ error: 'server_error', error_description: `failed for ${rt}` }),
          transient: true,
        },
        {
          name: 'invalid_grant whose description is the access token',
          body: ({ at }) => ({ error: 'invalid_grant', error_description: `token ${at} unknown` }),
          transient: false,
        },
        {
          name: 'invalid_grant with 100 KB of description',
          body: () => ({ error: 'invalid_grant', error_description: 'A'.repeat(100_000) }),
          transient: false,
        },
        { name: 'an error code of 100 KB', body: () => ({ error: 'E'.repeat(100_000) }), transient: true },
        {
          name: 'invalid_grant with ANSI escape codes',
          body: () => ({ error: 'invalid_grant', error_description: ANSI }),
          transient: false,
        },
        { name: 'an error code with ANSI escape codes', body: () => ({ error: `\u001b[31minvalid_grant\u001b[0m` }), transient: true },
        {
          name: 'invalid_grant with newlines and a stack trace',
          body: () => ({ error: 'invalid_grant', error_description: FAKE_STACK }),
          transient: false,
        },
        {
          name: 'temporarily_unavailable with newlines and a stack trace',
          body: () => ({ error: 'temporarily_unavailable', error_description: FAKE_STACK }),
          transient: true,
        },
        {
          name: 'invalid_grant with an HTML description',
          body: () => ({ error: 'invalid_grant', error_description: HTML_PAGE }),
          transient: false,
        },
        {
          name: 'invalid_grant with NUL, DEL and C1 control characters',
          body: () => ({ error: 'invalid_grant', error_description: 'a\u0000b\u007fc\u009b31md\u0085e' }),
          transient: false,
        },
        {
          name: 'invalid_grant with a bidi override',
          body: () => ({ error: 'invalid_grant', error_description: 'ok \u001b\u202egnp.exe' }),
          transient: false,
        },
      ];
      const arrangeText = (c: (typeof cases)[number]) => (ctx: { rt: string; at: string }) =>
        srv.on('token', json(c.status ?? 400, c.body(ctx)));
      for (const c of cases) {
        it(`refresh: ${c.name} gives a short message without token text or control characters`, async () => {
          const rt = randomToken('RT');
          const at = randomToken('AT');
          arrangeText(c)({ rt, at });
          const err = await rejection(newClient().client.refreshTokenGrant(rt), secretsOfCase(rt, at));
          assert.equal(err.transient, c.transient, `${err.code}: transient is ${err.transient}`);
        });
        it(`refresh (Refresher): ${c.name} records a clean lastError`, async () => {
          const r = await refresherRun(arrangeText(c));
          if (c.transient) assertKeptForRetry(r);
          else assertEnded(r);
        });
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('revocation', () => {
    const cases: Array<{ name: string; reply: Handler }> = [
      { name: 'HTTP 500', reply: text(500, 'oops', 'text/plain') },
      { name: 'HTTP 503 with Retry-After', reply: text(503, '', undefined, { 'retry-after': '99999999999' }) },
      { name: 'an HTML page with status 502', reply: html(502) },
      { name: 'an HTML page with status 400', reply: html(400) },
      { name: 'a connection reset', reply: { kind: 'reset' } },
      { name: 'an answer that never comes', reply: hangSilent },
      { name: 'a body shorter than its content-length', reply: { kind: 'truncated', body: '{"error":"inv', status: 400 } },
      { name: '401 invalid_client', reply: json(401, { error: 'invalid_client' }) },
      { name: 'a 401 with a Basic challenge', reply: text(401, '', undefined, { 'www-authenticate': 'Basic realm="corp-proxy"' }) },
      {
        name: 'unsupported_token_type whose description holds the token and ANSI codes',
        reply: (req) =>
          json(400, { error: 'unsupported_token_type', error_description: `${ANSI} ${new URLSearchParams(req.body).get('token')}` }),
      },
    ];
    for (const c of cases) {
      it(`revocation: ${c.name} rejects clearly or resolves false, and never hangs`, async () => {
        srv.on('revocation', c.reply);
        const token = randomToken('RT');
        const out = await settle(newClient().client.revoke(token, 'refresh_token'));
        if (out.ok) assert.equal(out.value, false, 'revoke() claims the token was revoked');
        else assertCleanError(out.error, [token]);
        assert.ok(out.ms < TIMEOUT_MS * 8, `took ${out.ms} ms`);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  describe('size limits', function () {
    this.timeout(60_000);
    const MB = 1 << 20;
    // A generous request time limit here: what stops an oversized answer must be a size cap, not
    // the clock (with the short limit of the other cases, a 50 MB body is cut off by the timeout).
    // Far above what reading 1 MB takes, so the cap (not the clock) must be what stops a body.
    const SIZE_CASE_TIMEOUT_MS = 20_000;
    const worker = join(__dirname, 'workers', 'sizeLimit.ts');

    interface WorkerResult {
      settled: 'resolved' | 'rejected';
      sessionKeeperError?: boolean;
      code?: string;
      transient?: boolean;
      name?: string;
      message?: string;
      ms: number;
      rssBefore: number;
      rssPeak: number;
      rssAfter: number;
    }

    function runWorker(operation: 'refresh' | 'discovery', rt: string): Promise<WorkerResult> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', worker], {
          env: {
            ...process.env,
            SK_ISSUER: srv.issuer,
            SK_OPERATION: operation,
            SK_REFRESH_TOKEN: rt,
            SK_TIMEOUT_MS: String(SIZE_CASE_TIMEOUT_MS),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let errText = '';
        const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (errText += d));
        child.on('exit', (code, signal) => {
          clearTimeout(killer);
          const last = out.trim().split('\n').pop();
          if (code === 0 && last) resolve(JSON.parse(last) as WorkerResult);
          else
            reject(
              new Error(`the client process ended with ${signal ?? code} (crashed or was killed): ${safe(errText.slice(-300), [rt])}`),
            );
        });
      });
    }

    const tokenPrefix = '{"access_token":"AT-big","token_type":"Bearer","expires_in":300,"padding":"';
    const discPrefix = () => `${JSON.stringify(srv.discoveryDocument()).slice(0, -1)},"padding":"`;
    const cases: Array<{ name: string; operation: 'refresh' | 'discovery'; arrange: () => void }> = [
      {
        name: 'a 50 MB token response',
        operation: 'refresh',
        arrange: () => srv.on('token', { kind: 'stream', prefix: tokenPrefix, fill: 'a', suffix: '"}', bytes: 50 * MB }),
      },
      {
        name: 'a 50 MB error response',
        operation: 'refresh',
        arrange: () =>
          srv.on('token', {
            kind: 'stream',
            status: 400,
            prefix: '{"error":"invalid_grant","error_description":"',
            fill: 'a',
            suffix: '"}',
            bytes: 50 * MB,
          }),
      },
      {
        name: 'a gzip token response that inflates to 1 GiB',
        operation: 'refresh',
        arrange: () => srv.on('token', { kind: 'gzipBomb', prefix: tokenPrefix, suffix: '"}', inflatedBytes: 1024 * MB }),
      },
      {
        name: 'a content-length of 10 GB with a short body, then a closed connection',
        operation: 'refresh',
        arrange: () => srv.on('token', { kind: 'truncated', body: '{"access_token":"', declaredLength: 10 * 1024 * MB }),
      },
      {
        name: 'a content-length of 10 GB with a short body, then silence',
        operation: 'refresh',
        arrange: () => srv.on('token', { kind: 'truncated', body: '{"access_token":"', declaredLength: 10 * 1024 * MB, holdOpen: true }),
      },
      {
        name: 'a 50 MB discovery document',
        operation: 'discovery',
        arrange: () => srv.on('discovery', () => ({ kind: 'stream', prefix: discPrefix(), fill: 'a', suffix: '"}', bytes: 50 * MB })),
      },
      {
        name: 'a gzip discovery document that inflates to 1 GiB',
        operation: 'discovery',
        arrange: () => srv.on('discovery', () => ({ kind: 'gzipBomb', prefix: discPrefix(), suffix: '"}', inflatedBytes: 1024 * MB })),
      },
    ];
    for (const c of cases) {
      it(`size limits: ${c.name} is refused quickly with a clear error and little memory`, async () => {
        c.arrange();
        const rt = randomToken('RT');
        const r = await runWorker(c.operation, rt);
        const grew = Math.round((r.rssPeak - r.rssBefore) / MB);
        // Every problem at once, so one run tells the whole story of a case.
        const problems: string[] = [];
        if (r.settled !== 'rejected') problems.push('the oversized answer was accepted');
        else if (!r.sessionKeeperError) problems.push(`not a SessionKeeperError: ${r.name} ${safe(r.message, [rt])}`);
        else {
          try {
            assertCleanText('the message', r.message ?? '', [rt]);
          } catch (e) {
            problems.push((e as Error).message);
          }
          if (c.operation === 'refresh' && r.transient !== true) problems.push(`${r.code} is not transient`);
        }
        if (r.ms >= SIZE_CASE_TIMEOUT_MS * 0.75) problems.push(`took ${r.ms} ms`);
        if (grew >= 200) problems.push(`RSS grew by ${grew} MB`);
        assert.deepEqual(problems, []);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  describe('loopback callback', function () {
    this.timeout(20_000);
    let idp: Idp;
    before(async () => {
      idp = await startIdp();
    });
    after(async () => idp.close());

    type Hostile = (redirect: URL) => { method?: string; path: string; host?: string };
    const pathOf = (u: URL, pathname = u.pathname, search = u.search) => `${pathname}${search}`;
    const cases: Array<{ name: string; request: Hostile }> = [
      { name: 'GET /callback without parameters', request: () => ({ path: '/callback' }) },
      {
        name: 'GET /callback with the code and a forged state',
        request: (u) => ({ path: `/callback?code=${u.searchParams.get('code')}&state=forged-state-value-123` }),
      },
      { name: 'GET /callback with a forged state and no code', request: () => ({ path: '/callback?state=forged-state-value-123' }) },
      { name: 'GET /callback with the code and no state', request: (u) => ({ path: `/callback?code=${u.searchParams.get('code')}` }) },
      {
        name: 'GET /callback with error=access_denied and a forged state',
        request: () => ({ path: '/callback?error=access_denied&state=forged-state-value-123' }),
      },
      { name: 'GET /callback with error=access_denied and no state', request: () => ({ path: '/callback?error=access_denied' }) },
      { name: 'the real callback with a foreign Host header', request: (u) => ({ path: pathOf(u), host: 'evil.example' }) },
      {
        name: 'the real callback with Host 127.0.0.1.evil.example',
        request: (u) => ({ path: pathOf(u), host: `127.0.0.1.evil.example:${u.port}` }),
      },
      { name: 'the real callback as a POST', request: (u) => ({ method: 'POST', path: pathOf(u) }) },
      { name: 'the real callback as a PUT', request: (u) => ({ method: 'PUT', path: pathOf(u) }) },
      { name: 'the real query on another path', request: (u) => ({ path: pathOf(u, '/other') }) },
      { name: 'the real query on a path below /callback', request: (u) => ({ path: pathOf(u, '/callback/extra') }) },
    ];

    function rawRequest(target: URL, r: { method?: string; path: string; host?: string }): Promise<number | string> {
      return new Promise((resolve) => {
        const req = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: r.method ?? 'GET',
            path: r.path,
            headers: r.host ? { host: r.host } : {},
            agent: false,
            timeout: 700,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('timeout', () => {
          req.destroy();
          resolve('no answer');
        });
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        req.end();
      });
    }

    for (const c of cases) {
      it(`loopback callback: ${c.name} gets an error page and the real callback still signs in`, async () => {
        const client = new OAuthClient({ issuer: idp.issuer, clientId: CLIENT_ID, fetch: createFetch(5_000), timeoutMs: 5_000 });
        let hostileStatus: number | string = 'not sent';
        let page: Promise<string> | undefined;
        const host: BrowserHost = {
          externalUri: async (u) => u,
          openBrowser: async (url) => {
            const redirect = new URL(await idp.login(url, { login: 'alice' }));
            hostileStatus = await rawRequest(redirect, c.request(redirect));
            page = fetch(redirect).then(
              (r) => r.text(),
              () => '',
            );
            return true;
          },
        };
        const out = await settle(
          authorizationCodeFlow(client, host, silentLogger, {
            scopes: ['openid'],
            extraParameters: {},
            signal: new AbortController().signal,
            timeoutMs: 8_000,
          }),
        );
        const realPage = page ? await page : '';
        assert.ok(
          typeof hostileStatus === 'number' && hostileStatus >= 400 && hostileStatus < 500,
          `the hostile request got ${hostileStatus}, not a 4xx error page`,
        );
        assert.ok(out.ok, `the real callback did not complete the sign-in: ${out.ok ? '' : describeThrown(out.error, [])}`);
        assert.equal(out.value.claims.sub, 'alice');
        assert.match(realPage, /data-ok="true"/);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  describe('text VS Code shows', () => {
    /** What a notification shows of `text` (through plainText, as the editor sends it): no link, no control characters. */
    function assertShownPlain(what: string, text: string): string {
      const shown = plainText(text, 'notification');
      assert.ok(!shown.includes(']('), `${what} keeps the link form "](": ${safe(shown)}`);
      assert.ok(!NOTIFICATION_LINK.test(shown), `${what} is a link in VS Code: ${safe(shown)}`);
      assert.ok(!CONTROL_CHARS.test(shown), `${what} contains control characters: ${safe(shown)}`);
      return shown;
    }

    const HOSTILE_NAME = '\u202e[Open](command:workbench.action.quit)\r\n2026-01-01 12:00:00.000 [info] \u001b[31madmin\u001b[0m\u2066\t';
    const CLEAN_NAME = '[Open](command:workbench.action.quit) 2026-01-01 12:00:00.000 [info] admin';

    it('code exchange: an error_description with a command link reaches the failure notice as plain text, and nothing is stored', async () => {
      const { err } = await signInFails({
        token: () => () => json(400, { error: 'invalid_grant', error_description: `Denied. ${COMMAND_LINK}\n${ANSI}` }),
      });
      const shown = assertShownPlain('the sign-in failure notice', signInFailedNotice('Hostile', userMessage(err)));
      assert.ok(shown.includes('[Install] (command:workbench%2Eextensions%2EinstallExtension?%5B%22evil.pwn%22%5D)'), safe(shown));
    });

    it('refresh (Refresher): invalid_grant with a command link ends the session with a plain notice, and keeps it stored', async () => {
      const r = await refresherRun(() =>
        srv.on('token', json(400, { error: 'invalid_grant', error_description: `${COMMAND_LINK} \u202egnp.exe\r\n${ANSI}` })),
      );
      assertEnded(r);
      assert.equal(r.notices.length, 1);
      const shown = assertShownPlain('the session-ended notice', sessionEndedNotice('Hostile', 'alice', r.notices[0]));
      assert.ok(shown.includes('[Install] (command:workbench%2Eextensions'), safe(shown));
      assertShownPlain('the last error', r.session!.refresh.lastError!);
      await assertStoreSound(r);
    });

    const labels: Array<{ name: string; claims: Record<string, unknown>; label: string }> = [
      {
        name: 'a preferred_username with a command link, a line break, ANSI codes and bidi controls',
        claims: { preferred_username: HOSTILE_NAME },
        label: CLEAN_NAME,
      },
      {
        name: 'a preferred_username of control characters only, with an email that has a link',
        claims: { preferred_username: '\u202e\u0000\n', email: 'mallory@example.com [x](https://evil.example)' },
        label: 'mallory@example.com [x](https://evil.example)',
      },
      {
        name: 'a preferred_username of 10,000 characters',
        claims: { preferred_username: 'm'.repeat(10_000) },
        label: `${'m'.repeat(MAX_LABEL - 1)}…`,
      },
    ];
    for (const c of labels) {
      it(`code exchange: ${c.name} signs in as a clean label, stored and served whole, shown as plain text`, async () => {
        const run = await signIn({ token: (nonce) => () => okToken(nonce, { claims: c.claims }) });
        assert.ok(run.out.ok, `the sign-in failed: ${run.out.ok ? '' : describeThrown(run.out.error, secretsOfCase(run.code))}`);
        const accounts = run.store.accounts();
        assert.equal(accounts.length, 1);
        assert.equal(accounts[0].account.id, 'alice-sub');
        assert.equal(accounts[0].account.label, c.label);
        assert.equal(accounts[0].sessions.length, 1, 'the session was not stored');
        assert.equal((run.out.value as { account: { label: string } }).account.label, c.label, 'callers get another label');
        const shown = assertShownPlain(
          'the session-ended notice',
          sessionEndedNotice('Hostile', accounts[0].account.label, 'Sign in again.'),
        );
        assert.ok(!/[\r\n]/.test(shown));
        await assertStoreSound(run);
      });
    }

    describe('device verification_uri', () => {
      interface DeviceRun {
        out: Outcome<unknown>;
        shown: Array<{ userCode: string; verificationUri: string }>;
      }

      /** A device sign-in whose authorization answer names `verificationUri`; the token endpoint signs in alice at once. */
      async function deviceRun(verificationUri: string): Promise<DeviceRun> {
        srv.setDiscovery({ device_authorization_endpoint: `${srv.issuer}/device` });
        srv.on('device', () => json(200, srv.deviceAuthorization({ verification_uri: verificationUri })));
        srv.on('token', () => json(200, srv.tokenResponse({ id_token: srv.idToken() })));
        const shown: DeviceRun['shown'] = [];
        const host: DeviceHost = {
          showUserCode: ({ userCode, verificationUri: uri }) => {
            shown.push({ userCode, verificationUri: uri });
            return { dispose() {} };
          },
        };
        const out = await settle(
          deviceFlow(newClient().client, host, silentLogger, {
            scopes: ['openid'],
            extraParameters: {},
            signal: new AbortController().signal,
            providerLabel: 'Hostile',
            deviceTiming: { minIntervalMs: 1, sleep: async () => undefined },
          }),
        );
        return { out, shown };
      }

      const refused: Array<[string, (issuer: string) => string]> = [
        ['a space and a command link after the path', (i) => `${i}/device [Open](command:workbench.action.quit)`],
        ['a leading space', (i) => ` ${i}/device`],
        ['a line break in the path', (i) => `${i}/dev\nice`],
        ['an upper-case scheme', (i) => `HTTP${i.slice(4)}/device`],
        ['a dot segment', (i) => `${i}/x/../device`],
        ['backslashes', (i) => `${i}\\device`],
      ];
      for (const [what, uri] of refused) {
        it(`device: a verification_uri with ${what} is refused clearly, before any code is shown or polled`, async () => {
          const run = await deviceRun(uri(srv.issuer));
          assert.ok(!run.out.ok, 'the sign-in went on');
          const err = assertCleanError(run.out.error, secretsOfCase());
          assert.equal(err.code, ErrorCode.InvalidResponse);
          assert.ok(!err.message.includes('command:'), `the message repeats the page: ${safe(err.message)}`);
          assert.deepEqual(run.shown, [], 'a code was shown');
          assert.equal(srv.requestsTo('token').length, 0, 'the token endpoint was polled');
        });
      }

      it('device: a verification_uri that is its own href but carries a link form is shown as it opens, in a plain notice (control)', async () => {
        const uri = `${srv.issuer}/device/[Open](command:workbench.action.quit)`;
        assert.equal(new URL(uri).href, uri, 'the case must be an exact URL');
        const run = await deviceRun(uri);
        assert.ok(run.out.ok, `the sign-in failed: ${run.out.ok ? '' : describeThrown(run.out.error, secretsOfCase())}`);
        assert.deepEqual(
          run.shown.map((s) => s.verificationUri),
          [uri],
        );
        assertShownPlain('the device code notice', userCodeNotice('Hostile', run.shown[0].userCode, run.shown[0].verificationUri));
      });

      it('device: an origin without its "/" is shown as its parsed href (control)', async () => {
        const run = await deviceRun(srv.issuer);
        assert.ok(run.out.ok, `the sign-in failed: ${run.out.ok ? '' : describeThrown(run.out.error, secretsOfCase())}`);
        assert.deepEqual(
          run.shown.map((s) => s.verificationUri),
          [`${srv.issuer}/`],
        );
      });
    });
  });
});
