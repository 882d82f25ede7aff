// `npm test`: every layer in order, stopping at the first that fails, then one closing line with
// the counts of all of them ("tests: N passed, N failed, N skipped").
import { spawn } from 'node:child_process';

const steps = ['typecheck', 'build', 'test:unit', 'test:protocol', 'test:vscode', 'test:e2e'];
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) count(script, line);
    });
    child.on('close', (code) => {
      count(script, rest);
      resolve(code ?? 1);
    });
  });
}

/**
 * Mocha's "N passing / N failing / N pending"; the in-editor launcher's "vscode: N passed, N failed",
 * which already sums the mocha runs of its phases (their lines pass through its output too).
 */
function count(script, line) {
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  const launcher = script === 'test:vscode';
  let m;
  if (launcher) {
    if ((m = /^vscode: (\d+) passed, (\d+) failed$/.exec(plain))) {
      totals.passed += Number(m[1]);
      totals.failed += Number(m[2]);
    } else if ((m = /^vscode: (\d+) skipped$/.exec(plain))) totals.skipped += Number(m[1]);
  } else if ((m = /^\s*(\d+) passing\b/.exec(plain))) totals.passed += Number(m[1]);
  else if ((m = /^\s*(\d+) failing\b/.exec(plain))) totals.failed += Number(m[1]);
  else if ((m = /^\s*(\d+) pending\b/.exec(plain))) totals.skipped += Number(m[1]);
}

const started = Date.now();
let exitCode = 0;
for (const step of steps) {
  const code = await run(step);
  if (code !== 0) {
    console.log(`\nnpm run ${step} failed (exit ${code})`);
    if (totals.failed === 0) totals.failed = 1;
    exitCode = 1;
    break;
  }
}
console.log(`\n(${Math.round((Date.now() - started) / 1000)} s)`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(exitCode);
