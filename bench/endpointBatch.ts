// 7. Endpoint batch: 100 endpoint sessions (cookie in, POST renewal, token and expiry date out of
// the JSON answer) all due at once against a JSON cookie-session service in another process. How
// long the engine takes at its default concurrency limit, against 100 × one renewal alone.
import { MemoryMemento, MemorySecrets } from '../test/support/fakes';
import { randomValue, serve } from '../test/support/jsonSessionService';
import { systemClock } from '../src/session/base/clock';
import { silentLogger } from '../src/session/base/log';
import { parseProviders, type ProviderConfig } from '../src/session/config';
import { SessionKeeperEngine } from '../src/session/engine';
import { REQUEST_TIMEOUT_MS, createFetch } from '../src/session/net/http';
import { defaultPolicy } from '../src/session/refresh/refresher';
import { issuedSession } from '../src/session/storage/sessionRecord';
import { SessionStore } from '../src/session/storage/store';
import { jsonServiceSetting } from '../test/support/jsonServiceSetting.mjs';
import { quietLogger } from './fixture';
import { main, mean, median, ms, ratio, renewAllDue, startWorker, timed, type Row } from './lib';

const SESSIONS = 100;
const GOAL_MS = 10_000;
const BATCHES = 3;
/** Sessions of the store the single renewals are measured in; none of them is due. */
const SINGLE_POOL = 40;
const SINGLE_WARMUP = 10;
const SINGLE_SAMPLES = 20;
const TOKEN_LIFETIME_S = 3600;
const COOKIE_MAX_AGE_S = 7200;

// ---- The service process ----

/**
 * The JSON session service's protocol (test/support/jsonSessionService.ts) for many sessions at once:
 * POST /session with a live `sid` cookie rotates that sid (the old one dies) and answers a new token
 * with its expiry; an unknown sid gets 401. Each session keeps its number across rotations.
 */
async function serviceMain(): Promise<void> {
  const live = new Map<string, number>();
  const rotations: number[] = [];
  let refused = 0;
  const s = await serve((req, res) => {
    if (!req.url.startsWith('/session')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const n = live.get(req.cookies.sid ?? '');
    if (n === undefined) {
      refused++;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"session expired"}');
      return;
    }
    live.delete(req.cookies.sid);
    const sid = randomValue('sid');
    const token = randomValue('tok');
    live.set(sid, n);
    rotations[n]++;
    const at = Date.now();
    res.writeHead(200, {
      'content-type': 'application/json',
      'set-cookie': [`sid=${sid}; Max-Age=${COOKIE_MAX_AGE_S}; Path=/; HttpOnly`],
    });
    res.end(
      JSON.stringify({
        token,
        expiresAt: new Date(at + TOKEN_LIFETIME_S * 1000).toISOString(),
        expiresIn: TOKEN_LIFETIME_S,
        expiresAtEpoch: Math.floor(at / 1000) + TOKEN_LIFETIME_S,
      }),
    );
  });
  const ops: Record<string, (m: { count?: number }) => unknown> = {
    open: ({ count = 1 }) =>
      Array.from({ length: count }, () => {
        const sid = randomValue('sid');
        live.set(sid, rotations.push(0) - 1);
        return { n: rotations.length - 1, sid, token: randomValue('tok') };
      }),
    stats: () => ({ rotations, refused }),
    cpu: () => process.cpuUsage(),
    close: () => s.close(),
  };
  process.on('message', async (m: { id: number; op: string; count?: number }) => {
    const reply = { id: m.id, result: await ops[m.op](m) };
    process.send!(reply, () => m.op === 'close' && process.exit(0));
  });
  process.on('disconnect', () => void s.close().finally(() => process.exit(0)));
  process.send!({ ready: s.url });
}

interface ServiceSession {
  readonly n: number;
  readonly sid: string;
  readonly token: string;
}

interface BenchService {
  readonly url: string;
  /** New live sessions on the service. */
  open(count: number): Promise<ServiceSession[]>;
  stats(): Promise<{ rotations: number[]; refused: number }>;
  cpuMs(): Promise<number>;
  close(): Promise<void>;
}

async function startService(): Promise<BenchService> {
  const service = await startWorker<string>('the service process', __filename, { args: ['service'], execArgv: ['--import', 'tsx'] });
  return {
    url: service.ready,
    open: (count) => service.call('open', { count }),
    stats: () => service.call('stats'),
    cpuMs: service.cpuMs,
    close: service.close,
  };
}

// ---- The engine side ----

/** The provider entry as a user writes it in `sessionKeeper.providers`. */
function endpointConfig(origin: string): ProviderConfig {
  const { providers, problems } = parseProviders([jsonServiceSetting(origin, { id: 'jsonsvc', label: 'JSON service' })]);
  if (problems.length || providers.length !== 1) throw new Error(`the provider entry is refused: ${JSON.stringify(problems)}`);
  return providers[0];
}

/**
 * A store with one account per service session, as a sign-in with pasted cookies leaves it; with
 * `due`, every session is 55 minutes into its hour and due for renewal.
 */
async function fillStore(
  config: ProviderConfig,
  sessions: ServiceSession[],
  due: boolean,
): Promise<{ store: SessionStore; ids: string[] }> {
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger);
  await store.load();
  const ids: string[] = [];
  const issuedAt = Date.now() - (due ? 55 * 60_000 : 0);
  const expiresAt = issuedAt + TOKEN_LIFETIME_S * 1000;
  for (const s of sessions) {
    const session = issuedSession(
      {
        accessToken: s.token,
        tokenType: 'Bearer',
        expiresAt,
        endpoint: { values: { token: s.token }, cookies: { sid: { value: s.sid, expiresAt: issuedAt + COOKIE_MAX_AGE_S * 1000 } } },
      },
      [],
      issuedAt,
    );
    const name = `user${String(s.n).padStart(4, '0')}`;
    await store.putSession(config.id, { issuer: config.issuer, clientId: config.clientId }, { id: name, label: name }, session);
    ids.push(session.id);
  }
  return { store, ids };
}

/** The engine as activate() builds it (undici fetch, 30 s limits, default policy, redacting logger). */
function createEngine(store: SessionStore, config: ProviderConfig): SessionKeeperEngine {
  const engine = new SessionKeeperEngine({
    store,
    clock: systemClock,
    logger: quietLogger,
    fetch: createFetch(REQUEST_TIMEOUT_MS),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    policy: defaultPolicy,
    memento: new MemoryMemento(),
    signIn: () => Promise.reject(new Error('no sign-in in this benchmark')),
  });
  // configure() starts the refresher, which starts every due renewal at once.
  engine.configure([config]);
  return engine;
}

/** Sequential Refresher.refresh calls in an engine over sessions none of which is due. */
async function singleRenewals(service: BenchService, config: ProviderConfig, out: number[]): Promise<void> {
  const { store, ids } = await fillStore(config, await service.open(SINGLE_POOL), false);
  const engine = createEngine(store, config);
  try {
    if (engine.refresher.state().inFlight) throw new Error('a session of the single-renewal store was due');
    for (let i = 0; i < SINGLE_WARMUP + SINGLE_SAMPLES; i++) {
      const id = ids[i % ids.length];
      const before = store.find(id)!.session.refresh.refreshCount;
      const t = await timed(() => engine.refresher.refresh(id));
      if (store.find(id)!.session.refresh.refreshCount !== before + 1)
        throw new Error(`a single renewal failed: ${store.find(id)!.session.refresh.lastError}`);
      if (i >= SINGLE_WARMUP) out.push(t);
    }
  } finally {
    engine.dispose();
  }
}

/** Starts an engine over 100 due sessions and waits until every one is renewed. */
async function batch(service: BenchService, config: ProviderConfig) {
  const sessions = await service.open(SESSIONS);
  const { store, ids } = await fillStore(config, sessions, true);
  const before = await service.stats();
  const result = await renewAllDue(ids, () => createEngine(store, config), service, defaultPolicy.maxConcurrent);
  const after = await service.stats();
  const states = ids.map((id) => store.find(id)!.session.refresh);
  const failed = states.filter((r) => r.consecutiveFailures || r.needsSignIn || r.lastError).length;
  if (failed || after.refused !== before.refused) throw new Error(`${failed} renewals failed, ${after.refused - before.refused} refused`);
  if (!states.every((r) => r.refreshCount === 1)) throw new Error('not every session was renewed exactly once');
  if (!sessions.every((s) => after.rotations[s.n] === 1)) throw new Error('not every sid was rotated exactly once');
  return result;
}

export async function run(): Promise<Row[]> {
  const service = await startService();
  try {
    const config = endpointConfig(service.url);
    // Single renewals before each batch and after the last: a machine that gets busier or quieter shifts both sides alike.
    const single: number[] = [];
    const batches: Awaited<ReturnType<typeof batch>>[] = [];
    for (let k = 0; k < BATCHES; k++) {
      await singleRenewals(service, config, single);
      batches.push(await batch(service, config));
    }
    await singleRenewals(service, config, single);

    const one = median(single);
    const elapsed = median(batches.map((b) => b.elapsed));
    const worst = Math.max(...batches.map((b) => b.elapsed));
    const ideal = SESSIONS * one;
    const serviceCpu = mean(batches.map((b) => b.cpu.helper));
    const engineCpu = mean(batches.map((b) => b.cpu.engine));
    const wall = mean(batches.map((b) => b.elapsed));
    const limit = defaultPolicy.maxConcurrent;
    const verdict = worst < GOAL_MS ? 'met' : 'MISSED';
    return [
      {
        bench: '7. Endpoint batch, 100 due',
        metric:
          `Completion, maxConcurrent ${limit} (default; ${Math.max(...batches.map((b) => b.maxInFlight))} reached), median of ${BATCHES} ` +
          `(slowest ${ms(worst)}; goal < 10 s: ${verdict}), vs 100 × median single renewal (${ms(one)}); ` +
          `CPU service / engine ÷ wall ${ratio(serviceCpu, wall)} / ${ratio(engineCpu, wall)}`,
        measured: ms(elapsed),
        baseline: ms(ideal),
        ratio: ratio(elapsed, ideal),
      },
    ];
  } finally {
    await service.close();
  }
}

if (require.main === module) {
  if (process.argv[2] === 'service') void serviceMain();
  else main(run);
}
