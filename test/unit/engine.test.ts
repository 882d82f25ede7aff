import assert from 'node:assert/strict';
import type { ProviderConfig } from '../../src/session/config';
import { SessionKeeperEngine } from '../../src/session/engine';
import { silentLogger } from '../../src/session/base/log';
import { jwtExpiry } from '../../src/session/base/jwt';
import { defaultPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, freshRefreshState } from '../../src/session/storage/store';
import { FakeClock } from '../support/fakeClock';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { waitFor } from '../support/wait.mjs';

const provider = (id: string, label = id): ProviderConfig => ({
  kind: 'oauth',
  id,
  label,
  issuer: `https://${id}.example`,
  clientId: 'vscode',
  scopes: ['openid'],
  authorizationParameters: {},
});

function setup() {
  const clock = new FakeClock();
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets, new MemoryMemento(), silentLogger, { now: clock.now });
  const engine = new SessionKeeperEngine({
    store,
    clock,
    logger: silentLogger,
    fetch: () => Promise.reject(new Error('no network in unit tests')),
    requestTimeoutMs: 1_000,
    policy: defaultPolicy,
    memento: new MemoryMemento(),
    signIn: () => Promise.reject(new Error('not used')),
  });
  return { clock, secrets, store, engine };
}

describe('engine configuration', () => {
  it('adds, keeps, replaces and removes providers to match the setting', () => {
    const { engine } = setup();
    const first = engine.configure([provider('a'), provider('b')]);
    assert.deepEqual(
      first.added.map((p) => p.config.id),
      ['a', 'b'],
    );
    assert.deepEqual(first.removed, []);
    const kept = engine.provider('a');

    const second = engine.configure([provider('a'), provider('b', 'B renamed'), provider('c')]);
    assert.deepEqual(
      second.added.map((p) => p.config.id),
      ['b', 'c'],
    );
    assert.deepEqual(second.removed, ['b']);
    assert.equal(engine.provider('a'), kept, 'an unchanged entry keeps its provider');

    const third = engine.configure([provider('c')]);
    assert.deepEqual(third.removed.sort(), ['a', 'b']);
    assert.equal(engine.primaryProviderId(), 'c');
    engine.dispose();
  });

  it('follows the configured order for the primary provider', () => {
    const { engine } = setup();
    engine.configure([provider('b'), provider('a')]);
    assert.equal(engine.primaryProviderId(), 'b');
    assert.deepEqual(
      engine.providers().map((p) => p.id),
      ['b', 'a'],
    );
    engine.dispose();
  });

  it('keeps the signed-in accounts of a provider whose entry changed', async () => {
    const { engine, store, clock } = setup();
    engine.configure([provider('a')]);
    await store.putSession(
      'a',
      'https://a.example',
      { id: 'sub', label: 'alice' },
      {
        id: 's1',
        scopes: ['openid'],
        accessToken: 'access-token',
        tokenType: 'Bearer',
        expiresAt: clock.now() + 3_600_000,
        createdAt: clock.now(),
        refresh: freshRefreshState(false),
      },
    );
    engine.configure([provider('a', 'Renamed')]);
    assert.deepEqual(
      (await engine.provider('a')!.getSessions([])).map((s) => s.account.label),
      ['alice'],
    );
    assert.equal(engine.providers()[0].accounts[0].health.state, 'healthy');
    engine.dispose();
  });

  it('remembers the active account and hands its sessions out first', async () => {
    const { engine, store, clock } = setup();
    engine.configure([provider('a')]);
    for (const who of ['alice', 'bob']) {
      await store.putSession(
        'a',
        'https://a.example',
        { id: who, label: who },
        {
          id: `s-${who}`,
          scopes: ['openid'],
          accessToken: `access-token-${who}`,
          tokenType: 'Bearer',
          expiresAt: clock.now() + 3_600_000,
          createdAt: clock.now(),
          refresh: freshRefreshState(false),
        },
      );
    }
    assert.equal(engine.activeAccountId('a'), 'alice');
    await engine.switchAccount('a', 'bob');
    assert.deepEqual(
      (await engine.provider('a')!.getSessions([])).map((s) => s.account.label),
      ['bob', 'alice'],
    );
    assert.deepEqual(
      engine.providers()[0].accounts.map((a) => [a.label, a.active]),
      [
        ['alice', false],
        ['bob', true],
      ],
    );
    engine.dispose();
  });
});

describe('next refresh', () => {
  it('shows the hold a failed attempt placed when its state could not be written', async () => {
    const { engine, store, clock, secrets } = setup();
    engine.configure([provider('a')]);
    // Due now: the refresher starts renewing it as soon as it is stored.
    await store.putSession(
      'a',
      'https://a.example',
      { id: 'sub', label: 'alice' },
      {
        id: 's1',
        scopes: ['openid'],
        accessToken: 'access-token',
        refreshToken: 'refresh-token',
        tokenType: 'Bearer',
        expiresAt: clock.now() + 60_000,
        createdAt: clock.now() - 3_540_000,
        refresh: freshRefreshState(true),
      },
    );
    const session = () => engine.providers()[0].accounts[0].sessions[0];
    const planned = session().renewsAt!;
    assert.ok(planned <= clock.now(), 'due before the attempt');
    // The issuer cannot be reached, and the failure cannot be written down either.
    secrets.store = () => Promise.reject(new Error('keychain locked'));
    await waitFor(() => session().health.state !== 'refreshing', 'the attempt to end');
    assert.equal(session().refresh.consecutiveFailures, 0, 'the failure was not recorded');
    const renewsAt = session().renewsAt!;
    assert.ok(renewsAt > clock.now(), `next refresh after the hold, not at the stored ${planned - clock.now()} ms`);
    assert.ok(renewsAt <= clock.now() + defaultPolicy.baseBackoffMs, 'within the first backoff step');
    engine.dispose();
  });
});

describe('access token expiry', () => {
  it('reads exp from a JWT access token and nothing from an opaque one', () => {
    const jwt = (payload: object) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
    assert.equal(jwtExpiry(jwt({ exp: 1_700_000_000 })), 1_700_000_000_000);
    assert.equal(jwtExpiry(jwt({ sub: 'x' })), undefined);
    assert.equal(jwtExpiry('opaque-token-value-1234567890'), undefined);
  });
});
