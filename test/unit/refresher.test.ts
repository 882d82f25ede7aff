import assert from 'node:assert/strict';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { silentLogger } from '../../src/session/base/log';
import type { OAuthClient } from '../../src/session/kinds/oauth/client';
import type { TokenSet } from '../../src/session/kinds/oauth/tokens';
import { Refresher, backoffDelay, defaultPolicy, planRefresh, refreshLead, type RefreshPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, freshRefreshState, type StoredAccount, type StoredSession } from '../../src/session/storage/store';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { FakeClock, flush } from '../support/fakeClock';
import { OAuthSource } from '../../src/session/kinds/oauth/source';
import type { SessionSource } from '../../src/session/refresh/source';

const HOUR = 3_600_000;
const MIN = 60_000;

type Behaviour = (refreshToken: string) => Promise<TokenSet>;

function setup(opts: { policy?: Partial<RefreshPolicy>; behaviour?: Behaviour } = {}) {
  const clock = new FakeClock();
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger, { now: clock.now });
  let n = 0;
  const calls: string[] = [];
  const ok: Behaviour = async () => {
    n++;
    return { accessToken: `at-${n}`, refreshToken: `rt-${n}`, tokenType: 'Bearer', expiresAt: clock.now() + HOUR };
  };
  const state = { behaviour: opts.behaviour ?? ok };
  const client = {
    issuer: 'https://idp.example',
    refreshTokenGrant: (rt: string) => {
      calls.push(rt);
      return state.behaviour(rt);
    },
  } as unknown as OAuthClient;
  const signInNeeded: StoredAccount[] = [];
  const source = new OAuthSource(client);
  const refresher = new Refresher({
    store,
    source: () => source,
    clock,
    logger: silentLogger,
    policy: { ...defaultPolicy, ...opts.policy },
    onSignInNeeded: (a) => signInNeeded.push(a),
  });
  const add = async (id: string, expiresIn: number, extra: Partial<StoredSession> = {}, account = 'alice') => {
    await store.putSession(
      'corp',
      'https://idp.example',
      { id: account, label: account },
      {
        id,
        scopes: [id],
        accessToken: `initial-${id}`,
        tokenType: 'Bearer',
        refreshToken: `initial-rt-${id}`,
        expiresAt: clock.now() + expiresIn,
        createdAt: clock.now(),
        refresh: freshRefreshState(true),
        ...extra,
      },
    );
  };
  return { clock, store, refresher, calls, state, ok, signInNeeded, add };
}

describe('refresh planning', () => {
  it('renews when less than max(lead time, 20% of the lifetime) remains', () => {
    assert.equal(refreshLead(HOUR, 5 * MIN), 12 * MIN);
    assert.equal(refreshLead(10 * MIN, 5 * MIN), 5 * MIN);
    assert.equal(refreshLead(24 * HOUR, 5 * MIN), 4.8 * HOUR);
  });

  it('never plans a renewal before half of a short lifetime has passed', () => {
    assert.equal(refreshLead(10_000, 5 * MIN), 5_000);
  });

  it('spreads renewals with jitter of at most 5% of the lifetime and 30 s', () => {
    const issued = 1_000_000;
    const planned = [0, 0.5, 0.999999].map((r) => planRefresh(issued, issued + HOUR, 5 * MIN, () => r)!);
    const latest = issued + HOUR - 12 * MIN;
    assert.equal(planned[0], latest);
    assert.ok(planned.every((p) => p <= latest && p >= latest - 30_000));
    assert.ok(planned[2] < planned[1] && planned[1] < planned[0]);
    const short = planRefresh(issued, issued + 10_000, 5 * MIN, () => 0.999999)!;
    assert.ok(short >= issued + 5_000 - 500 && short <= issued + 5_000);
    assert.equal(
      planRefresh(issued, undefined, 5 * MIN, () => 0),
      undefined,
    );
  });

  it('backs off exponentially with jitter, up to a cap, and honours a longer Retry-After', () => {
    const p = { ...defaultPolicy, baseBackoffMs: 2_000, maxBackoffMs: 5 * MIN };
    const lo = (f: number) => backoffDelay(f, p, () => 0);
    const hi = (f: number) => backoffDelay(f, p, () => 0.999999);
    assert.deepEqual([1, 2, 3, 4].map(lo), [1_000, 2_000, 4_000, 8_000]);
    assert.ok(hi(1) < 2_000 && hi(1) > 1_999);
    assert.equal(lo(30), 2.5 * MIN);
    assert.ok(hi(30) <= 5 * MIN);
    assert.equal(
      backoffDelay(1, p, () => 0, 120),
      120_000,
    );
    assert.equal(
      backoffDelay(12, p, () => 0, 1),
      2.5 * MIN,
    );
  });
});

describe('background refresher', () => {
  it('keeps one timer, set for the earliest due refresh, for 1,000 sessions', async () => {
    const { clock, refresher, add, store } = setup({ policy: { heartbeatMs: 24 * HOUR } });
    for (let i = 0; i < 1000; i++) await add(`s${i}`, HOUR + i * 1000, {}, `user${i % 50}`);
    refresher.start();
    assert.equal(clock.pendingTimers, 1);
    const earliest = Math.min(
      ...store
        .accounts()
        .flatMap((a) => a.sessions)
        .map((s) => s.expiresAt! - 12 * MIN),
    );
    assert.equal(refresher.state().timerDueAt, earliest);
    assert.equal(refresher.state().timers, 1);
    refresher.dispose();
    assert.equal(clock.pendingTimers, 0);
  });

  it('re-plans only the session a write touched, with 1,000 sessions, and keeps the one timer', async () => {
    const { clock, refresher, add, store } = setup({ policy: { heartbeatMs: 24 * HOUR } });
    for (let i = 0; i < 1000; i++) await add(`s${i}`, HOUR + i * 1000, {}, `user${i}`);
    refresher.start();
    assert.equal(refresher.state().planned, 1000);
    const before = refresher.state().replanned;
    // Moves the earliest session's plan past all others: the timer follows the new earliest.
    await store.updateSession('s0', (s) => ({ ...s, refresh: { ...s.refresh, nextRefreshAt: clock.now() + 2 * HOUR } }));
    assert.equal(refresher.state().replanned - before, 1);
    assert.equal(refresher.state().nextRefreshAt, store.find('s1')!.session.expiresAt! - Math.round(0.2 * (HOUR + 1000)));
    assert.equal(clock.pendingTimers, 1);
    refresher.dispose();
  });

  it('uses no timer but the heartbeat between due times, and re-plans nothing on it', async () => {
    const { clock, refresher, add } = setup();
    for (let i = 0; i < 100; i++) await add(`s${i}`, 10 * HOUR + i * 1000, {}, `user${i}`);
    refresher.start();
    const before = refresher.state().replanned;
    for (let i = 0; i < 30; i++) await clock.advance(60_000);
    assert.equal(refresher.state().replanned, before);
    assert.equal(clock.pendingTimers, 1);
    refresher.dispose();
  });

  it('renews sessions on its own across many lifetimes', async () => {
    const { clock, refresher, add, store, calls } = setup();
    await add('s1', HOUR);
    refresher.start();
    await clock.advance(10 * HOUR);
    const s = store.find('s1')!.session;
    assert.ok(calls.length >= 11 && calls.length <= 13, `refreshed ${calls.length} times`);
    assert.equal(s.refresh.refreshCount, calls.length);
    assert.ok(s.expiresAt! > clock.now() + 30 * MIN, 'always renewed ahead of expiry');
    assert.equal(calls[1], 'rt-1', 'each refresh presents the newest refresh token');
  });

  it('shares one in-flight refresh among 50 concurrent callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { clock, refresher, add, calls, ok, state } = setup();
    state.behaviour = async (rt) => {
      await gate;
      return ok(rt);
    };
    await add('s1', 10_000);
    clock.jump(9_000);
    const results = Promise.all(Array.from({ length: 50 }, () => refresher.ensureFresh('s1')));
    await flush();
    release();
    const sessions = await results;
    assert.equal(calls.length, 1);
    assert.ok(sessions.every((s) => s?.accessToken === 'at-1'));
  });

  it('never hands out an expired token: renews inline, or says it is offline (never "signed out")', async () => {
    const { clock, refresher, add, state, store } = setup({ policy: { inlineWaitMs: 5_000 } });
    await add('s1', 10_000);
    await clock.advance(20_000);
    // Renewed inline.
    assert.equal((await refresher.ensureFresh('s1'))?.accessToken, 'at-1');
    const isOffline = (message: RegExp) => (e: unknown) =>
      e instanceof SessionKeeperError && e.code === ErrorCode.Offline && message.test(e.message);
    // The issuer is down: no stale token, and an error that says why.
    state.behaviour = async () => {
      throw new SessionKeeperError(ErrorCode.Unreachable, 'down');
    };
    await clock.advance(2 * HOUR);
    await assert.rejects(refresher.ensureFresh('s1'), isOffline(/down/));
    // The issuer hangs: answer within the bounded wait, with the same kind of error.
    state.behaviour = () => new Promise(() => undefined);
    await clock.advance(HOUR);
    const pending = refresher.ensureFresh('s1');
    const settled = pending.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await clock.advance(5_000);
    assert.ok(isOffline(/./)(await settled), String(await settled));
    assert.ok(store.find('s1'), 'the session is kept');
  });

  it('keeps the session through transient failures, backing off up to the cap, then resumes', async () => {
    const { clock, refresher, add, store, state, ok, calls } = setup();
    await add('s1', HOUR);
    state.behaviour = async () => {
      throw new SessionKeeperError(ErrorCode.Unreachable, 'Cannot reach idp.example');
    };
    refresher.start();
    await clock.advance(48 * MIN + 30_000);
    const failing = store.find('s1')!.session;
    assert.ok(failing.refresh.consecutiveFailures >= 1);
    assert.equal(failing.refresh.lastError, 'Cannot reach idp.example');
    // Delays between attempts grow and stop growing at five minutes.
    const times: number[] = [];
    const before = calls.length;
    for (let i = 0; i < 40; i++) {
      const c = calls.length;
      await clock.advance(10_000);
      if (calls.length > c) times.push(clock.now());
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(calls.length > before);
    assert.ok(
      gaps.every((g) => g <= 5 * MIN + 10_000),
      `gaps ${gaps.join(', ')}`,
    );
    assert.ok(store.find('s1'), 'the session is kept');
    state.behaviour = ok;
    await clock.advance(6 * MIN);
    const healed = store.find('s1')!.session;
    assert.equal(healed.refresh.consecutiveFailures, 0);
    assert.equal(healed.refresh.lastError, undefined);
    assert.match(healed.accessToken, /^at-/);
  });

  it('waits as long as Retry-After asks, up to the backoff cap', async () => {
    for (const [asked, expected] of [
      [120, 120_000],
      [600, 5 * MIN],
      [99_999_999_999, 5 * MIN],
    ]) {
      const { clock, refresher, add, store, state, calls } = setup();
      await add('s1', HOUR);
      state.behaviour = async () => {
        throw new SessionKeeperError(ErrorCode.ServerError, 'HTTP 429', asked);
      };
      refresher.start();
      await clock.advance(48 * MIN);
      assert.equal(calls.length, 1);
      const next = store.find('s1')!.session.refresh.nextRefreshAt!;
      assert.ok(
        next - clock.now() >= expected - 10_000 && next - clock.now() <= expected,
        `Retry-After ${asked}: retry in ${next - clock.now()} ms`,
      );
      await clock.advance(expected - 20_000);
      assert.equal(calls.length, 1, `no attempt before Retry-After ${asked} has passed`);
      refresher.dispose();
    }
  });

  it('ends only the session whose grant is gone, and says so once per account', async () => {
    const { clock, refresher, add, store, state, ok, signInNeeded } = setup();
    await add('a1', HOUR, {}, 'alice');
    await add('a2', HOUR + 1_000, {}, 'alice');
    await add('b1', HOUR, {}, 'bob');
    state.behaviour = async (rt) => {
      if (rt.includes('-a')) throw new SessionKeeperError(ErrorCode.GrantRevoked, 'invalid_grant');
      return ok(rt);
    };
    refresher.start();
    await clock.advance(50 * MIN);
    assert.ok(store.find('a1')!.session.refresh.needsSignIn);
    assert.ok(store.find('a2')!.session.refresh.needsSignIn);
    assert.ok(!store.find('b1')!.session.refresh.needsSignIn);
    assert.match(store.find('b1')!.session.accessToken, /^at-/);
    assert.deepEqual(
      signInNeeded.map((a) => a.account.label),
      ['alice'],
    );
    assert.equal(await refresher.ensureFresh('a1'), undefined);

    // Alice signs in again (her new session replaces the ended ones); if that grant ends too, she hears of it again.
    await store.removeSession('a2');
    await add('a1', HOUR, {}, 'alice');
    await clock.advance(50 * MIN);
    assert.deepEqual(
      signInNeeded.map((a) => a.account.label),
      ['alice', 'alice'],
    );
  });

  it('re-evaluates every session at once after an 8-hour sleep', async () => {
    const { clock, refresher, add, store, calls } = setup();
    for (let i = 0; i < 5; i++) await add(`s${i}`, HOUR + i * MIN, {}, `u${i}`);
    refresher.start();
    await clock.advance(MIN);
    assert.equal(calls.length, 0);
    clock.jump(8 * HOUR);
    // The heartbeat fires within a minute of waking and notices the jump.
    await clock.advance(defaultPolicy.heartbeatMs);
    assert.equal(calls.length, 5);
    for (let i = 0; i < 5; i++) assert.ok(store.find(`s${i}`)!.session.expiresAt! > clock.now());
  });

  it('retries a session in backoff as soon as the machine wakes', async () => {
    const { clock, refresher, add, store, state, ok, calls } = setup({ policy: { baseBackoffMs: 4 * MIN } });
    await add('s1', HOUR);
    state.behaviour = async () => {
      throw new SessionKeeperError(ErrorCode.Unreachable, 'offline');
    };
    refresher.start();
    await clock.advance(48 * MIN);
    const failed = store.find('s1')!.session.refresh;
    assert.equal(failed.consecutiveFailures, 1);
    assert.ok(failed.nextRefreshAt! - clock.now() >= 2 * MIN, 'the first retry waits at least two minutes');
    state.behaviour = ok;
    const n = calls.length;
    // A short sleep: the retry time is still ahead, but the network may be back; try now.
    clock.jump(45_000);
    await clock.advance(defaultPolicy.heartbeatMs);
    assert.ok(clock.now() < failed.nextRefreshAt!);
    assert.equal(calls.length, n + 1);
    assert.equal(store.find('s1')!.session.refresh.consecutiveFailures, 0);
  });

  it('keeps at most maxConcurrent refreshes in flight in a storm', async () => {
    const { clock, refresher, add, calls } = setup({ policy: { maxConcurrent: 4 } });
    for (let i = 0; i < 100; i++) await add(`s${i}`, 10 * MIN, {}, `u${i}`);
    refresher.start();
    await clock.advance(6 * MIN);
    for (let i = 0; i < 100 && calls.length < 100; i++) await flush();
    assert.equal(calls.length, 100);
    assert.equal(refresher.state().maxInFlight, 4);
  });

  it('serves a session without a refresh token until it expires, then not at all', async () => {
    const { clock, refresher, add, calls } = setup();
    await add('s1', 10 * MIN, { refreshToken: undefined, refresh: freshRefreshState(false) });
    refresher.start();
    assert.equal((await refresher.ensureFresh('s1'))?.accessToken, 'initial-s1');
    await clock.advance(10 * MIN);
    assert.equal(await refresher.ensureFresh('s1'), undefined);
    assert.equal(calls.length, 0);
  });
});

describe('auto-refresh off, and sessions of another kind', () => {
  it('with auto-refresh off, renews only on an explicit refresh, and tells callers why an expired token is not renewed', async () => {
    const { clock, refresher, add, calls, store } = setup();
    await add('s1', HOUR, { refresh: { ...freshRefreshState(true), autoRefresh: false } });
    refresher.start();
    await clock.advance(2 * HOUR);
    assert.equal(calls.length, 0, 'no background renewal');
    await assert.rejects(
      refresher.ensureFresh('s1'),
      (e: unknown) =>
        e instanceof SessionKeeperError && e.code === ErrorCode.AutoRefreshOff && /Auto-refresh is off for alice/.test(e.message),
    );
    assert.equal(calls.length, 0, 'no renewal for a caller either');
    const renewed = await refresher.refresh('s1');
    assert.deepEqual(calls, ['initial-rt-s1']);
    assert.equal(renewed?.accessToken, 'at-1');
    assert.equal(store.find('s1')?.session.refresh.refreshCount, 1);
    await clock.advance(3 * HOUR);
    assert.equal(calls.length, 1, 'still no background renewal after the explicit one');
  });

  it('renews an endpoint session through its source, keeping its values, with the same planning and tracking', async () => {
    const clock = new FakeClock();
    const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger, { now: clock.now });
    const seen: string[] = [];
    let n = 0;
    const source: SessionSource = {
      origin: 'http://127.0.0.1:9',
      renew: async (session) => {
        seen.push(session.endpoint!.values.token);
        n++;
        if (n === 2) throw new SessionKeeperError(ErrorCode.InvalidResponse, 'the answer has no "token"');
        return {
          accessToken: `tok-${n}`,
          tokenType: 'Bearer',
          expiresAt: clock.now() + HOUR,
          endpoint: { values: { token: `tok-${n}`, fingerprint: 'fp' }, cookies: {} },
        };
      },
      reachable: async () => true,
    };
    // A backoff long enough to see the failed attempt before its retry.
    const policy = { ...defaultPolicy, baseBackoffMs: 4 * MIN };
    const refresher = new Refresher({ store, source: () => source, clock, logger: silentLogger, policy });
    await store.putSession(
      'dash',
      'http://127.0.0.1:9',
      { id: 'alice', label: 'alice' },
      {
        id: 'e1',
        scopes: [],
        accessToken: 'tok-0',
        tokenType: 'Bearer',
        expiresAt: clock.now() + HOUR,
        createdAt: clock.now(),
        endpoint: { values: { token: 'tok-0', fingerprint: 'fp' }, cookies: {} },
        refresh: freshRefreshState(true),
      },
    );
    refresher.start();
    await clock.advance(HOUR - 11 * MIN);
    assert.deepEqual(seen, ['tok-0']);
    let s = store.find('e1')!.session;
    assert.equal(s.accessToken, 'tok-1');
    assert.deepEqual(s.endpoint?.values, { token: 'tok-1', fingerprint: 'fp' });
    await clock.advance(HOUR - 12 * MIN);
    s = store.find('e1')!.session;
    assert.equal(s.refresh.consecutiveFailures, 1, 'a missing value is a transient failure');
    assert.match(s.refresh.lastError ?? '', /no "token"/);
    assert.equal(s.accessToken, 'tok-1', 'the session is kept');
    await clock.advance(10 * MIN);
    s = store.find('e1')!.session;
    assert.equal(s.accessToken, 'tok-3');
    assert.equal(s.refresh.refreshCount, 2);
    assert.equal(s.refresh.consecutiveFailures, 0);
    refresher.dispose();
  });
});

describe('background refresher, edge cases', () => {
  it('leaves alone the sessions of a provider that is no longer configured', async () => {
    const clock = new FakeClock();
    const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger, { now: clock.now });
    await store.putSession(
      'gone',
      'https://idp.example',
      { id: 'a', label: 'alice' },
      {
        id: 's1',
        scopes: ['openid'],
        accessToken: 'initial-at',
        tokenType: 'Bearer',
        refreshToken: 'initial-rt',
        expiresAt: clock.now() + 10_000,
        createdAt: clock.now(),
        refresh: freshRefreshState(true),
      },
    );
    let lookups = 0;
    const refresher = new Refresher({ store, source: () => (lookups++, undefined), clock, logger: silentLogger, policy: defaultPolicy });
    refresher.start();
    await clock.advance(60_000);
    assert.ok(lookups < 20, `${lookups} client lookups in one minute`);
    assert.equal(refresher.state().timers, 1);
    refresher.dispose();
  });
});
