// `npm run bench`: every benchmark in its own Node process (fresh heap, no shared JIT or sockets),
// one after another; then one table on stdout and in BENCHMARKS.md.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, markdownTable, now, type Row } from './lib';
import { report } from './report';

const BENCHMARKS = ['refresh', 'getSession', 'scheduler', 'storm', 'coordination', 'bundle', 'endpointBatch', 'editor'];
/** A benchmark that hangs is a finding too; it must not keep the run from ending. */
const TIME_LIMIT_MS = 180_000;
/** Three code-server windows, each started from nothing, take longer. */
const TIME_LIMITS_MS: Record<string, number> = { editor: 600_000 };

function runOne(name: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, `${name}.ts`), [], { execArgv: ['--expose-gc', '--import', 'tsx'] });
    let rows: Row[] | undefined;
    const limit = setTimeout(() => child.kill('SIGKILL'), TIME_LIMITS_MS[name] ?? TIME_LIMIT_MS);
    child.on('message', (m: { rows?: Row[] }) => (rows = m.rows));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      if (code === 0 && rows) resolve(rows);
      else reject(new Error(`bench/${name}.ts ended with ${signal ?? `exit code ${code}`}`));
    });
  });
}

async function runAll(): Promise<void> {
  const start = now();
  const rows: Row[] = [];
  let failed = false;
  for (const name of BENCHMARKS) {
    const t = now();
    process.stderr.write(`bench/${name}.ts … `);
    try {
      rows.push(...(await runOne(name)));
      process.stderr.write(`${((now() - t) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failed = true;
      process.stderr.write(`failed\n${String(err)}\n`);
      rows.push({ bench: name, metric: 'FAILED, see the log of the run', measured: '—', baseline: '—', ratio: '—' });
    }
  }
  const seconds = (now() - start) / 1000;
  const table = markdownTable(rows);
  console.log(`${table}\n\nMachine: ${machine()}. Total run time: ${seconds.toFixed(1)} s.`);
  writeFileSync(join(__dirname, '..', 'BENCHMARKS.md'), report({ table, machine: machine(), seconds, date: new Date() }));
  if (failed) process.exitCode = 1;
}

void runAll();
