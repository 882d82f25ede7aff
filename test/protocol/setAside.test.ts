// Records the store sets aside as damaged, against a real OpenID Provider: a refresh token such a
// record still holds is revoked at the issuer it came from (and nowhere else), and the record leaves
// SecretStorage SET_ASIDE_KEEP_MS later; the log says each step and never shows the token.
import assert from 'node:assert/strict';
import { startIdp, type Idp } from '../idp/idp.mjs';
import { authorizationCodeFlow, type BrowserHost } from '../../src/session/kinds/oauth/flows/authorizationCode';
import { withAccount } from '../../src/session/kinds/oauth/flows/contract';
import { systemClock, type Clock } from '../../src/session/base/clock';
import type { ProviderConfig } from '../../src/session/config';
import { SessionKeeperEngine } from '../../src/session/engine';
import { createFetch } from '../../src/session/net/http';
import { createLogger } from '../../src/session/base/log';
import { defaultPolicy } from '../../src/session/refresh/refresher';
import { SET_ASIDE_KEEP_MS } from '../../src/session/storage/setAside';
import { SessionStore } from '../../src/session/storage/store';
import { CapturingSink, MemoryMemento, MemorySecrets } from '../support/fakes';
import type { OAuthSource } from '../../src/session/kinds/oauth/source';

const config = (id: string, idp: Idp): ProviderConfig => ({
  kind: 'oauth',
  id,
  label: id,
  issuer: idp.issuer,
  clientId: 'session-keeper',
  scopes: ['email', 'offline_access', 'openid', 'profile'],
  authorizationParameters: {},
});

/** One window: its engine over the shared secrets and global state, with its own clock. */
function windowOf(idp: Idp, secrets: MemorySecrets, memento: MemoryMemento, clock: Clock = systemClock) {
  const sink = new CapturingSink();
  const logger = createLogger(sink);
  const store = new SessionStore(secrets, memento, logger, { now: clock.now });
  const host: BrowserHost = {
    externalUri: async (u) => u,
    openBrowser: async (url) => {
      void fetch(await idp.login(url, { login: 'alice' }));
      return true;
    },
  };
  const engine = new SessionKeeperEngine({
    store,
    clock,
    logger,
    fetch: createFetch(5_000),
    requestTimeoutMs: 5_000,
    policy: defaultPolicy,
    memento: new MemoryMemento(),
    signIn: (_config, source, request) =>
      authorizationCodeFlow((source as OAuthSource).client, host, logger, { ...request, signal: new AbortController().signal }).then(
        withAccount,
      ),
  });
  return { sink, store, engine };
}

const asideKeys = (secrets: MemorySecrets) => [...secrets.data.keys()].filter((k) => k.startsWith('sessionKeeper.quarantine/'));

describe('records set aside as damaged, against a real OpenID Provider', function () {
  this.timeout(60_000);
  let idp: Idp;
  beforeEach(async () => {
    idp = await startIdp();
  });
  afterEach(async () => idp.close());

  /** alice signs in; then her record is damaged (a field a newer version would not write), keeping its binding and refresh token. */
  async function damagedSignIn() {
    const secrets = new MemorySecrets();
    const memento = new MemoryMemento();
    const first = windowOf(idp, secrets, memento);
    await first.store.load();
    first.engine.configure([config('acme', idp)]);
    await first.engine.provider('acme')!.createSession([]);
    const [key, record] = [...first.store.entries()][0];
    const refreshToken = record.sessions[0].refreshToken!;
    first.engine.dispose();
    secrets.data.set(key, JSON.stringify({ ...record, generation: 'many' }));
    return { secrets, memento, refreshToken };
  }

  it('revokes the refresh token of a damaged record at its issuer once, and removes the record after the time it is kept', async () => {
    const { secrets, memento, refreshToken } = await damagedSignIn();
    idp.resetStats();
    const second = windowOf(idp, secrets, memento);
    await second.store.load();
    assert.equal(second.store.accounts().length, 0, 'the damaged record was set aside');
    assert.equal(asideKeys(secrets).length, 1);
    second.engine.configure([config('acme', idp)]);
    await second.engine.setAsideSwept();
    assert.match(
      second.sink.text(),
      /Revoked 1 refresh token\(s\) of a record set aside, at http:\/\/127\.0\.0\.1:\d+; the record is removed on /,
    );
    assert.equal(idp.stats().revocations, 1);
    // The grant is gone at the issuer: the token no longer renews anything.
    const refused = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'session-keeper' }),
    });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_grant');
    assert.equal(asideKeys(secrets).length, 1, 'kept for a while, for whoever looks into the damage');
    second.engine.dispose();

    // Another start within the week: nothing is sent again.
    const third = windowOf(idp, secrets, memento);
    await third.store.load();
    third.engine.configure([config('acme', idp)]);
    await third.engine.setAsideSwept();
    assert.equal(idp.stats().revocations, 1);
    assert.doesNotMatch(third.sink.text(), /set aside/);
    third.engine.dispose();

    // A start after the week: the record is gone, and the log says so.
    const later: Clock = { ...systemClock, now: () => Date.now() + SET_ASIDE_KEEP_MS + 60_000 };
    const fourth = windowOf(idp, secrets, memento, later);
    await fourth.store.load();
    fourth.engine.configure([config('acme', idp)]);
    await fourth.engine.setAsideSwept();
    assert.deepEqual(asideKeys(secrets), []);
    assert.match(fourth.sink.text(), /Removed a record set aside on \d{4}-\d\d-\d\d, 7 days later/);
    fourth.engine.dispose();
    for (const w of [second, third, fourth]) assert.ok(!w.sink.text().includes(refreshToken), 'the token reached the log');
  });

  it('sends the token nowhere while no provider names its issuer and client, and revokes it once one does', async () => {
    const { secrets, memento } = await damagedSignIn();
    idp.resetStats();
    const other = await startIdp();
    try {
      const w = windowOf(idp, secrets, memento);
      await w.store.load();
      // Only a provider for another issuer, and one for the same issuer with another client.
      w.engine.configure([config('elsewhere', other), { ...config('acme', idp), clientId: 'another-client' }]);
      await w.engine.setAsideSwept();
      assert.match(w.sink.text(), /comes from http:\/\/127\.0\.0\.1:\d+, which no provider names now/);
      assert.equal(idp.stats().revocations, 0);
      assert.equal(other.stats().revocations, 0);
      w.engine.configure([config('elsewhere', other), config('acme', idp)]);
      await w.engine.setAsideSwept();
      assert.match(w.sink.text(), /Revoked 1 refresh token\(s\) of a record set aside/);
      assert.equal(idp.stats().revocations, 1);
      assert.equal(other.stats().revocations, 0);
      w.engine.dispose();
    } finally {
      await other.close();
    }
  });
});
