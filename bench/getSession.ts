// 2. getSessions for a valid cached session: the extension's provider (store lookup, expiry check
// through the refresher, active-account ordering) vs a provider that returns a fixed array.
import { MemoryMemento, MemorySecrets } from '../test/support/fakes';
import { systemClock } from '../src/session/base/clock';
import { SessionKeeperEngine } from '../src/session/engine';
import { REQUEST_TIMEOUT_MS } from '../src/session/net/http';
import { silentLogger } from '../src/session/base/log';
import type { AuthSession } from '../src/session/provider';
import { defaultPolicy } from '../src/session/refresh/refresher';
import { SessionStore } from '../src/session/storage/store';
import { idpShapedSession, providerConfig, quietLogger } from './fixture';
import { main, now, ratio, type Row } from './lib';

const WARMUP = 20_000;
const BLOCK = 10_000;
const BLOCKS = 10;

/** The baseline: what any provider must at least do. */
function trivialProvider(sessions: AuthSession[]) {
  return {
    async getSessions(scopes: readonly string[]): Promise<AuthSession[]> {
      return sessions.filter((s) => scopes.every((x) => s.scopes.includes(x)));
    },
  };
}

export async function run(): Promise<Row[]> {
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger);
  const engine = new SessionKeeperEngine({
    store,
    clock: systemClock,
    logger: quietLogger,
    // Any request would be a bug here: a valid cached session needs no network.
    fetch: () => Promise.reject(new Error('unexpected network request')),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    policy: defaultPolicy,
    memento: new MemoryMemento(),
    signIn: () => Promise.reject(new Error('no sign-in in this benchmark')),
  });
  try {
    engine.configure([providerConfig('http://127.0.0.1:1')]);
    // Valid for another hour.
    await store.putSession(
      'acme',
      'http://127.0.0.1:1',
      { id: 'user0001', label: 'user0001' },
      idpShapedSession(1, Date.now(), Date.now() + 3_600_000),
    );
    const provider = engine.provider('acme')!;
    const cached = await provider.getSessions(['openid']);
    if (cached.length !== 1) throw new Error('the cached session was not served');
    const trivial = trivialProvider(cached);

    const variants = {
      provider: () => provider.getSessions(['openid']),
      trivial: () => trivial.getSessions(['openid']),
    };
    const elapsed = { provider: 0, trivial: 0 };
    for (const name of ['provider', 'trivial'] as const) for (let i = 0; i < WARMUP; i++) await variants[name]();
    // Alternating blocks, so both see the same GC pressure and CPU frequency.
    for (let b = 0; b < BLOCKS; b++) {
      for (const name of b % 2 ? (['trivial', 'provider'] as const) : (['provider', 'trivial'] as const)) {
        const start = now();
        for (let i = 0; i < BLOCK; i++) await variants[name]();
        elapsed[name] += now() - start;
      }
    }
    const total = BLOCK * BLOCKS;
    const opsPerSecond = (name: keyof typeof elapsed) => Math.round((total / elapsed[name]) * 1000);
    const perOp = (name: keyof typeof elapsed) => ((elapsed[name] / total) * 1000).toFixed(2);
    return [
      {
        bench: '2. Cached getSessions',
        metric: `SessionKeeperProvider.getSessions(['openid']) vs fixed-array provider (${total.toLocaleString('en')} calls each); ratio = time per call`,
        measured: `${opsPerSecond('provider').toLocaleString('en')} ops/s (${perOp('provider')} µs)`,
        baseline: `${opsPerSecond('trivial').toLocaleString('en')} ops/s (${perOp('trivial')} µs)`,
        ratio: ratio(elapsed.provider, elapsed.trivial),
      },
    ];
  } finally {
    engine.dispose();
  }
}

if (require.main === module) main(run);
