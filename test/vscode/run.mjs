// Runs the in-editor suite (test/vscode/suite) in a real VS Code: code-server's extension host and
// web workbench, opened by a headless chromium, against the test IdP and the JSON session service
// running in this process.
//   npm run build && npm run test:vscode
// SK_TEST_VERBOSE=1 prints every workbench log line. The run's temp dir goes on every way out (also
// Ctrl+C); a failed run's logs are copied to .test-artifacts/vscode/logs first. SK_TEST_KEEP=1
// keeps the temp dir and prints its path.
//
// The suite talks to this driver through its console (see suite/ui.ts): `@@out` lines are test
// output, `@@result` a phase's counts, `@@ui` a step for the driver to perform in the page, which
// it acknowledges with <SK_TEST_DIR>/ui-ack-<id>.json (with what the step read, if anything). A
// `reload` step asks for the next phase: once this window's extension host has exited, the page is
// reloaded and the suite runs again.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onInterrupt } from '../support/tempDirs.mjs';
import { root, suitePath, writePhase } from './fixture.mjs';
import { artifactsDir, extensionHostLogTails, startEnvironment } from './harness.mjs';

// Phase 2 holds an outage of 45 s and a wait for background renewals; a passing run takes about 5 min.
const RUN_TIMEOUT_MS = 8 * 60_000;
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

  /** @typedef {{ number: number, exitCode?: number, result?: { passes: number, failures: number, pending: number } }} Phase */
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

  // The workbench calls these in test mode (enable-smoke-test-driver): every log line, then the exit code.
  await workbench.exposeFunction('codeAutomationLog', (level, message) => {
    for (const line of String(message).split('\n')) {
      const marker = /^@@(out|ui|result) ?(.*)$/.exec(line);
      if (marker?.[1] === 'out') {
        console.log(marker[2]);
      } else if (marker?.[1] === 'ui') {
        const request = JSON.parse(marker[2]);
        stepsDone = stepsDone.then(() => perform(request)); // one step at a time, in order
      } else if (marker?.[1] === 'result') {
        phase.result = JSON.parse(marker[2]);
      } else if (verbose) {
        console.log(`[${level}] ${line}`); // workbench noise
      }
    }
  });
  await workbench.exposeFunction('codeAutomationExit', (code) => onExit(code));

  async function perform({ id, step, ...args }) {
    let ack = { ok: true };
    try {
      if (step === 'reload') {
        reloadRequested = true; // done once this window's tests have finished
        multiRootNext = args.multiRoot === true;
      } else if (driver.steps[step]) {
        const data = await driver.steps[step](args);
        if (data !== undefined) ack = { ok: true, data };
      } else {
        throw new Error(`unknown UI step "${step}"`);
      }
    } catch (e) {
      ack = { ok: false, error: e.message.split('\n')[0] };
      await driver.screenshot(workbench, `${step}-failed`);
    }
    if (finished) return; // the run was cut short while this step was under way
    console.log(`  [ui] ${step} ${ack.ok ? 'done' : `failed: ${ack.error}`}`);
    const file = join(dir, `ui-ack-${id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(ack));
    renameSync(`${file}.tmp`, file); // the suite never sees half a file
  }

  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${RUN_TIMEOUT_MS / 60_000} min`)), RUN_TIMEOUT_MS);
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
      // One browser context for every phase: the window's secrets live in its storage.
      const load =
        phase.number === firstPhase
          ? workbench.goto(url)
          : multiRoot
            ? workbench.goto(env.workbenchUrl(suitePath, { multiRoot }))
            : workbench.reload();
      await Promise.race([load, timedOut]);
      phase.exitCode = await Promise.race([exited, timedOut]);
      await Promise.race([stepsDone, timedOut]);
    } while (reloadRequested);
  } catch (e) {
    failure = e;
    finished = true;
    for (const page of env.context.pages()) await driver.screenshot(page, 'timeout');
  } finally {
    clearTimeout(timer);
    finished = true;
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
