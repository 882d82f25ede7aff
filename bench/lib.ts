// Timing, statistics and the results table shared by the benchmarks.
import { execFileSync } from 'node:child_process';
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
