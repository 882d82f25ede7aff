// A session goes back only to the issuer and client it came from. When the settings name another
// issuer or client for the same provider id, its sessions stay dormant: not served, not renewed,
// not revoked anywhere; they work again when the settings return.
import assert from 'node:assert/strict';
import { parseProviders, type ProviderConfig } from '../../src/session/config';
import { SessionKeeperEngine } from '../../src/session/engine';
import { silentLogger } from '../../src/session/base/log';
import { defaultPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, freshRefreshState, type Binding } from '../../src/session/storage/store';
import { FakeClock } from '../support/fakeClock';
import { MemoryMemento, MemorySecrets } from '../support/fakes';

const MIN = 60_000;
const corp: ProviderConfig = {
  kind: 'oauth',
  id: 'corp',
  label: 'Corp SSO',
  issuer: 'https://sso.corp.example',
  clientId: 'vscode',
  scopes: ['openid'],
  authorizationParameters: {},
};

function setup() {
  const clock = new FakeClock();
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger, { now: clock.now });
  const requests: string[] = [];
  const engine = new SessionKeeperEngine({
    store,
    clock,
    logger: silentLogger,
    // Every request is recorded and fails: the tests look at where requests would have gone.
    fetch: async (url) => {
      requests.push(new URL(url).origin);
      throw new Error('no network in unit tests');
    },
    requestTimeoutMs: 1_000,
    policy: defaultPolicy,
    memento: new MemoryMemento(),
    signIn: () => Promise.reject(new Error('not used')),
  });
  /** Alice's session from corp; a bare issuer stores it as records were before they named their client. */
  const signIn = (where: Binding | string = { issuer: corp.issuer, clientId: corp.clientId }) =>
    store.putSession(
      'corp',
      where,
      { id: 'alice-sub', label: 'alice' },
      {
        id: 's1',
        scopes: ['openid'],
        accessToken: 'access-token-from-corp',
        tokenType: 'Bearer',
        refreshToken: 'refresh-token-from-corp',
        expiresAt: clock.now() + 10 * MIN,
        createdAt: clock.now(),
        refresh: freshRefreshState(true),
      },
    );
  return { clock, store, engine, requests, signIn };
}

const variants: Array<[string, Partial<ProviderConfig>]> = [
  ['another issuer', { issuer: 'https://sso.corp-example.attacker.test' }],
  ['another client', { clientId: 'someone-elses-client' }],
];

describe('sessions bound to their issuer and client', () => {
  for (const [what, change] of variants) {
    it(`stay dormant when the settings name ${what} for the same id, and work again when they return`, async () => {
      const { clock, store, engine, requests, signIn } = setup();
      engine.configure([corp]);
      await signIn();
      engine.configure([{ ...corp, ...change }]);
      const provider = engine.provider('corp')!;

      assert.deepEqual(await provider.getSessions(undefined), [], 'not listed');
      assert.deepEqual(await provider.getSessions(['openid']), [], 'not served');
      await engine.refreshNow('corp');
      await clock.advance(30 * MIN); // well past the planned renewal and the expiry
      await provider.removeSession('s1'); // VS Code cannot sign it out through the other configuration
      assert.deepEqual(requests, [], 'no request went anywhere');
      assert.ok(store.find('s1'), 'the session is kept');
      const [account] = engine.providers()[0].accounts;
      assert.equal(account.dormant, true);
      assert.equal(account.health.state, 'dormant');
      assert.equal(account.active, false);

      engine.configure([corp]);
      assert.deepEqual(
        (await engine.provider('corp')!.getSessions(undefined)).map((s) => s.account.label),
        ['alice'],
      );
      await clock.advance(MIN);
      assert.ok(requests.length > 0 && requests.every((r) => r === corp.issuer), `requests went to ${requests.join(', ')}`);
      engine.dispose();
    });
  }

  it('never hands an OAuth grant to an endpoint provider at the same origin, also one stored before sessions named their client', async () => {
    const { clock, store, engine, requests, signIn } = setup();
    // A record from before the client binding: it matches by issuer alone.
    await signIn(corp.issuer);
    const { providers, problems } = parseProviders([
      { kind: 'endpoint', id: 'corp', inputs: ['token'], renew: { url: `${corp.issuer}/renew` }, expiry: { seconds: 3600 } },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(providers[0].issuer, corp.issuer, 'the same origin');
    engine.configure(providers);
    assert.deepEqual(await engine.provider('corp')!.getSessions(undefined), [], 'not listed');
    await engine.refreshNow('corp');
    await clock.advance(30 * MIN);
    assert.deepEqual(requests, []);
    assert.equal(store.find('s1')?.session.refresh.needsSignIn, undefined, 'not ended by a source that cannot renew it');
    assert.equal(engine.providers()[0].accounts[0].dormant, true);
    engine.configure([corp]);
    assert.equal((await engine.provider('corp')!.getSessions(undefined)).length, 1, 'served again by its own kind of provider');
    engine.dispose();
  });

  it('forgets a dormant account on sign-out without revoking it anywhere', async () => {
    const { engine, store, requests, signIn } = setup();
    engine.configure([corp]);
    await signIn();
    engine.configure([{ ...corp, issuer: 'https://sso.corp-example.attacker.test' }]);
    await engine.signOut('corp', 'alice-sub');
    assert.equal(store.find('s1'), undefined);
    assert.deepEqual(requests, []);
    engine.dispose();
  });
});
