import assert from 'node:assert/strict';
import type { ProviderConfig } from '../../src/session/config';
import { silentLogger } from '../../src/session/base/log';
import type { OAuthClient } from '../../src/session/kinds/oauth/client';
import type { TokenSet } from '../../src/session/kinds/oauth/tokens';
import { withAccount } from '../../src/session/kinds/oauth/flows/contract';
import { SessionKeeperProvider, type SessionsChange, type SignInRequest } from '../../src/session/provider';
import { SessionStore } from '../../src/session/storage/store';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { OAuthSource } from '../../src/session/kinds/oauth/source';
import { isServable } from '../../src/session/refresh/policy';

const config: ProviderConfig = {
  kind: 'oauth',
  id: 'corp',
  label: 'Corp SSO',
  issuer: 'https://idp.example',
  clientId: 'vscode',
  scopes: ['offline_access', 'openid'],
  authorizationParameters: {},
};

function setup() {
  let now = 1_000_000;
  let n = 0;
  const signIns: SignInRequest[] = [];
  const revoked: Array<[string, string]> = [];
  const users = ['alice'];
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger);
  const client = {
    revoke: async (token: string, hint: string) => {
      revoked.push([token, hint]);
      return true;
    },
  } as unknown as OAuthClient;
  const provider = new SessionKeeperProvider(config, {
    store,
    source: new OAuthSource(client),
    logger: silentLogger,
    now: () => now,
    // The refresher's own rule for what may be handed out, without renewing anything.
    ensureFresh: async (id) => {
      const s = store.find(id)?.session;
      return s && isServable(s, now) ? s : undefined;
    },
    signIn: async (request) => {
      signIns.push(request);
      const user = users.shift() ?? 'alice';
      n++;
      const tokens: TokenSet & { claims: NonNullable<TokenSet['claims']> } = {
        accessToken: `at-${n}-${user}`,
        tokenType: 'Bearer',
        refreshToken: `rt-${n}-${user}`,
        expiresAt: now + 3_600_000,
        scopes: [...request.scopes],
        claims: { sub: `sub-${user}`, iss: config.issuer, preferred_username: user },
      };
      return withAccount(tokens);
    },
  });
  const events: SessionsChange[] = [];
  provider.onDidChangeSessions((e) => events.push(e));
  return { store, provider, signIns, revoked, users, events, advance: (ms: number) => (now += ms) };
}

describe('authentication provider', () => {
  it('on a write to one account, looks at that account only, and tells callers what changed', async () => {
    const { store, provider, events, users } = setup();
    users.push('bob', 'carol');
    const a = await provider.createSession([]);
    await provider.createSession([]);
    await provider.createSession([]);
    events.length = 0;
    const looked: string[] = [];
    const account = store.account.bind(store);
    store.account = (key) => (looked.push(key), account(key));
    await store.updateSession(a.id, (s) => ({ ...s, accessToken: 'renewed' }));
    assert.deepEqual([...new Set(looked)], [store.find(a.id)!.key]);
    assert.deepEqual(
      events.map((e) => e.changed.map((s) => s.accessToken)),
      [['renewed']],
    );
    assert.equal((await provider.getSessions([])).find((s) => s.id === a.id)?.accessToken, 'renewed');
  });

  it('signs in with the configured scopes plus the requested ones and reports the account', async () => {
    const { provider, signIns, events } = setup();
    const s = await provider.createSession(['api:read']);
    assert.deepEqual(signIns[0].scopes, ['api:read', 'offline_access', 'openid']);
    assert.deepEqual(s.account, { id: 'sub-alice', label: 'alice' });
    assert.deepEqual(s.scopes, ['api:read', 'offline_access', 'openid']);
    assert.equal(events.length, 1);
    assert.deepEqual(
      events[0].added.map((x) => x.id),
      [s.id],
    );
  });

  it('returns sessions whose granted scopes cover the request, for the asked account only', async () => {
    const { provider, users } = setup();
    users.push('bob');
    const a = await provider.createSession(['api:read']);
    const b = await provider.createSession([]);
    assert.deepEqual((await provider.getSessions(['openid'])).map((s) => s.id).sort(), [a.id, b.id].sort());
    assert.deepEqual(
      (await provider.getSessions(['api:read', 'openid', 'api:read'])).map((s) => s.id),
      [a.id],
    );
    assert.deepEqual(
      (await provider.getSessions(['openid'], { account: b.account })).map((s) => s.id),
      [b.id],
    );
    assert.deepEqual(await provider.getSessions(['api:write']), []);
  });

  it('never hands out a token that has expired or is about to', async () => {
    const { provider, advance } = setup();
    await provider.createSession([]);
    assert.equal((await provider.getSessions([])).length, 1);
    advance(3_600_000 - 10_000);
    assert.deepEqual(await provider.getSessions([]), []);
  });

  it('passes the account VS Code asks for as login_hint', async () => {
    const { provider, signIns } = setup();
    await provider.createSession([], { account: { id: 'sub-alice', label: 'alice@example.test' } });
    assert.equal(signIns[0].extraParameters.login_hint, 'alice@example.test');
  });

  it('signs out locally first, then revokes the access token and, with the last session, the refresh token', async () => {
    const { provider, revoked, events } = setup();
    const one = await provider.createSession([]);
    const two = await provider.createSession(['api:read']);
    await provider.removeSession(one.id);
    assert.deepEqual(
      (await provider.getSessions([])).map((s) => s.id),
      [two.id],
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(revoked, [['at-1-alice', 'access_token']]);
    await provider.removeSession(two.id);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(revoked.slice(1), [
      ['at-2-alice', 'access_token'],
      ['rt-1-alice', 'refresh_token'],
      ['rt-2-alice', 'refresh_token'],
    ]);
    assert.deepEqual(
      events.slice(-2).map((e) => e.removed.map((s) => s.id)),
      [[one.id], [two.id]],
    );
  });

  it('keeps the local sign-out when revocation fails', async () => {
    const { provider, store } = setup();
    (provider as unknown as { deps: { source: OAuthSource } }).deps.source.revoke = async () => {
      throw new Error('issuer down');
    };
    const s = await provider.createSession([]);
    await provider.removeSession(s.id);
    await new Promise((r) => setImmediate(r));
    assert.equal(store.accounts().length, 0);
  });

  it('reports a refreshed token as a changed session', async () => {
    const { provider, store, events } = setup();
    const s = await provider.createSession([]);
    await store.updateSession(s.id, (x) => ({ ...x, accessToken: 'renewed' }));
    assert.deepEqual(
      events.at(-1)!.changed.map((x) => x.accessToken),
      ['renewed'],
    );
  });
});
