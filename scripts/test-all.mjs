// `npm test`: every layer in order, stopping at the first that fails, then one closing line with
// the counts of all of them ("tests: N passed, N failed, N skipped"; CI reads that last line).
// The counts never hide a layer: one that failed without reporting a failing test counts as one
// failed, and so does every layer that did not run because an earlier one failed or the run was
// interrupted. Ctrl+C lets the running layer clean up (its temp dirs, code-server, the browser)
// before the summary.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const steps = ['typecheck', 'lint', 'build', 'test:unit', 'test:protocol', 'test:vscode', 'test:e2e'];
/** @type {{ name: string, state: 'not run' | 'passed' | 'failed' | 'interrupted', code?: number, passed: number, failed: number, skipped: number }[]} */
const layers = steps.map((name) => ({ name, state: 'not run', passed: 0, failed: 0, skipped: 0 }));

let current; // the running layer's npm process
let interrupted; // the signal that stopped the run
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    console.error(`\n${signal}: stopping after the running layer has cleaned up`);
    // The layer runs in its own process group (npm, its shell, the test process and whatever that
    // started), which gets the signal once, from here: a shell between npm and the test process
    // would not pass it on.
    if (current) {
      try {
        process.kill(-current.pid, signal);
      } catch {
        // already gone
      }
    }
  });
}

// Never leave a layer running behind this process.
process.on('exit', () => {
  if (current) {
    try {
      process.kill(-current.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

function run(layer) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', layer.name], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    current = child;
    let rest = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) count(layer, line);
    });
    child.on('close', (code, signal) => {
      count(layer, rest);
      current = undefined;
      resolve(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

/**
 * Mocha's "N passing / N failing / N pending"; the in-editor launcher's "vscode: N passed, N failed",
 * which already sums the mocha runs of its phases (their lines pass through its output too).
 */
function count(layer, line) {
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  let m;
  if (layer.name === 'test:vscode') {
    if ((m = /^vscode: (\d+) passed, (\d+) failed$/.exec(plain))) {
      layer.passed += Number(m[1]);
      layer.failed += Number(m[2]);
    } else if ((m = /^vscode: (\d+) skipped$/.exec(plain))) layer.skipped += Number(m[1]);
  } else if ((m = /^\s*(\d+) passing\b/.exec(plain))) layer.passed += Number(m[1]);
  else if ((m = /^\s*(\d+) failing\b/.exec(plain))) layer.failed += Number(m[1]);
  else if ((m = /^\s*(\d+) pending\b/.exec(plain))) layer.skipped += Number(m[1]);
}

const started = Date.now();
for (const layer of layers) {
  if (interrupted) break;
  layer.code = await run(layer);
  if (layer.code === 0 && !interrupted) {
    layer.state = 'passed';
    continue;
  }
  layer.state = interrupted ? 'interrupted' : 'failed';
  // A layer that failed without a failing test (a crash, a compile error, a timeout) is one failure.
  if (layer.failed === 0) layer.failed = 1;
  break;
}
const notRun = layers.filter((l) => l.state === 'not run');
// Tests that never ran are not passes: each layer that did not run counts as one failed.
for (const layer of notRun) layer.failed = 1;

console.log('\nlayers:');
const width = Math.max(...steps.map((s) => s.length));
for (const l of layers) {
  const counts = l.passed + l.failed + l.skipped > 0 ? `  ${l.passed} passed, ${l.failed} failed, ${l.skipped} skipped` : '';
  const state =
    l.state === 'not run' ? 'did not run (counted as 1 failed)' : l.state === 'passed' ? 'passed' : `${l.state} (exit ${l.code})`;
  console.log(`  ${l.name.padEnd(width)}  ${state}${l.state === 'not run' ? '' : counts}`);
}
if (notRun.length) console.log(`did not run: ${notRun.map((l) => l.name).join(', ')}`);
console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
const total = (key) => layers.reduce((sum, l) => sum + l[key], 0);
const ok = layers.every((l) => l.state === 'passed');
console.log(`tests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
process.exit(ok ? 0 : interrupted ? 128 + constants.signals[interrupted] : 1);
