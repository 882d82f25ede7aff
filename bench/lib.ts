// Timing, statistics and the results table shared by the benchmarks.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/** One line of the results table. Ratios are measured ÷ baseline from the same run. */
export interface Row {
  readonly bench: string;
  readonly metric: string;
  readonly measured: string;
  readonly baseline: string;
  readonly ratio: string;
}

export const now = (): number => performance.now();

/** Milliseconds one awaited call takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = now();
  await fn();
  return now() - start;
}

/** Nearest-rank percentile of samples (p in 0..100). */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export const ms = (v: number): string => `${v.toFixed(2)} ms`;
export function ratio(measured: number, baseline: number): string {
  const r = measured / baseline;
  return `${r.toFixed(r < 10 ? 2 : r < 100 ? 1 : 0)}×`;
}

/** Heap in use after full collections; needs node --expose-gc. */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run node with --expose-gc');
  // Twice: the first pass may only queue finalizers whose memory the second frees.
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| Benchmark | Metric | Measured | Baseline | Ratio |', '|---|---|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.bench} | ${r.metric} | ${r.measured} | ${r.baseline} | ${r.ratio} |`);
  return lines.join('\n');
}

export function machine(): string {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = execFileSync('nproc', { encoding: 'utf8' }).trim();
  // The machine is shared: its load says how much the absolute times (not the ratios) can be trusted.
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return `nproc ${cores}, CPU ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, load average ${load} (1 / 5 / 15 min) at the end of the run`;
}

/**
 * Runs one benchmark file. Under bench/run.ts (forked with IPC) the rows go back to the parent;
 * run directly, the file prints its own table.
 */
export function main(run: () => Promise<Row[]>): void {
  run().then(
    (rows) => {
      if (process.send) process.send({ rows }, () => process.disconnect());
      else console.log(markdownTable(rows));
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}

/** A benchmark's helper process (an IdP, a service), asked over IPC: `{ id, op, ... }` -> `{ id, result | error }`. */
export interface Worker<R> {
  /** What the process sent as `{ ready }` once it was listening. */
  readonly ready: R;
  readonly call: <T>(op: string, args?: object) => Promise<T>;
  /** CPU time the process has used, in ms (its `cpu` op). */
  readonly cpuMs: () => Promise<number>;
  /** Its `close` op, then waits for it to exit. */
  readonly close: () => Promise<void>;
}

/** Starts a helper process; its calls fail, and its start too, if it exits. */
export async function startWorker<R>(
  name: string,
  modulePath: string,
  options: { args?: string[]; execArgv: string[]; env?: NodeJS.ProcessEnv },
): Promise<Worker<R>> {
  const child = fork(modulePath, options.args ?? [], {
    execArgv: options.execArgv,
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const ready = await new Promise<R>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const err = new Error(`${name} exited with ${code}`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
    });
    child.on('message', (m: { ready?: R; id?: number; result?: unknown; error?: string }) => {
      if (m.ready !== undefined) return resolve(m.ready);
      const p = pending.get(m.id!);
      pending.delete(m.id!);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
  });
  const call = <T>(op: string, args: object = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      child.send({ id, op, ...args });
    });
  return {
    ready,
    call,
    cpuMs: async () => {
      const { user, system } = await call<NodeJS.CpuUsage>('cpu');
      return (user + system) / 1000;
    },
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      await call('close');
      await exited;
    },
  };
}

/** What renewAllDue needs of an engine: its refresher and a way to stop it. */
export interface DueEngine {
  readonly refresher: {
    isRefreshing(id: string): boolean;
    refresh(id: string): Promise<unknown>;
    state(): { readonly maxInFlight: number };
  };
  dispose(): void;
}

/**
 * Times an engine started over sessions that are all due: from its start until every one is renewed
 * once, with the CPU time of this process and of the helper process (IdP or service) meanwhile.
 * Fails unless every session was due from the first moment and at most `limit` ran at once; the
 * engine is disposed before it returns.
 */
export async function renewAllDue(
  ids: readonly string[],
  startEngine: () => DueEngine,
  helper: { cpuMs(): Promise<number> },
  limit: number,
): Promise<{ elapsed: number; cpu: { helper: number; engine: number }; maxInFlight: number }> {
  const helperCpu = await helper.cpuMs();
  const ownCpu = process.cpuUsage();
  const start = now();
  // Starting the engine starts its refresher, which starts every due renewal at once.
  const engine = startEngine();
  try {
    // Running or queued behind the limit: every session must be due from the first moment.
    if (!ids.every((id) => engine.refresher.isRefreshing(id))) throw new Error('not every session was due at start');
    // refresh() of an id already in flight returns that renewal; it starts none.
    await Promise.all(ids.map((id) => engine.refresher.refresh(id)));
    const elapsed = now() - start;
    const { user, system } = process.cpuUsage(ownCpu);
    const cpu = { helper: (await helper.cpuMs()) - helperCpu, engine: (user + system) / 1000 };
    const maxInFlight = engine.refresher.state().maxInFlight;
    if (maxInFlight > limit) throw new Error(`${maxInFlight} renewals ran at once with a limit of ${limit}`);
    return { elapsed, cpu, maxInFlight };
  } finally {
    engine.dispose();
  }
}
