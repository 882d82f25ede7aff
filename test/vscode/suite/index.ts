// The test runner VS Code loads in the extension host (extensionTestsPath). The extension host exits
// when run() settles, so behaviour across a window reload is tested in phases: each window runs
// one phase, then asks the driver to reload the window into the next.
import * as util from 'node:util';
import * as vscode from 'vscode';
import type { TestApi } from '../../../src/extension';
import { sessionKeeperId } from './fixtures';
import { cancelPendingSteps, print, readPhase, requestReload, resetUi } from './ui';

// Static requires, not a glob: the suite is one bundle. Requiring a file after mocha has set up
// its globals (`suite`, `test`) is what registers that file's tests. A phase `needs` the phases
// whose state it builds on: SK_TEST_SUITE runs only them, whole, with the chosen files.
const files: Record<string, () => void> = {
  harness: () => require('./harness.test'),
  signIn: () => require('./signIn.test'),
  afterReload: () => require('./afterReload.test'),
  latency: () => require('./latency.test'),
  renewal: () => require('./renewal.test'),
  outage: () => require('./outage.test'),
  workspace: () => require('./workspace.test'),
  proxy: () => require('./proxy.test'),
  terminal: () => require('./terminal.test'),
  signOut: () => require('./signOut.test'),
  flows: () => require('./flows.test'),
  endpoint: () => require('./endpoint.test'),
  flowsAfterReload: () => require('./flowsAfterReload.test'),
  endpointAfterReload: () => require('./endpointAfterReload.test'),
  markup: () => require('./markup.test'),
  terminalFolders: () => require('./terminalFolders.test'),
};

interface Phase {
  readonly files: readonly (keyof typeof files)[];
  readonly needs?: readonly number[];
}

const phases: readonly Phase[] = [
  { files: ['harness', 'signIn'] },
  // These need alice signed in; a failure in outage or later still lets sign-out run in this window.
  { needs: [1], files: ['afterReload', 'latency', 'renewal', 'outage', 'workspace', 'proxy', 'terminal', 'signOut'] },
  { files: ['flows', 'endpoint'] },
  // markup last: it signs an account in to acme-token and out again, which the tests above must not see.
  { needs: [3], files: ['flowsAfterReload', 'endpointAfterReload', 'markup'] },
  // A window with two workspace folders; bob's pasted-token session of phase 3 is still signed in.
  { needs: [3], files: ['terminalFolders'] },
];

/**
 * The files phase `n` registers: all of them, or with SK_TEST_SUITE (comma-separated name
 * prefixes, e.g. `endpoint`) the chosen ones, and every file of a phase a chosen one needs.
 */
export function filesOfPhase(n: number, suite = process.env.SK_TEST_SUITE): readonly string[] {
  const all = phases[n - 1].files;
  if (!suite) return all;
  const prefixes = suite
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const chosen = (i: number) => phases[i - 1].files.filter((f) => prefixes.some((p) => f.startsWith(p)));
  const needed = new Set<number>();
  const need = (i: number): void => {
    for (const d of phases[i - 1].needs ?? []) {
      if (needed.has(d)) continue;
      needed.add(d);
      need(d);
    }
  };
  for (let i = 1; i <= phases.length; i++) if (chosen(i).length) need(i);
  return needed.has(n) ? all : chosen(n);
}

/** Phases whose window opens the two-folder workspace instead of the one folder. */
const multiRootPhases = new Set([5]);

interface Stats {
  passes: number;
  failures: number;
  pending: number;
}

export async function run(): Promise<void> {
  const Mocha = require('mocha');
  // The console forwards arguments unformatted; mocha's reporters print format strings.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => print(util.format(...args));
  const phase = readPhase();
  // Sign-in waits for a real browser and IdP: generous per test (a slow machine is not a failure), but bounded.
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 300_000, slow: 15_000 });
  // SK_TEST_GREP runs only the matching tests (and what they build on), e.g. to repeat the renewal tests.
  if (process.env.SK_TEST_GREP) mocha.grep(new RegExp(process.env.SK_TEST_GREP));
  mocha.suite.emit('pre-require', globalThis, `phase-${phase}`, mocha);
  // Every test starts from a state it does not inherit: nothing of an earlier test's UI, and no
  // answers it queued for input boxes and did not use (they would answer the next test's boxes).
  mocha.suite.beforeEach('a plain workbench, no queued answers', async () => {
    // Only an active Session Keeper can hold answers; activating it here would change what the tests measure.
    const keeper = vscode.extensions.getExtension<TestApi | undefined>(sessionKeeperId);
    const inputs = keeper?.isActive ? keeper.exports?.inputs : undefined;
    let left = 0;
    for (; inputs?.pending; left++) inputs.take();
    if (left) print(`    (dropped ${left} input answer(s) an earlier test queued and did not use)`);
    await resetUi();
  });
  // A test that failed or timed out may leave a UI step under way: it is stopped before it acts in the next test.
  mocha.suite.afterEach('no UI step left under way', () => cancelPendingSteps('its test has ended'));
  const registered = filesOfPhase(phase);
  if (registered.length < phases[phase - 1].files.length)
    print(`  (SK_TEST_SUITE=${process.env.SK_TEST_SUITE}: ${registered.join(', ') || 'nothing'} in this phase)`);
  for (const f of registered) files[f]();
  const stats = await new Promise<Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
  });
  // One machine-readable line per phase; the launcher sums these.
  console.log(
    `@@result ${JSON.stringify({ phase, phases: phases.length, passes: stats.passes, failures: stats.failures, pending: stats.pending })}`,
  );
  if (stats.failures > 0) throw new Error(`${stats.failures} test(s) failed in phase ${phase}`);
  // A failed phase leaves nothing for the next one to build on, so only a clean phase continues.
  if (phase < phases.length) await requestReload(phase + 1, { multiRoot: multiRootPhases.has(phase + 1) });
}
