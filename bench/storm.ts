// 4. A storm: 1,000 sessions of 1,000 accounts all due at once against the local IdP. How long
// the refresher takes at its default concurrency limit and at 1, against the time one refresh
// takes times 1,000 divided by the limit.
import { MemoryMemento, MemorySecrets } from '../test/support/fakes';
import { systemClock, type Clock } from '../src/session/base/clock';
import { createFetch } from '../src/session/net/http';
import { silentLogger } from '../src/session/base/log';
import { OAuthClient } from '../src/session/kinds/oauth/client';
import { SessionKeeperProvider } from '../src/session/provider';
import { defaultPolicy } from '../src/session/refresh/refresher';
import { SessionStore } from '../src/session/storage/store';
import { createEngine, providerConfig, signInAt, startBenchIdp, users, type BenchIdp } from './fixture';
import { withAccount } from '../src/session/kinds/oauth/flows/contract';
import { main, mean, median, ms, now, ratio, renewAllDue, timed, type Row } from './lib';
import { OAuthSource } from '../src/session/kinds/oauth/source';

const SESSIONS = 1_000;
/** Access tokens live 10 minutes: a session is due 5 minutes after sign-in (the 5-minute lead). */
const TTL_S = 600;
const SIGN_IN_CONCURRENCY = 2;
const SINGLE_WARMUP = 20;
const SINGLE_SAMPLES = 60;

/** The system clock, `skewMs` ahead: the editor opening that much later. */
const laterClock = (skewMs: number): Clock => ({ ...systemClock, now: () => Date.now() + skewMs });

/** Signs every user in once through the provider's createSession, as the Sign In command does. */
async function signInAll(idp: BenchIdp, secrets: MemorySecrets, memento: MemoryMemento, logins: string[]): Promise<void> {
  const store = new SessionStore(secrets, memento, silentLogger);
  const config = providerConfig(idp.issuer);
  const client = new OAuthClient({ issuer: idp.issuer, clientId: config.clientId, fetch: createFetch(30_000), timeoutMs: 30_000 });
  const queue = [...logins];
  // No refresher here: this only fills the keychain the storm's engine starts from.
  const provider = new SessionKeeperProvider(config, {
    store,
    source: new OAuthSource(client),
    logger: silentLogger,
    now: Date.now,
    ensureFresh: async () => undefined,
    signIn: (request) => signInAt(idp, client, queue.shift()!, request).then(withAccount),
  });
  try {
    let left = logins.length;
    await Promise.all(
      Array.from({ length: SIGN_IN_CONCURRENCY }, async () => {
        while (left-- > 0) await provider.createSession([]);
      }),
    );
  } finally {
    provider.dispose();
  }
}

type StormResult = Awaited<ReturnType<typeof storm>>;

/** Starts an engine over the stored sessions (all due at `skewMs`) and waits for every refresh. */
async function storm(idp: BenchIdp, secrets: MemorySecrets, memento: MemoryMemento, skewMs: number, maxConcurrent: number) {
  const store = new SessionStore(secrets, memento, silentLogger);
  await store.load();
  const ids = store.accounts().flatMap((a) => a.sessions.map((s) => s.id));
  const refreshCount = new Map(ids.map((id) => [id, store.find(id)!.session.refresh.refreshCount]));
  const before = await idp.stats();
  const { elapsed, cpu, maxInFlight } = await renewAllDue(
    ids,
    () => createEngine(idp, store, { nextLogin: () => 'nobody', clock: laterClock(skewMs), policy: { maxConcurrent } }),
    idp,
    maxConcurrent,
  );
  const after = await idp.stats();
  const invalidGrant = after.invalidGrant - before.invalidGrant;
  if (invalidGrant) throw new Error(`the IdP answered invalid_grant ${invalidGrant} times`);
  const renewed = ids.filter((id) => store.find(id)!.session.refresh.refreshCount === refreshCount.get(id)! + 1).length;
  if (renewed !== SESSIONS) throw new Error(`${SESSIONS - renewed} sessions were not renewed exactly once`);
  return {
    elapsed,
    cpu,
    maxInFlight,
    invalidGrant,
    needsSignIn: ids.filter((id) => store.find(id)!.session.refresh.needsSignIn).length,
  };
}

/** Sequential refreshes through an engine over the same sessions, with nothing else due. */
async function singleRefreshes(idp: BenchIdp, secrets: MemorySecrets, memento: MemoryMemento, ids: string[], out: number[]): Promise<void> {
  const store = new SessionStore(secrets, memento, silentLogger);
  await store.load();
  const engine = createEngine(idp, store, { nextLogin: () => 'nobody' });
  try {
    for (let i = 0; i < ids.length; i++) {
      const t = await timed(() => engine.refresher.refresh(ids[i]));
      if (i >= SINGLE_WARMUP) out.push(t);
    }
  } finally {
    engine.dispose();
  }
}

export async function run(): Promise<Row[]> {
  const logins = Object.keys(users(SESSIONS));
  const idp = await startBenchIdp({ accessTokenTtl: TTL_S, users: users(SESSIONS) });
  try {
    const secrets = new MemorySecrets();
    const memento = new MemoryMemento();
    const signInStart = now();
    await signInAll(idp, secrets, memento, logins);
    const signInMs = now() - signInStart;
    const ids = await listIds(secrets, memento);

    // Half the single-refresh samples before the storms and half after, and the storms in the
    // order default, 1, 1, default: a machine that gets busier or quieter shifts both sides alike.
    const single: number[] = [];
    const half = SINGLE_SAMPLES / 2;
    await singleRefreshes(idp, secrets, memento, ids.slice(0, SINGLE_WARMUP + half), single);
    const limit = defaultPolicy.maxConcurrent;
    const runs: Record<number, StormResult[]> = { [limit]: [], 1: [] };
    // Sessions are due 5 minutes after sign-in or after their last refresh (minus jitter); each
    // storm opens the editor one more token lifetime later, so all 1,000 are due at its start.
    for (const [k, n] of [limit, 1, 1, limit].entries()) runs[n].push(await storm(idp, secrets, memento, (k + 1) * TTL_S * 1000, n));
    await singleRefreshes(idp, secrets, memento, ids.slice(SINGLE_WARMUP + half, 2 * (SINGLE_WARMUP + half)), single);
    const one = median(single);

    const elapsed = (n: number) => mean(runs[n].map((r) => r.elapsed));
    const all = [...runs[limit], ...runs[1]];
    const ideal = (n: number) => (SESSIONS * one) / n;
    const idpCpu = mean(runs[limit].map((r) => r.cpu.helper));
    const engineCpu = mean(runs[limit].map((r) => r.cpu.engine));
    const bench = '4. Storm, 1,000 due';
    return [
      {
        bench,
        metric: `Completion, maxConcurrent ${limit} (default), mean of 2, vs 1,000 × median single refresh (${ms(one)}) ÷ ${limit}`,
        measured: ms(elapsed(limit)),
        baseline: ms(ideal(limit)),
        ratio: ratio(elapsed(limit), ideal(limit)),
      },
      {
        bench,
        metric: 'Completion, maxConcurrent 1, mean of 2, vs 1,000 × median single refresh',
        measured: ms(elapsed(1)),
        baseline: ms(ideal(1)),
        ratio: ratio(elapsed(1), ideal(1)),
      },
      {
        bench,
        metric: `Speed-up of maxConcurrent ${limit} over 1 (completion at 1 ÷ at ${limit}; higher is better)`,
        measured: ms(elapsed(limit)),
        baseline: ms(elapsed(1)),
        ratio: ratio(elapsed(1), elapsed(limit)),
      },
      {
        bench,
        metric: `CPU during the default storms: IdP process / engine process, ÷ wall time`,
        measured: `${ms(idpCpu)} / ${ms(engineCpu)}`,
        baseline: ms(elapsed(limit)),
        ratio: `${ratio(idpCpu, elapsed(limit))} / ${ratio(engineCpu, elapsed(limit))}`,
      },
      {
        bench,
        metric: `Most refreshes in flight (maxInFlight) at limit ${limit} / at limit 1`,
        measured: `${Math.max(...runs[limit].map((r) => r.maxInFlight))} / ${Math.max(...runs[1].map((r) => r.maxInFlight))}`,
        baseline: `${limit} / 1`,
        ratio: '—',
      },
      {
        bench,
        metric: `invalid_grant answers / sessions needing sign-in, all 4 storms (${SESSIONS.toLocaleString('en')} sign-ins took ${(signInMs / 1000).toFixed(1)} s)`,
        measured: `${all.reduce((a, r) => a + r.invalidGrant, 0)} / ${all.reduce((a, r) => a + r.needsSignIn, 0)}`,
        baseline: '0 / 0',
        ratio: '—',
      },
    ];
  } finally {
    await idp.close();
  }
}

async function listIds(secrets: MemorySecrets, memento: MemoryMemento): Promise<string[]> {
  const store = new SessionStore(secrets, memento, silentLogger);
  await store.load();
  return store.accounts().flatMap((a) => a.sessions.map((s) => s.id));
}

if (require.main === module) main(run);
