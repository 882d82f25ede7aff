import assert from 'node:assert/strict';
import { utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileCoordinator, STALE_LOCK_MS } from '../../src/session/coordination';
import { ErrorCode, SessionKeeperError } from '../../src/session/errors';
import { silentLogger } from '../../src/session/log';
import type { OAuthClient } from '../../src/session/oauth';
import { Refresher, defaultPolicy } from '../../src/session/refresher';
import { SessionStore, freshRefreshState, type StoredSession } from '../../src/session/store';
import { FakeClock } from '../support/fakeClock';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { makeTempDir, removeTempDir } from '../support/tempDirs.mjs';

function session(id: string, expiresAt: number): StoredSession {
  return { id, scopes: ['openid'], accessToken: `at-${id}`, tokenType: 'Bearer', refreshToken: `rt-${id}`, expiresAt, createdAt: expiresAt - 3_600_000, refresh: freshRefreshState(true) };
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

  it('breaks a lock left behind by a window that died', async () => {
    mkdirSync(join(dir, 'locks'), { recursive: true });
    const path = join(dir, 'locks', 'account-x.lock');
    writeFileSync(path, '{"owner":"gone"}');
    const old = (Date.now() - STALE_LOCK_MS - 1_000) / 1000;
    utimesSync(path, old, old);
    const ran = await new FileCoordinator(dir).withLock('account-x', async () => 'ran', 2_000);
    assert.equal(ran, 'ran');
  });

  it('does not break a live lock, and gives up after its wait with a transient error', async () => {
    const a = new FileCoordinator(dir);
    let release!: () => void;
    const held = a.withLock('account-x', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const err = await new FileCoordinator(dir).withLock('account-x', async () => 'no', 200).catch((e: unknown) => e);
    assert.ok(err instanceof SessionKeeperError && err.transient, String(err));
    release();
    await held;
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
      const err = await b.putSession('corp', 'https://idp', { id: 'bob', label: 'bob' }, session('s2', Date.now() + 3_600_000)).catch((e: unknown) => e);
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
      const refresher = new Refresher({
        store: b,
        client: () => ({ refreshTokenGrant: async (rt: string) => (calls.push(rt), assert.fail('must not refresh')) }) as unknown as OAuthClient,
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
      await assert.rejects(refresher.ensureFresh('s1'), (e: unknown) => e instanceof SessionKeeperError && e.code === ErrorCode.Offline && /Reload/.test(e.message));
      assert.deepEqual(calls, []);
      assert.equal(notices.length, 1);
      refresher.dispose();
    });

    it('checks again once a heartbeat there, instead of spinning on a refresh it may not do', async () => {
      const { clock, a, b } = await twoWindows();
      await a.updateSession('s1', (s) => ({ ...s, refreshToken: 'rt-rotated-in-a' }));
      const coordinator = new FileCoordinator(dir);
      let checks = 0;
      const generations = coordinator.generations.bind(coordinator);
      coordinator.generations = () => {
        checks++;
        return generations();
      };
      const refresher = new Refresher({
        store: b,
        client: () => ({ refreshTokenGrant: async () => assert.fail('must not refresh') }) as unknown as OAuthClient,
        clock,
        logger: silentLogger,
        // No head start for the other window: nothing else slows the attempts down.
        policy: { ...defaultPolicy, followerDelayMs: 0 },
        coordinator,
      });
      refresher.start();
      // Due at 48 minutes: the first attempt finds this window behind.
      for (let i = 0; i < 49; i++) await clock.advance(60_000);
      await waitUntil(() => b.stale);
      // Time stands still now, so a further attempt could only come from a loop.
      const before = checks;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(checks, before, `${checks - before} more checks while no time passed`);
      await clock.advance(60_000);
      await waitUntil(() => checks > before);
      refresher.dispose();
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

async function waitUntil(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    assert.ok(Date.now() < end, 'condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
