// The outage contract on a fake clock: an account never looks signed out while its issuer is
// unreachable, callers can tell "offline" from "signed out", each account makes one network
// attempt per backoff step however many callers ask, and renewal resumes soon after the issuer is back.
import assert from 'node:assert/strict';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { createLogger } from '../../src/session/base/log';
import type { OAuthClient } from '../../src/session/kinds/oauth/client';
import type { TokenSet } from '../../src/session/kinds/oauth/tokens';
import { SessionKeeperProvider } from '../../src/session/provider';
import { Refresher, defaultPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, freshRefreshState } from '../../src/session/storage/store';
import { FakeClock, flush } from '../support/fakeClock';
import { CapturingSink, MemoryMemento, MemorySecrets } from '../support/fakes';
import { OAuthSource } from '../../src/session/kinds/oauth/source';

const MIN = 60_000;
const config = {
  kind: 'oauth' as const,
  id: 'corp',
  label: 'Corp SSO',
  issuer: 'https://idp.example',
  clientId: 'vscode',
  scopes: ['openid'],
  authorizationParameters: {},
};

function setup() {
  const clock = new FakeClock();
  const sink = new CapturingSink();
  const logger = createLogger(sink);
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), logger, { now: clock.now });
  const issuer = { up: true, refreshes: 0, probes: 0 };
  let n = 0;
  const client = {
    issuer: config.issuer,
    refreshTokenGrant: async (): Promise<TokenSet> => {
      issuer.refreshes++;
      if (!issuer.up) throw new SessionKeeperError(ErrorCode.Unreachable, 'Cannot reach idp.example (ECONNREFUSED).');
      n++;
      return { accessToken: `at-${n}`, refreshToken: `rt-${n}`, tokenType: 'Bearer', expiresAt: clock.now() + 20 * MIN };
    },
    reachable: async () => {
      issuer.probes++;
      return issuer.up;
    },
    revoke: async () => true,
  } as unknown as OAuthClient;
  const source = new OAuthSource(client);
  const refresher = new Refresher({ store, source: () => source, clock, logger, policy: defaultPolicy });
  const provider = new SessionKeeperProvider(config, {
    store,
    source,
    logger,
    now: clock.now,
    ensureFresh: (id) => refresher.ensureFresh(id),
    signIn: () => Promise.reject(new Error('not used')),
  });
  const signIn = () =>
    store.putSession(
      'corp',
      { issuer: config.issuer, clientId: config.clientId },
      { id: 'alice-sub', label: 'alice' },
      {
        id: 's1',
        scopes: ['openid'],
        accessToken: 'at-0',
        tokenType: 'Bearer',
        refreshToken: 'rt-0',
        expiresAt: clock.now() + 20 * MIN,
        createdAt: clock.now(),
        refresh: freshRefreshState(true),
      },
    );
  return { clock, sink, store, issuer, refresher, provider, signIn };
}

const offlineNamingTheProvider = (e: unknown) =>
  e instanceof SessionKeeperError && e.code === ErrorCode.Offline && e.message.includes('Corp SSO') && e.message.includes('alice');

describe('an outage', () => {
  it('never removes the account from the list VS Code shows, however long it lasts', async () => {
    const { clock, issuer, refresher, provider, signIn } = setup();
    await signIn();
    refresher.start();
    const removed: string[] = [];
    provider.onDidChangeSessions((e) => removed.push(...e.removed.map((s) => s.account.label)));
    issuer.up = false;
    for (let i = 0; i < 36; i++) {
      await clock.advance(5 * MIN);
      const listed = await provider.getSessions(undefined);
      assert.deepEqual(
        listed.map((s) => s.account.label),
        ['alice'],
        `listed after ${(i + 1) * 5} min`,
      );
    }
    assert.deepEqual(removed, []);
    refresher.dispose();
  });

  it('lists an account whose token expired without handing out the expired token', async () => {
    const { clock, issuer, refresher, provider, signIn } = setup();
    await signIn();
    refresher.start();
    issuer.up = false;
    await clock.advance(30 * MIN);
    const [listed] = await provider.getSessions(undefined);
    assert.equal(listed.accessToken, '');
    refresher.dispose();
  });

  it('answers a caller that needs a token with an error naming the provider and account, not with "signed out"', async () => {
    const { clock, issuer, refresher, provider, signIn } = setup();
    await signIn();
    refresher.start();
    issuer.up = false;
    await clock.advance(30 * MIN);
    await assert.rejects(provider.getSessions(['openid']), offlineNamingTheProvider);
    refresher.dispose();
  });

  it('with auto-refresh off, tells a caller so (naming the provider) instead of reporting an outage, and still lists the account', async () => {
    const { clock, issuer, refresher, provider, signIn, store } = setup();
    await signIn();
    await store.updateSession('s1', (s) => ({ ...s, refresh: { ...s.refresh, autoRefresh: false } }));
    refresher.start();
    await clock.advance(30 * MIN);
    await assert.rejects(
      provider.getSessions(['openid']),
      (e: unknown) =>
        e instanceof SessionKeeperError &&
        e.code === ErrorCode.AutoRefreshOff &&
        /^Corp SSO: Auto-refresh is off for alice/.test(e.message),
    );
    assert.equal(issuer.refreshes, 0);
    assert.deepEqual(
      (await provider.getSessions(undefined)).map((s) => [s.account.label, s.accessToken]),
      [['alice', '']],
    );
    refresher.dispose();
  });

  it('makes one network attempt per backoff step however many callers ask, and logs one line per change', async () => {
    const { clock, issuer, refresher, provider, signIn, sink } = setup();
    await signIn();
    refresher.start();
    issuer.up = false;
    await clock.advance(20 * MIN + 1_000); // the planned renewal failed, then the token expired
    const attempts = issuer.refreshes;
    const backoffNow = refresher.state().nextRefreshAt! - clock.now();
    assert.ok(backoffNow > 30_000, `backoff of ${backoffNow} ms`);
    // 33 callers a second for 35 s, as a busy extension would ask.
    let offline = 0;
    for (let second = 0; second < 35; second++) {
      const answers = await Promise.all(
        Array.from({ length: 33 }, () =>
          provider.getSessions(['openid']).then(
            () => 'served',
            (e: unknown) => e,
          ),
        ),
      );
      offline += answers.filter(offlineNamingTheProvider).length;
      await clock.advance(1_000);
    }
    assert.equal(offline, 35 * 33, 'every caller was told the account is offline');
    // Only the planned attempts of the backoff happened: callers added none.
    const planned = Math.ceil(35_000 / Math.max(1, backoffNow)) + 1;
    assert.ok(issuer.refreshes - attempts <= planned, `${issuer.refreshes - attempts} attempts in 35 s with a ${backoffNow} ms backoff`);
    const warnings = sink.lines.filter((l) => l.startsWith('warn ') && l.includes('Refreshing'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    refresher.dispose();
  });

  it('serves a fresh token within the probe interval of the issuer coming back, long before the backoff ends', async () => {
    const { clock, issuer, refresher, provider, signIn } = setup();
    await signIn();
    refresher.start();
    issuer.up = false;
    await clock.advance(60 * MIN); // backoff has reached its five-minute cap
    const attempts = issuer.refreshes;
    issuer.up = true;
    const back = clock.now();
    while (clock.now() - back < 5 * MIN) {
      await clock.advance(1_000);
      const [session] = await provider.getSessions(['openid']).catch(() => []);
      if (session) break;
    }
    assert.ok(clock.now() - back <= defaultPolicy.probeIntervalMs + 1_000, `served after ${(clock.now() - back) / 1000} s`);
    assert.equal(issuer.refreshes, attempts + 1, 'exactly one refresh after the issuer came back');
    assert.ok(issuer.probes > 0);
    refresher.dispose();
  });

  it('probes without any token, and only while an issuer is unreachable', async () => {
    const { clock, issuer, refresher, signIn } = setup();
    await signIn();
    refresher.start();
    await clock.advance(60 * MIN);
    assert.equal(issuer.probes, 0, 'no probes while all is well');
    issuer.up = false;
    await clock.advance(20 * MIN); // the next planned renewal fails within this time
    const before = issuer.probes;
    await clock.advance(10 * MIN);
    const probes = issuer.probes - before;
    // One every 10 s, restarting after each (capped, 2.5–5 min apart) renewal attempt.
    assert.ok(probes >= 45 && probes <= 61, `${probes} probes in 10 min`);
    const refreshes = issuer.refreshes;
    issuer.up = true;
    await clock.advance(30 * MIN);
    await flush();
    const after = issuer.probes;
    await clock.advance(30 * MIN);
    assert.equal(issuer.probes, after, 'probing stops once the issuer is back');
    assert.ok(issuer.refreshes > refreshes, 'renewal resumed');
    refresher.dispose();
  });
});
