// 3. The refresher over 1,000 stored sessions: timers it holds, heap it adds to the store, and what
// its re-planning adds to each store write, each against the same store without a refresher.
import { MemoryMemento, MemorySecrets } from '../test/support/fakes';
import { systemClock, type Clock } from '../src/session/base/clock';
import { silentLogger } from '../src/session/base/log';
import type { OAuthClient } from '../src/session/kinds/oauth/client';
import { Refresher, defaultPolicy } from '../src/session/refresh/refresher';
import { SessionStore } from '../src/session/storage/store';
import { idpShapedSession } from './fixture';
import { heapUsed, main, median, ratio, timed, type Row } from './lib';
import { OAuthSource } from '../src/session/kinds/oauth/source';

const SESSIONS = 1_000;
const HEAP_ROUNDS = 5;
const WRITE_WARMUP = 50;
const WRITES = 300;
/** The idle windows of the CPU row, and the heartbeat used in them (60 s by default) so that many fall inside. */
const IDLE_MS = 5_000;
const IDLE_HEARTBEAT_MS = 100;

/** The system clock, counting the timers that are set and have neither fired nor been cleared. */
function countingClock() {
  const live = new Set<unknown>();
  let peak = 0;
  let fired = 0;
  const clock: Clock = {
    ...systemClock,
    setTimeout(fn, ms) {
      const handle = setTimeout(() => {
        live.delete(handle);
        fired++;
        fn();
      }, ms);
      live.add(handle);
      peak = Math.max(peak, live.size);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
  return { clock, live: () => live.size, peak: () => peak, fired: () => fired };
}

/** 1,000 accounts with one session each, shaped like the local IdP's, none due for 8 minutes. */
async function filledStore(): Promise<SessionStore> {
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger);
  const start = Date.now();
  for (let i = 0; i < SESSIONS; i++) {
    const id = `user${String(i).padStart(4, '0')}`;
    // Signed in over the last 40 minutes with 1-hour tokens: none is due for 8 minutes.
    const createdAt = start - (i / SESSIONS) * 2_400_000;
    await store.putSession('acme', 'http://127.0.0.1:1', { id, label: id }, idpShapedSession(i, createdAt, createdAt + 3_600_000));
  }
  return store;
}

function newRefresher(store: SessionStore, clock: Clock, policy = defaultPolicy): Refresher {
  // A configured provider whose client must never be used: nothing is due within the benchmark.
  const client = {
    refreshTokenGrant: () => Promise.reject(new Error('no session may be due in this benchmark')),
  } as unknown as OAuthClient;
  const source = new OAuthSource(client);
  return new Refresher({ store, source: () => source, clock, logger: silentLogger, policy });
}

/**
 * Heap added by the store with its sessions, then by a started refresher over it. Each round runs
 * in its own call: a suspended async frame keeps stale references that would hide a free.
 */
async function heapRound(): Promise<{ store: number; refresher: number }> {
  const h0 = heapUsed();
  const store = await filledStore();
  const h1 = heapUsed();
  const refresher = newRefresher(store, systemClock);
  refresher.start();
  const h2 = heapUsed();
  refresher.dispose();
  return { store: h1 - h0, refresher: h2 - h1 };
}

export async function run(): Promise<Row[]> {
  // The first round also pays for code and caches created once; it is not counted.
  await heapRound();
  const storeBytes: number[] = [];
  const refresherBytes: number[] = [];
  for (let round = 0; round < HEAP_ROUNDS; round++) {
    const { store, refresher } = await heapRound();
    storeBytes.push(store);
    refresherBytes.push(refresher);
  }

  // Timers and write cost: two identical stores, one watched by a refresher, written alternately.
  const counting = countingClock();
  const watched = await filledStore();
  const plain = await filledStore();
  const refresher = newRefresher(watched, counting.clock);
  refresher.start();
  const afterStart = counting.live();
  const write = (store: SessionStore, i: number) =>
    // What a refresh writes: new expiry and plan for one session.
    store.updateSession(`session-${(i * 7919) % SESSIONS}`, (s) => ({
      ...s,
      expiresAt: Date.now() + 3_600_000,
      refresh: { ...s.refresh, lastRefreshAt: Date.now(), nextRefreshAt: Date.now() + 3_300_000, refreshCount: s.refresh.refreshCount + 1 },
    }));
  const withRefresher: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < WRITE_WARMUP + WRITES; i++) {
    const pair: Array<[SessionStore, number[]]> =
      i % 2
        ? [
            [plain, without],
            [watched, withRefresher],
          ]
        : [
            [watched, withRefresher],
            [plain, without],
          ];
    for (const [store, samples] of pair) {
      const t = await timed(() => write(store, i));
      if (i >= WRITE_WARMUP) samples.push(t * 1000);
    }
  }
  const afterWrites = counting.live();
  const state = refresher.state();
  refresher.dispose();
  const afterDispose = counting.live();
  if (afterStart !== 1 || afterWrites !== 1 || state.timers !== 1 || afterDispose !== 0) {
    throw new Error(
      `expected exactly one timer, saw ${afterStart} after start, ${afterWrites} after writes, ${afterDispose} after dispose`,
    );
  }

  // Between due times: main-thread CPU over an idle window with a refresher over the 1,000 sessions
  // (its heartbeat shortened so that it wakes many times), against the same window with a bare
  // timer waking as often with an empty callback: what any timer costs, windows before and after.
  const threadCpuUsage = (process as { threadCpuUsage?: (prev?: NodeJS.CpuUsage) => NodeJS.CpuUsage }).threadCpuUsage;
  const cpu = (prev?: NodeJS.CpuUsage) => (threadCpuUsage ? threadCpuUsage.call(process, prev) : process.cpuUsage(prev));
  const idleCpu = async () => {
    // The main thread's time only (Node 23.9+), so the collector's helper threads do not count.
    const before = cpu();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const used = cpu(before);
    return (used.user + used.system) / 1000;
  };
  const bareTimer = async () => {
    const timer = setInterval(() => undefined, IDLE_HEARTBEAT_MS);
    try {
      return await idleCpu();
    } finally {
      clearInterval(timer);
    }
  };
  const bareBefore = await bareTimer();
  const idleClock = countingClock();
  const idle = newRefresher(watched, idleClock.clock, { ...defaultPolicy, heartbeatMs: IDLE_HEARTBEAT_MS });
  idle.start();
  await new Promise((r) => setTimeout(r, 1000)); // past the start's own planning
  const firedBefore = idleClock.fired();
  const idleWith = await idleCpu();
  const wakeUps = idleClock.fired() - firedBefore;
  const idleState = idle.state();
  idle.dispose();
  const bare = (bareBefore + (await bareTimer())) / 2;
  const expectedWakeUps = Math.round(IDLE_MS / IDLE_HEARTBEAT_MS);
  if (Math.abs(wakeUps - expectedWakeUps) > 2 || idleState.timers !== 1 || idleState.inFlight !== 0) {
    throw new Error(
      `idle: expected about ${expectedWakeUps} heartbeats, one timer and nothing in flight; saw ${wakeUps}, ${idleState.timers}, ${idleState.inFlight}`,
    );
  }

  const perSession = (bytes: number[]) => median(bytes) / SESSIONS;
  const bench = '3. Scheduler, 1,000 sessions';
  return [
    {
      bench,
      metric: `Timers in use after start / after ${WRITES} re-plans (peak); baseline = store without refresher`,
      measured: `${afterStart} / ${afterWrites} (peak ${counting.peak()})`,
      baseline: '0',
      ratio: '—',
    },
    {
      bench,
      metric: `Heap per session: store + refresher vs store alone (median of ${HEAP_ROUNDS}); refresher adds ${perSession(refresherBytes).toFixed(1)} B/session`,
      measured: `${((median(storeBytes) + median(refresherBytes)) / SESSIONS).toFixed(0)} B`,
      baseline: `${perSession(storeBytes).toFixed(0)} B`,
      ratio: ratio(median(storeBytes) + median(refresherBytes), median(storeBytes)),
    },
    {
      bench,
      metric: `One session write (updateSession, MemorySecrets) with the refresher re-planning vs without, median (${WRITES} each)`,
      measured: `${median(withRefresher).toFixed(0)} µs`,
      baseline: `${median(without).toFixed(0)} µs`,
      ratio: ratio(median(withRefresher), median(without)),
    },
    {
      bench,
      metric: `Main-thread CPU time in ${IDLE_MS / 1000} s with nothing due: the refresher over 1,000 sessions, woken ${wakeUps} times by its heartbeat (every ${IDLE_HEARTBEAT_MS} ms here, 60 s by default), vs a bare timer with an empty callback at the same interval (mean of one window before and one after)`,
      measured: `${idleWith.toFixed(2)} ms`,
      baseline: `${bare.toFixed(2)} ms`,
      ratio: ratio(idleWith, bare),
    },
  ];
}

if (require.main === module) main(run);
