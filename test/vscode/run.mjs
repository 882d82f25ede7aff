// Runs the in-editor suite (test/vscode/suite) in a real VS Code: code-server's extension host and
// web workbench, opened by a headless chromium, against the test IdP and the JSON session service
// running in this process.
//   npm run build && npm run test:vscode
// SK_TEST_VERBOSE=1 prints every workbench log line. The run's temp dir goes on every way out (also
// Ctrl+C); a failed run's logs are copied to .test-artifacts/vscode/logs first. SK_TEST_KEEP=1
// keeps the temp dir and prints its path.
//
// SK_TEST_LATE_TIMERS=<ms> makes the workbench page's timers fire that much later, as on a busy
// machine (see startEnvironment in harness.mjs).
//
// The suite talks to this driver through its console (see suite/ui.ts): `@@out` lines are test
// output, `@@result` a phase's counts, `@@ui` a step for the driver to perform in the page, which
// it acknowledges with <SK_TEST_DIR>/ui-ack-<id>.json (with what the step read, if anything), and
// `@@ui-cancel` a step the suite no longer waits for, which stops it (it acts no more). A
// `reload` step asks for the next phase: once this window's extension host has exited, the window
// is reloaded (Developer: Reload Window, which has VS Code write its state first) and the suite runs again.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onInterrupt } from '../support/tempDirs.mjs';
import { root, suitePath, writePhase } from './fixture.mjs';
import { artifactsDir, extensionHostLogTails, startEnvironment } from './harness.mjs';
import { runStep } from './pageActions.mjs';

// A passing run takes about 5 min, more on a loaded machine. A hang is a run where nothing happens:
// no test output and no UI step for longer than any test may take (suite/index.ts gives each 5 min).
const IDLE_TIMEOUT_MS = 8 * 60_000;
// The last resort, far beyond any slow run.
const RUN_TIMEOUT_MS = 45 * 60_000;
const verbose = process.env.SK_TEST_VERBOSE === '1';

let env;
// The environment closes itself and its temp dir goes (see harness.mjs); the counts say what ran.
onInterrupt(() => console.log('vscode: interrupted\nvscode: 0 passed, 1 failed'));

async function main() {
  for (const file of [join(root, 'dist', 'extension.js'), join(root, 'dist', 'cli.js'), `${suitePath}.js`]) {
    if (!existsSync(file)) throw new Error(`${file} is missing; run \`npm run build\` first`);
  }
  rmSync(artifactsDir, { recursive: true, force: true });
  const started = Date.now();
  // Short-lived JWT access tokens: renewals happen during the run, and tests can read `exp`.
  // The device flow is on for the device-code sign-in (suite/flows.test.ts), the endpoint service
  // for the endpoint session (suite/endpoint.test.ts).
  env = await startEnvironment({
    idpOptions: { accessTokenTtl: 20, accessTokenFormat: 'jwt', deviceFlow: true },
    endpointService: true,
  });
  const { dir, workbench, driver } = env;
  // SK_TEST_FIRST_PHASE=3 starts later (the phases of suite/index.ts that need no earlier one).
  const firstPhase = Number(process.env.SK_TEST_FIRST_PHASE ?? 1);
  if (firstPhase > 1) writePhase(dir, firstPhase);

  /** @typedef {{ number: number, exitCode?: number, result?: { passes: number, failures: number, pending: number, phases?: number } }} Phase */
  /** @type {Phase[]} */
  const phases = [];
  /** @type {Phase} */
  let phase; // the phase whose window is open
  let reloadRequested;
  /** The next phase opens the two-folder workspace (the reload step asks for it). */
  let multiRootNext = false;
  let onExit;
  let stepsDone = Promise.resolve();
  let finished = false;
  /** Aborts what is still under way once the run ends. */
  const runEnded = new AbortController();
  /** The steps requested and not yet acknowledged, by id: cancelling one stops it. */
  const pending = new Map();
  let lastActivity = Date.now();

  // The workbench calls these in test mode (enable-smoke-test-driver): every log line, then the exit code.
  await workbench.exposeFunction('codeAutomationLog', (level, message) => {
    for (const line of String(message).split('\n')) {
      const marker = /^@@(out|ui|ui-cancel|result) ?(.*)$/.exec(line);
      if (marker) lastActivity = Date.now();
      if (marker?.[1] === 'out') {
        console.log(marker[2]);
      } else if (marker?.[1] === 'ui') {
        const request = JSON.parse(marker[2]);
        const controller = new AbortController();
        pending.set(request.id, controller);
        stepsDone = stepsDone.then(() => perform(request, controller.signal)); // one step at a time, in order
      } else if (marker?.[1] === 'ui-cancel') {
        const { id, reason } = JSON.parse(marker[2]);
        pending.get(id)?.abort(new Error(`cancelled: ${reason}`));
      } else if (marker?.[1] === 'result') {
        phase.result = JSON.parse(marker[2]);
      } else if (verbose) {
        console.log(`[${level}] ${line}`); // workbench noise
      }
    }
  });
  await workbench.exposeFunction('codeAutomationExit', (code) => onExit(code));

  async function perform({ id, step, budgetMs, ...args }, signal) {
    let ack = { ok: true };
    try {
      // A step cancelled while it waited for the ones before it never starts.
      signal.throwIfAborted();
      if (step === 'reload') {
        reloadRequested = true; // done once this window's tests have finished
        multiRootNext = args.multiRoot === true;
      } else {
        const data = await driver.perform(step, args, { signal, budgetMs });
        if (data !== undefined) ack = { ok: true, data };
      }
    } catch (e) {
      ack = { ok: false, error: String(e?.message ?? e).split('\n')[0] };
      if (!signal.aborted) await driver.screenshot(workbench, `${step}-failed`);
    }
    pending.delete(id);
    lastActivity = Date.now();
    if (finished) return; // the run was cut short while this step was under way
    console.log(`  [ui] ${step} ${ack.ok ? 'done' : `${signal.aborted ? 'stopped' : 'failed'}: ${ack.error}`}`);
    const file = join(dir, `ui-ack-${id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(ack));
    renameSync(`${file}.tmp`, file); // the suite never sees half a file
  }

  let timer;
  let watchdog;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${RUN_TIMEOUT_MS / 60_000} min`)), RUN_TIMEOUT_MS);
    watchdog = setInterval(() => {
      if (Date.now() - lastActivity > IDLE_TIMEOUT_MS)
        reject(new Error(`nothing happened for ${IDLE_TIMEOUT_MS / 60_000} min (no test output, no UI step)`));
    }, 5_000);
  });
  let failure;
  try {
    const url = env.workbenchUrl(suitePath);
    do {
      phase = /** @type {Phase} */ ({ number: firstPhase + phases.length });
      phases.push(phase);
      reloadRequested = false;
      const multiRoot = multiRootNext;
      multiRootNext = false;
      const exited = new Promise((resolve) => {
        onExit = resolve;
      });
      console.log(
        `\n— phase ${phase.number}${phase.number > firstPhase ? ' (after a window reload)' : ''}${multiRoot ? ', two workspace folders' : ''}`,
      );
      // Tabs of the phase before (an IdP page, a second window with its own extension host) do not carry over.
      await Promise.race([driver.closeOtherTabs(), timedOut]);
      lastActivity = Date.now();
      // One browser context for every phase: the window's secrets live in its storage.
      await Promise.race([
        phase.number === firstPhase
          ? workbench.goto(url)
          : multiRoot
            ? workbench.goto(env.workbenchUrl(suitePath, { multiRoot }))
            : runStep(() => driver.reloadWindow(), { signal: runEnded.signal }),
        timedOut,
      ]);
      phase.exitCode = await Promise.race([exited, timedOut]);
      await Promise.race([stepsDone, timedOut]);
    } while (reloadRequested);
  } catch (e) {
    failure = e;
    finished = true;
    for (const page of env.context.pages()) await driver.screenshot(page, 'timeout');
  } finally {
    clearTimeout(timer);
    clearInterval(watchdog);
    finished = true;
    runEnded.abort(new Error('the run ended'));
    for (const controller of pending.values()) controller.abort(new Error('the run ended'));
  }

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const p of phases) {
    if (p.result) {
      passed += p.result.passes;
      failed += p.result.failures;
      skipped += p.result.pending;
    } else {
      failed += 1; // the suite never reported: it did not load, or the run was cut short
      console.log(`phase ${p.number}: the suite reported no results (exit code ${p.exitCode ?? 'none'})`);
    }
  }
  // A failed phase leaves nothing for the next to build on, so the next do not run: each counts as failed.
  const lastPhase = phases[phases.length - 1]?.number ?? firstPhase - 1;
  const phaseCount = Math.max(0, ...phases.map((p) => p.result?.phases ?? 0));
  for (let number = lastPhase + 1; number <= phaseCount; number++) {
    failed += 1;
    console.log(`phase ${number}: did not run, because phase ${lastPhase} did not pass`);
  }
  const ok = !failure && failed === 0 && phases.every((p) => p.exitCode === 0);
  if (!ok) {
    if (failure) console.log(`\nvscode run failed: ${failure.message}`);
    for (const log of extensionHostLogTails(env.profile.userDataDir, 'session-keeper.session-keeper')) {
      console.log(`\n--- ${log.path} (tail)\n${log.tail}\n---`);
    }
    console.log(`screenshots: ${artifactsDir}`);
  }
  await env.finish({ failed: !ok });
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (skipped) console.log(`vscode: ${skipped} skipped`);
  console.log(`vscode: ${passed} passed, ${failed} failed`);
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  async (e) => {
    console.error(e);
    await env?.finish({ failed: true });
    console.log('vscode: 0 passed, 1 failed');
    process.exit(1);
  },
);
