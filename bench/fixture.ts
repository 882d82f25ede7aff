// The local IdP (in a child process), sign-in through its real endpoints, and the engine as the
// extension wires it, minus the editor.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IdpOptions, IdpStats } from '../test/idp/idp.mjs';
import { MemoryMemento } from '../test/support/fakes';
import { systemClock, type Clock } from '../src/session/base/clock';
import type { ProviderConfig } from '../src/session/config';
import type { Coordinator } from '../src/session/storage/coordination';
import { SessionKeeperEngine } from '../src/session/engine';
import { REQUEST_TIMEOUT_MS, createFetch } from '../src/session/net/http';
import { createLogger, type Logger } from '../src/session/base/log';
import type { OAuthClient } from '../src/session/kinds/oauth/client';
import type { TokenSet } from '../src/session/kinds/oauth/tokens';
import { withAccount } from '../src/session/kinds/oauth/flows/contract';
import type { SignInRequest } from '../src/session/provider';
import { defaultPolicy, type RefreshPolicy } from '../src/session/refresh/refresher';
import { freshRefreshState, type SessionStore, type StoredSession } from '../src/session/storage/store';
import type { OAuthSource } from '../src/session/kinds/oauth/source';
import { startWorker } from './lib';

export interface BenchIdp {
  readonly issuer: string;
  /** Completes login and consent over HTTP; resolves with the redirect carrying the code. */
  login(authorizationUrl: string, login: string): Promise<string>;
  stats(): Promise<IdpStats>;
  /** CPU time the IdP process has used, in ms. */
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

export async function startBenchIdp(options: IdpOptions): Promise<BenchIdp> {
  const idp = await startWorker<{ issuer: string }>('the IdP process', join(__dirname, 'idpProcess.mjs'), {
    // Plain JavaScript: none of this process's flags (tsx, profiling) belong there.
    execArgv: [],
    env: { ...process.env, BENCH_IDP_OPTIONS: JSON.stringify(options) },
  });
  return {
    issuer: idp.ready.issuer,
    login: (url, login) => idp.call<string>('login', { url, login }),
    stats: () => idp.call<IdpStats>('stats'),
    cpuMs: idp.cpuMs,
    close: idp.close,
  };
}

/** `count` users named user0001…, all with names and emails of the same length. */
export function users(count: number): Record<string, { name: string; email: string }> {
  const out: Record<string, { name: string; email: string }> = {};
  for (let i = 1; i <= count; i++) {
    const id = `user${String(i).padStart(4, '0')}`;
    out[id] = { name: `User ${id}`, email: `${id}@example.test` };
  }
  return out;
}

export const providerConfig = (issuer: string): ProviderConfig => ({
  kind: 'oauth',
  id: 'acme',
  label: 'Acme',
  issuer,
  clientId: 'session-keeper',
  scopes: ['email', 'offline_access', 'openid', 'profile'],
  authorizationParameters: {},
});

/**
 * A real authorization code flow with PKCE against the IdP: its login and consent pages, then the
 * code exchange and ID token checks of the client. Only the loopback listener is skipped: the
 * IdP's redirect is read instead of followed.
 */
export async function signInAt(idp: BenchIdp, client: OAuthClient, login: string, request: SignInRequest) {
  const pending = await client.authorizationRequest({ redirectUri: 'http://127.0.0.1/callback', ...request });
  const redirect = await idp.login(pending.url, login);
  const tokens = await client.authorizationCodeGrant(pending, new URL(redirect));
  if (!tokens.claims) throw new Error('no ID token');
  return tokens as TokenSet & { claims: NonNullable<TokenSet['claims']> };
}

/** The extension logs through a redacting logger; its output channel is replaced by nothing. */
export const quietLogger: Logger = createLogger({ trace() {}, debug() {}, info() {}, warn() {}, error() {} });

/** The engine as activate() builds it: undici fetch, 30 s limits, default policy, redacting logger. */
export function createEngine(
  idp: BenchIdp,
  store: SessionStore,
  opts: { nextLogin: () => string; clock?: Clock; policy?: Partial<RefreshPolicy>; coordinator?: Coordinator },
): SessionKeeperEngine {
  const engine = new SessionKeeperEngine({
    store,
    clock: opts.clock ?? systemClock,
    logger: quietLogger,
    fetch: createFetch(REQUEST_TIMEOUT_MS),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    policy: { ...defaultPolicy, ...opts.policy },
    memento: new MemoryMemento(),
    // activate() gives the refresher the store's coordinator too: the account lock around each refresh.
    coordinator: opts.coordinator,
    signIn: (_config, source, request) => signInAt(idp, (source as OAuthSource).client, opts.nextLogin(), request).then(withAccount),
  });
  engine.configure([providerConfig(idp.issuer)]);
  return engine;
}

const token = (length: number) => randomBytes(length).toString('base64url').slice(0, length);

/**
 * A stored session shaped like one signed in at the local IdP: 43-character opaque access and
 * refresh tokens and a ~750-byte ID token.
 */
export function idpShapedSession(index: number, createdAt: number, expiresAt: number): StoredSession {
  return {
    id: `session-${index}`,
    scopes: ['email', 'offline_access', 'openid', 'profile'],
    accessToken: token(43),
    tokenType: 'bearer',
    refreshToken: token(43),
    idToken: token(754),
    createdAt,
    expiresAt,
    refresh: freshRefreshState(true),
  };
}
