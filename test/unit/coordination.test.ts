import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileCoordinator, LOCK_STALE_MS, lockNameForAccount } from '../../src/session/storage/coordination';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { systemClock } from '../../src/session/base/clock';
import { createLogger, silentLogger } from '../../src/session/base/log';
import type { OAuthClient } from '../../src/session/kinds/oauth/client';
import { Refresher, defaultPolicy } from '../../src/session/refresh/refresher';
import { FULL_CHECK_MS, SessionStore, freshRefreshState, type StoredSession } from '../../src/session/storage/store';
import { FakeClock } from '../support/fakeClock';
import { CapturingSink, MemoryMemento, MemorySecrets } from '../support/fakes';
import { makeTempDir, removeTempDir } from '../support/tempDirs.mjs';
import { waitFor } from '../support/wait.mjs';
import { OAuthSource } from '../../src/session/kinds/oauth/source';

function session(id: string, expiresAt: number): StoredSession {
  return {
    id,
    scopes: ['openid'],
    accessToken: `at-${id}`,
    tokenType: 'Bearer',
    refreshToken: `rt-${id}`,
    expiresAt,
    createdAt: expiresAt - 3_600_000,
    refresh: freshRefreshState(true),
  };
}

describe('coordination between windows', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('sk-coord-');
  });
  afterEach(() => removeTempDir(dir));

  it('lets one window at a time hold a lock', async () => {
    const a = new FileCoordinator(dir);
    const b = new FileCoordinator(dir);
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 5));
      inside--;
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).withLock('account-x', work)));
    assert.equal(most, 1);
  });

  /** A lock directory as another window left it: fresh, with an owner record, never renewed. */
  function leftBehind(name: string, owner: { host: string; pid: number }, ageMs = 0): string {
    mkdirSync(join(dir, 'locks'), { recursive: true });
    const path = join(dir, 'locks', `${name}.lock`);
    mkdirSync(path);
    writeFileSync(`${path}.owner`, JSON.stringify(owner));
    const at = (Date.now() - ageMs) / 1000;
    utimesSync(path, at, at);
    return path;
  }

  /** A pid that belonged to a process of this host that has exited. */
  function deadPid(): number {
    const pid = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(pid);
    return pid;
  }

  const timedOut = (err: unknown) => err instanceof SessionKeeperError && err.code === ErrorCode.Timeout && err.transient;

  it('takes over a lock whose lease stopped being renewed, once the lease has run out', async function () {
    this.timeout(30_000);
    // A live owner elsewhere: only the lease can tell that it is gone.
    leftBehind('account-x', { host: 'elsewhere.invalid', pid: process.pid });
    const started = Date.now();
    const ran = await new FileCoordinator(dir).withLock('account-x', async () => 'ran', 4 * LOCK_STALE_MS);
    const elapsed = Date.now() - started;
    assert.equal(ran, 'ran');
    // Not before the lease ran out (mtime may be rounded down to the second).
    assert.ok(elapsed >= LOCK_STALE_MS - 1_000, `taken over after ${elapsed} ms`);
  });

  it('takes over at once a lock whose owner on this host no longer exists', async () => {
    const path = leftBehind('account-x', { host: hostname(), pid: deadPid() });
    // Well within the lease: only the owner check can let this through.
    const ran = await new FileCoordinator(dir).withLock('account-x', async () => 'ran', LOCK_STALE_MS / 2);
    assert.equal(ran, 'ran');
    assert.equal(existsSync(path), false, 'released afterwards');
    assert.deepEqual(readdirSync(join(dir, 'locks')), [], 'no owner record or claim left behind');
  });

  it("lets one of several waiters take over a dead owner's lock, and still one holder at a time", async () => {
    leftBehind('account-x', { host: hostname(), pid: deadPid() });
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 5));
      inside--;
    };
    const waiters = Array.from({ length: 12 }, () => new FileCoordinator(dir).withLock('account-x', work, LOCK_STALE_MS / 2));
    await Promise.all(waiters);
    assert.equal(most, 1);
  });

  it('does not take over at once the lock of a pid on another host', async () => {
    leftBehind('account-x', { host: 'elsewhere.invalid', pid: deadPid() });
    const err = await new FileCoordinator(dir).withLock('account-x', async () => 'no', 500).catch((e: unknown) => e);
    assert.ok(timedOut(err), String(err));
  });

  it('respects a lock file of an earlier version for two minutes, then takes it over', async () => {
    mkdirSync(join(dir, 'locks'), { recursive: true });
    const path = join(dir, 'locks', 'account-x.lock');
    writeFileSync(path, '{"owner":"earlier"}');
    // Past the lease, but within the rule the earlier version follows.
    const recent = (Date.now() - 2 * LOCK_STALE_MS) / 1000;
    utimesSync(path, recent, recent);
    const err = await new FileCoordinator(dir).withLock('account-x', async () => 'no', 300).catch((e: unknown) => e);
    assert.ok(timedOut(err), String(err));
    const old = (Date.now() - 3 * 60_000) / 1000;
    utimesSync(path, old, old);
    assert.equal(await new FileCoordinator(dir).withLock('account-x', async () => 'ran', 2_000), 'ran');
  });

  it('keeps a held lock past the stale period while its holder renews it', async function () {
    this.timeout(30_000);
    const a = new FileCoordinator(dir);
    let release!: () => void;
    const held = a.withLock('account-x', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const waiter = new FileCoordinator(dir);
    const err = await waiter.withLock('account-x', async () => 'no', LOCK_STALE_MS + 2_000).catch((e: unknown) => e);
    assert.ok(timedOut(err), String(err));
    release();
    await held;
  });

  it('notes a lock lost while held, without failing the work or crashing', async function () {
    this.timeout(15_000);
    const notes: string[] = [];
    const coordinator = new FileCoordinator(dir, undefined, true, { onLockCompromised: (m) => notes.push(m) });
    const result = await coordinator.withLock('account-x', async () => {
      rmSync(join(dir, 'locks', 'account-x.lock'), { recursive: true });
      await waitFor(() => notes.length > 0, 'the lost lock noted', 10_000);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.match(notes[0], /account-x/);
    // The next holder is not disturbed by the one that lost it.
    assert.equal(await new FileCoordinator(dir).withLock('account-x', async () => 'next', 1_000), 'next');
  });

  it('does not break a live lock, and gives up after its wait with a transient error', async () => {
    const a = new FileCoordinator(dir);
    let release!: () => void;
    const held = a.withLock('account-x', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const err = await new FileCoordinator(dir).withLock('account-x', async () => 'no', 200).catch((e: unknown) => e);
    assert.ok(timedOut(err), String(err));
    release();
    await held;
  });

  describe('a window that died holding an account lock after it renewed (desktop: one shared SecretStorage)', () => {
    const FIVE_MINUTES = 5 * 60_000;

    /** A and B share secrets; A renews (rotating the refresh token), saves, and dies before it lets go of the lock. */
    async function renewedThenDied() {
      const secrets = new MemorySecrets();
      const a = new SessionStore(secrets, new MemoryMemento(), silentLogger, { coordinator: new FileCoordinator(dir) });
      await a.load();
      const issuedAt = Date.now() - FIVE_MINUTES + 20_000;
      await a.putSession(
        'corp',
        'https://idp',
        { id: 'alice', label: 'alice' },
        {
          ...session('s1', issuedAt + FIVE_MINUTES),
          createdAt: issuedAt,
          refreshToken: 'rt-1',
        },
      );
      const coordinator = new FileCoordinator(dir);
      const sink = new CapturingSink();
      const logger = createLogger(sink);
      const b = new SessionStore(secrets, new MemoryMemento(), logger, { coordinator });
      await b.load();
      const now = Date.now();
      await a.updateSession('s1', (s) => ({
        ...s,
        accessToken: 'at-renewed-in-a',
        refreshToken: 'rt-2',
        expiresAt: now + FIVE_MINUTES,
        refresh: { ...s.refresh, lastRefreshAt: now, refreshCount: 1, nextRefreshAt: now + 142_000 },
      }));
      const key = b.find('s1')!.key;
      leftBehind(lockNameForAccount(key), { host: hostname(), pid: deadPid() });
      const presented: string[] = [];
      const source = new OAuthSource({
        refreshTokenGrant: async (rt: string) => {
          presented.push(rt);
          return { accessToken: 'at-renewed-in-b', tokenType: 'Bearer', refreshToken: 'rt-3', expiresAt: Date.now() + FIVE_MINUTES };
        },
      } as unknown as OAuthClient);
      const refresher = new Refresher({ store: b, source: () => source, clock: systemClock, logger, policy: defaultPolicy, coordinator });
      return { b, refresher, presented, sink };
    }

    it('Refresh Now, after taking the lock over, renews with the refresh token that window saved', async () => {
      const { b, refresher, presented } = await renewedThenDied();
      try {
        const after = await refresher.refresh('s1');
        // Not the spent rt-1 this window last saw, and not nothing: the user asked for a renewal.
        assert.deepEqual(presented, ['rt-2']);
        assert.equal(after?.accessToken, 'at-renewed-in-b');
        assert.equal(b.find('s1')?.session.refreshToken, 'rt-3');
        assert.equal(after?.refresh.refreshCount, 2);
        assert.equal(after?.refresh.consecutiveFailures, 0);
      } finally {
        refresher.dispose();
      }
    });

    it('a caller that needs a valid token gets the one that window renewed, with no second renewal, and the log says so', async () => {
      const { refresher, presented, sink } = await renewedThenDied();
      try {
        // This window still holds the token about to expire, so it renews inline and takes what it finds.
        const served = await refresher.ensureFresh('s1');
        assert.equal(served?.accessToken, 'at-renewed-in-a');
        assert.deepEqual(presented, []);
        assert.match(sink.text(), /info Took the tokens another window renewed for alice .*next renewal in 1[34]\d s/);
      } finally {
        refresher.dispose();
      }
    });
  });

  describe('a host that keeps one SecretStorage copy per window (code-server)', () => {
    async function twoWindows() {
      const clock = new FakeClock(Date.now());
      // Window B opened after A signed in: it starts with a copy of A's secrets, then they diverge.
      const secretsA = new MemorySecrets();
      const a = new SessionStore(secretsA, new MemoryMemento(), silentLogger, { coordinator: new FileCoordinator(dir) });
      await a.load();
      await a.putSession('corp', 'https://idp', { id: 'alice', label: 'alice' }, session('s1', clock.now() + 3_600_000));
      const secretsB = new MemorySecrets();
      for (const [k, v] of secretsA.data) secretsB.data.set(k, v);
      const b = new SessionStore(secretsB, new MemoryMemento(), silentLogger, { coordinator: new FileCoordinator(dir) });
      await b.load();
      return { clock, a, b, secretsB };
    }

    it('refuses to write from a window that cannot see a newer write, and writes nothing', async () => {
      const { a, b, secretsB } = await twoWindows();
      await a.updateSession('s1', (s) => ({ ...s, accessToken: 'renewed-in-a', refreshToken: 'rt-rotated-in-a' }));
      const writes = secretsB.writes;
      const err = await b
        .putSession('corp', 'https://idp', { id: 'bob', label: 'bob' }, session('s2', Date.now() + 3_600_000))
        .catch((e: unknown) => e);
      assert.ok(err instanceof SessionKeeperError && err.code === ErrorCode.StaleWindow, String(err));
      assert.match(err.message, /Reload this window/);
      assert.equal(secretsB.writes, writes, 'nothing written');
      assert.equal(b.stale, true);
    });

    it('keeps serving a valid token there, never refreshes, and says so once', async () => {
      const { clock, a, b } = await twoWindows();
      await a.updateSession('s1', (s) => ({ ...s, refreshToken: 'rt-rotated-in-a' }));
      const calls: string[] = [];
      const notices: string[] = [];
      const source = new OAuthSource({
        refreshTokenGrant: async (rt: string) => (calls.push(rt), assert.fail('must not refresh')),
      } as unknown as OAuthClient);
      const refresher = new Refresher({
        store: b,
        source: () => source,
        clock,
        logger: silentLogger,
        policy: defaultPolicy,
        coordinator: new FileCoordinator(dir),
        onStaleWindow: (m) => notices.push(m),
      });
      assert.equal((await refresher.ensureFresh('s1'))?.accessToken, 'at-s1');
      await refresher.refresh('s1');
      await refresher.refresh('s1');
      clock.jump(3_600_000);
      // An expired token is never served; the caller is told to reload, not that it is signed out.
      await assert.rejects(
        refresher.ensureFresh('s1'),
        (e: unknown) => e instanceof SessionKeeperError && e.code === ErrorCode.Offline && /Reload/.test(e.message),
      );
      assert.deepEqual(calls, []);
      assert.equal(notices.length, 1);
      refresher.dispose();
    });

    it('checks again once a heartbeat there, instead of spinning on a refresh it may not do', async () => {
      const { clock, a, b } = await twoWindows();
      await a.updateSession('s1', (s) => ({ ...s, refreshToken: 'rt-rotated-in-a' }));
      const coordinator = new FileCoordinator(dir);
      let checks = 0;
      const generation = coordinator.generation.bind(coordinator);
      coordinator.generation = (key) => {
        checks++;
        return generation(key);
      };
      const source = new OAuthSource({ refreshTokenGrant: async () => assert.fail('must not refresh') } as unknown as OAuthClient);
      const refresher = new Refresher({
        store: b,
        source: () => source,
        clock,
        logger: silentLogger,
        // No head start for the other window: nothing else slows the attempts down.
        policy: { ...defaultPolicy, followerDelayMs: 0 },
        coordinator,
      });
      refresher.start();
      // Due at 48 minutes: the first attempt finds this window behind.
      for (let i = 0; i < 49; i++) await clock.advance(60_000);
      await waitFor(() => b.stale, 'this window found behind', 5_000);
      // Time stands still now, so a further attempt could only come from a loop.
      const before = checks;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(checks, before, `${checks - before} more checks while no time passed`);
      await clock.advance(60_000);
      await waitFor(() => checks > before, 'a check after time moved on', 5_000);
      refresher.dispose();
    });

    it('notices a write to another account through the change marker, and refuses its own write', async () => {
      const { a, b, secretsB } = await twoWindows();
      await a.putSession('corp', 'https://idp', { id: 'bob', label: 'bob' }, session('s2', Date.now() + 3_600_000));
      // B has checked once since A wrote alice; now A writes bob, an account B's write does not touch.
      await b.syncWithOtherWindows().catch(() => undefined);
      await a.updateSession('s2', (s) => ({ ...s, accessToken: 'renewed-in-a' }));
      const writes = secretsB.writes;
      const err = await b.updateSession('s1', (s) => ({ ...s, accessToken: 'written-in-b' })).catch((e: unknown) => e);
      assert.ok(err instanceof SessionKeeperError && err.code === ErrorCode.StaleWindow, String(err));
      assert.equal(secretsB.writes, writes, 'nothing written');
    });

    it('lets a window whose storage is shared pick up the newer tokens instead', async () => {
      const shared = new MemorySecrets();
      const clock = new FakeClock(Date.now());
      const a = new SessionStore(shared, new MemoryMemento(), silentLogger, { coordinator: new FileCoordinator(dir) });
      await a.load();
      await a.putSession('corp', 'https://idp', { id: 'alice', label: 'alice' }, session('s1', clock.now() + 3_600_000));
      const b = new SessionStore(shared, new MemoryMemento(), silentLogger, { coordinator: new FileCoordinator(dir) });
      await b.load();
      await a.updateSession('s1', (s) => ({ ...s, accessToken: 'renewed-in-a' }));
      await b.syncWithOtherWindows();
      assert.equal(b.find('s1')?.session.accessToken, 'renewed-in-a');
      assert.equal(b.stale, false);
      await b.putSession('corp', 'https://idp', { id: 'bob', label: 'bob' }, session('s2', clock.now() + 3_600_000));
      assert.equal(b.accounts().length, 2);
    });
  });
});

describe('generation records at scale', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('sk-coord-scale-');
  });
  afterEach(() => removeTempDir(dir));

  /** A coordinator that counts the generation records it reads. */
  function counting(): { coordinator: FileCoordinator; reads: { all: number; one: string[] } } {
    const coordinator = new FileCoordinator(dir);
    const reads = { all: 0, one: [] as string[] };
    const generations = coordinator.generations.bind(coordinator);
    const generation = coordinator.generation.bind(coordinator);
    coordinator.generations = async () => {
      const records = await generations();
      reads.all += records.length;
      return records;
    };
    coordinator.generation = (key) => {
      reads.one.push(key);
      return generation(key);
    };
    return { coordinator, reads };
  }

  async function filled(n: number) {
    const { coordinator, reads } = counting();
    const secrets = new MemorySecrets();
    const store = new SessionStore(secrets, new MemoryMemento(), silentLogger, { coordinator });
    await store.load();
    for (let i = 0; i < n; i++) {
      await store.putSession('corp', 'https://idp', { id: `u${i}`, label: `u${i}` }, session(`s${i}`, Date.now() + 3_600_000));
    }
    return { store, reads, secrets };
  }

  it("a refresh write to one account reads that account's record only, while no other window wrote", async () => {
    const { store, reads } = await filled(20);
    await store.syncWithOtherWindows();
    reads.all = 0;
    reads.one = [];
    await store.syncWithOtherWindows();
    await store.updateSession('s7', (s) => ({ ...s, accessToken: 'renewed' }));
    await store.updateSession('s8', (s) => ({ ...s, accessToken: 'renewed' }));
    assert.equal(reads.all, 0, 'no full scan');
    assert.deepEqual(reads.one, [store.find('s7')!.key, store.find('s8')!.key]);
  });

  it('reads every record again once another window wrote any of them', async () => {
    const { store, reads, secrets } = await filled(5);
    await store.syncWithOtherWindows();
    // A window sharing the keychain, as desktop windows do.
    const other = new SessionStore(secrets, new MemoryMemento(), silentLogger, { coordinator: new FileCoordinator(dir) });
    await other.load();
    await other.putSession('corp', 'https://idp', { id: 'zed', label: 'zed' }, session('z1', Date.now() + 3_600_000));
    reads.all = 0;
    await store.syncWithOtherWindows();
    // Six records, read again after the reload that brings in zed.
    assert.equal(reads.all, 12);
    assert.ok(store.find('z1'));
  });

  it('does not trust a marker whose write has not landed (a window that died between the two)', async () => {
    const { store, reads } = await filled(3);
    const key = store.find('s1')!.key;
    // The marker of a write whose record never came.
    writeFileSync(join(dir, 'generations.marker.json'), JSON.stringify({ id: 'dead', key, generation: 99 }));
    reads.all = 0;
    await store.syncWithOtherWindows();
    await store.syncWithOtherWindows();
    assert.equal(reads.all, 6, 'a full check each time');
  });

  it('checks every record at least once per FULL_CHECK_MS, even with an unchanged marker', async () => {
    let now = Date.now();
    const { coordinator, reads } = counting();
    const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger, { coordinator, now: () => now });
    await store.putSession('corp', 'https://idp', { id: 'u', label: 'u' }, session('s', now + 3_600_000));
    await store.syncWithOtherWindows();
    reads.all = 0;
    await store.syncWithOtherWindows();
    assert.equal(reads.all, 0);
    now += FULL_CHECK_MS;
    await store.syncWithOtherWindows();
    assert.equal(reads.all, 1);
  });
});
