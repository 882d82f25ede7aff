// The test runner VS Code loads in the extension host (extensionTestsPath). The extension host exits
// when run() settles, so behaviour across a window reload is tested in phases: each window runs
// one phase, then asks the driver to reload the window into the next.
import * as util from 'node:util';
import * as vscode from 'vscode';
import type { TestApi } from '../../../src/extension';
import { sessionKeeperId } from './fixtures';
import { cancelPendingSteps, print, readPhase, requestReload, resetUi } from './ui';

// Static requires, not a glob: the suite is one bundle. Requiring a file after mocha has set up
// its globals (`suite`, `test`) is what registers that file's tests.
const phases: (() => void)[] = [
  () => {
    require('./harness.test');
    require('./signIn.test');
  },
  () => {
    require('./afterReload.test');
    require('./latency.test');
    require('./renewal.test');
    // These need alice signed in; a failure here still lets sign-out run in this window.
    require('./outage.test');
    require('./workspace.test');
    require('./proxy.test');
    require('./terminal.test');
    require('./signOut.test');
  },
  () => {
    require('./flows.test');
    require('./endpoint.test');
  },
  () => {
    require('./flowsAfterReload.test');
    require('./endpointAfterReload.test');
    // Last: it signs an account in to acme-token and out again, which the tests above must not see.
    require('./markup.test');
  },
  // A window with two workspace folders; bob's pasted-token session of phase 3 is still signed in.
  () => {
    require('./terminalFolders.test');
  },
];

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
  phases[phase - 1]();
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
