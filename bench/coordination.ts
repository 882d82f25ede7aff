// 5. What every refresh asks of the store in the extension as activate() wires it (cross-window
// FileCoordinator): make sure this window is current, then write one session. At 1,000 accounts,
// against the same store without a coordinator, and against the coordinated store at 10 accounts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMemento, MemorySecrets } from '../test/support/fakes';
import { FileCoordinator } from '../src/session/storage/coordination';
import { silentLogger } from '../src/session/base/log';
import { SessionStore, accountKey } from '../src/session/storage/store';
import { idpShapedSession } from './fixture';
import { main, median, ms, ratio, timed, type Row } from './lib';

const WARMUP = 3;
const SAMPLES = 15;

/** Stores of `accounts` accounts, one session each: a plain one and a coordinated one. */
async function stores(accounts: number, dir: string) {
  const secrets = new MemorySecrets();
  const memento = new MemoryMemento();
  const plain = new SessionStore(secrets, memento, silentLogger);
  for (let i = 0; i < accounts; i++) {
    const id = `user${String(i).padStart(4, '0')}`;
    await plain.putSession('acme', 'http://127.0.0.1:1', { id, label: id }, idpShapedSession(i, Date.now(), Date.now() + 3_600_000));
  }
  // The generation records a coordinated window would have written, written directly: signing
  // 1,000 accounts in through the coordinated store would take minutes on its own.
  const coordinator = new FileCoordinator(join(dir, `coordination-${accounts}`));
  for (const a of plain.accounts()) await coordinator.record(accountKey(a.providerId, a.account.id), a.generation, false);
  // A copy of the same keychain, read the way a starting window reads it.
  const copy = new MemorySecrets();
  for (const [k, v] of secrets.data) copy.data.set(k, v);
  const coordinated = new SessionStore(copy, new MemoryMemento(), silentLogger, { coordinator });
  await coordinated.load();
  return { plain, coordinated };
}

/** The store calls of one refresh: syncWithOtherWindows, then updateSession. */
async function refreshWrites(store: SessionStore, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t = await timed(async () => {
      await store.syncWithOtherWindows();
      await store.updateSession(`session-${(i * 37) % n}`, (s) => ({
        ...s,
        refresh: { ...s.refresh, refreshCount: s.refresh.refreshCount + 1 },
      }));
    });
    if (i >= WARMUP) out.push(t);
  }
  return out;
}

export async function run(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-coord-'));
  try {
    const small = await stores(10, dir);
    const large = await stores(1_000, dir);
    const coordinatedSmall = await refreshWrites(small.coordinated, 10);
    const coordinatedLarge = await refreshWrites(large.coordinated, 1_000);
    const plainLarge = await refreshWrites(large.plain, 1_000);
    const bench = '5. Coordination, store side of a refresh';
    return [
      {
        bench,
        metric: `sync + updateSession at 1,000 accounts: FileCoordinator vs none, median (${SAMPLES} each)`,
        measured: ms(median(coordinatedLarge)),
        baseline: ms(median(plainLarge)),
        ratio: ratio(median(coordinatedLarge), median(plainLarge)),
      },
      {
        bench,
        metric: 'sync + updateSession with FileCoordinator: 1,000 accounts vs 10 accounts, median',
        measured: ms(median(coordinatedLarge)),
        baseline: ms(median(coordinatedSmall)),
        ratio: ratio(median(coordinatedLarge), median(coordinatedSmall)),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main(run);
