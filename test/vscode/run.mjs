// Runs the in-editor suite (test/vscode/suite) in a real VS Code: code-server's extension host and
// web workbench, opened by a headless chromium, against the test IdP running in this process.
//   npm run build && npm run test:vscode
// SK_TEST_VERBOSE=1 prints every workbench log line; SK_TEST_KEEP=1 keeps the run's temp dir.
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCodeServer } from '../../scripts/ensure-code-server.mjs';
const { startIdp } = await import(process.env.SK_DEV_IDP ?? '../idp/idp.mjs'); // DEV-TEMP
import { prepareProfile, root, suiteEnv, suitePath } from './fixture.mjs';
import { artifactsDir, createUiDriver, extensionHostLogTail, launchBrowser, startCodeServer } from './harness.mjs';

const RUN_TIMEOUT_MS = 5 * 60_000;
const verbose = process.env.SK_TEST_VERBOSE === '1';

const cleanups = [];
async function cleanUp() {
  while (cleanups.length) await cleanups.pop()().catch((e) => console.error(`cleanup: ${e.message}`));
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { console.error(`\n${signal}: stopping`); void cleanUp().finally(() => process.exit(130)); });
}

async function main() {
  for (const file of [join(root, 'dist', 'extension.js'), `${suitePath}.js`]) {
    if (!existsSync(file)) throw new Error(`${file} is missing; run \`npm run build\` first`);
  }
  const entry = ensureCodeServer();
  rmSync(artifactsDir, { recursive: true, force: true });
  const dir = mkdtempSync(join(tmpdir(), 'sk-vscode-'));
  const started = Date.now();

  const idp = await startIdp({});
  cleanups.push(() => idp.close());
  const profile = prepareProfile({ dir, issuer: idp.issuer });
  const server = await startCodeServer({ entry, dir, ...profile, env: suiteEnv({ dir, issuer: idp.issuer, ui: 'browser' }) });
  process.on('exit', () => server.kill()); // even if cleanup never ran
  cleanups.push(() => server.stop());
  const { browser, context, logPath: browserLog } = await launchBrowser({ dir });
  cleanups.push(() => browser.close());
  const workbench = await context.newPage();
  const driver = createUiDriver({ context, workbench });

  const phases = [];
  let phase; // the phase whose window is open
  let reloadRequested = false;
  let onExit;
  let stepsDone = Promise.resolve();

  // The workbench calls these in test mode (enable-smoke-test-driver): every log line, then the exit code.
  await workbench.exposeFunction('codeAutomationLog', (level, message) => {
    for (const line of String(message).split('\n')) {
      const marker = /^@@(ui|result) (.*)$/.exec(line.trim());
      if (marker?.[1] === 'ui') {
        const request = JSON.parse(marker[2]);
        stepsDone = stepsDone.then(() => perform(request)); // one step at a time, in order
      } else if (marker?.[1] === 'result') {
        phase.result = JSON.parse(marker[2]);
      } else if (verbose || isTestOutput(level, line)) {
        console.log(verbose ? `[${level}] ${line}` : line);
      }
    }
  });
  await workbench.exposeFunction('codeAutomationExit', (code) => onExit(code));

  async function perform({ id, step, ...args }) {
    let ack = { ok: true };
    try {
      if (step === 'reload') {
        reloadRequested = true; // done once this window's tests have finished
      } else if (driver.steps[step]) {
        await driver.steps[step](args);
      } else {
        throw new Error(`unknown UI step "${step}"`);
      }
    } catch (e) {
      ack = { ok: false, error: e.message.split('\n')[0] };
      await driver.screenshot(workbench, `${step}-failed`);
    }
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
    const url = server.workbenchUrl({ folder: profile.workspaceDir, extensionDevelopmentPath: root, extensionTestsPath: suitePath });
    do {
      phase = { number: phases.length + 1 };
      phases.push(phase);
      reloadRequested = false;
      const exited = new Promise((resolve) => { onExit = resolve; });
      console.log(`\n— phase ${phase.number}${phase.number > 1 ? ' (after a window reload)' : ''}`);
      // Same browser context for every phase: the secrets of the window live in its storage.
      await Promise.race([phase.number === 1 ? workbench.goto(url) : workbench.reload(), timedOut]);
      phase.exitCode = await Promise.race([exited, timedOut]);
      await Promise.race([stepsDone, timedOut]);
    } while (reloadRequested);
  } catch (e) {
    failure = e;
    for (const page of context.pages()) await driver.screenshot(page, 'timeout');
  } finally {
    clearTimeout(timer);
  }

  let passed = 0;
  let failed = 0;
  for (const p of phases) {
    if (p.result) {
      passed += p.result.passes;
      failed += p.result.failures;
    } else {
      failed += 1; // the suite never reported: it did not load, or the run was cut short
      console.log(`phase ${p.number}: the suite reported no results (exit code ${p.exitCode ?? 'none'})`);
    }
  }
  const ok = !failure && failed === 0 && phases.every((p) => p.exitCode === 0);
  if (!ok) {
    if (failure) console.log(`\nvscode run failed: ${failure.message}`);
    const log = extensionHostLogTail(profile.userDataDir);
    if (log) console.log(`\n--- ${log.path} (tail)\n${log.tail}\n---`);
    console.log(`logs: ${server.logPath}, ${browserLog}; screenshots: ${artifactsDir}`);
  }
  await cleanUp();
  if (ok && process.env.SK_TEST_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`vscode: ${passed} passed, ${failed} failed`);
  return ok;
}

/** Test output is what the extension host's console prints; the rest is workbench noise. */
function isTestOutput(level, line) { // DEV-TEMP
  return true;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  async (e) => {
    console.error(e);
    await cleanUp();
    process.exit(1);
  },
);
