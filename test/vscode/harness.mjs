// Building blocks for driving Session Keeper inside a real VS Code: code-server (the VS Code server
// and its web workbench, one real extension host) opened by a headless Debian chromium through
// playwright-core, against the test IdP. run.mjs runs the suite with them; UI and screenshot
// scripts can start the same environment with startEnvironment() and use its driver's steps.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { ensureCodeServer } from '../../scripts/ensure-code-server.mjs';
import { startIdp } from '../idp/idp.mjs';
import { makeTempDir, onExit, onInterrupt, removeTempDir } from '../support/tempDirs.mjs';
import { prepareProfile, root, startEndpointService, suiteEnv } from './fixture.mjs';
import {
  UncertainError,
  checkpoint,
  chooseInMenu,
  moveAside,
  remaining,
  resetPage,
  runFromCommandPalette,
  runStep,
  waitFor,
} from './pageActions.mjs';

export { waitFor } from './pageActions.mjs';

export const artifactsDir = join(root, '.test-artifacts', 'vscode');

/**
 * One complete environment in a fresh temp dir: the test IdP (in this process), a profile with
 * the provider configured and the test consumer installed, code-server, and a browser page.
 * close() stops everything in reverse order; finish() closes and then removes the temp dir, first
 * copying its logs to `<artifacts>/logs` when the run failed. Call finish() on every path out;
 * an interrupted or crashed process still stops everything and removes the temp dir (see
 * test/support/tempDirs.mjs; SK_TEST_KEEP=1 keeps it).
 */
/**
 * `endpointService` also starts the JSON session service (in this process, beside the IdP) and
 * configures the endpoint provider "dash" against it. `lateTimersMs` makes every timer of the
 * workbench page fire that much later, as on a busy machine where input is handled before timers
 * (SK_TEST_LATE_TIMERS sets it for the suites): UI steps must work all the same.
 * @param {{ idpOptions?: import('../idp/idp.d.mts').IdpOptions, endpointService?: boolean, lateTimersMs?: number }} [options]
 */
export async function startEnvironment({
  idpOptions = {},
  endpointService = false,
  lateTimersMs = Number(process.env.SK_TEST_LATE_TIMERS ?? 0),
} = {}) {
  const entry = ensureCodeServer();
  const dir = makeTempDir('sk-vscode-');
  const stack = [];
  const env = {
    dir,
    logs: { idp: join(dir, 'idp.log'), server: join(dir, 'code-server.log'), browser: join(dir, 'browser.log') },
    async close() {
      while (stack.length)
        await stack
          .pop()()
          .catch((e) => console.error(`cleanup: ${e.message}`));
    },
    /** Closes, keeps the logs of a failed run in `<artifacts>/logs`, and removes the temp dir. */
    async finish({ failed = false, artifacts = artifactsDir } = {}) {
      await env.close();
      stopOnInterrupt();
      if (failed) {
        const saved = saveLogs(env, join(artifacts, 'logs'));
        if (saved) console.log(`logs: ${saved}`);
      }
      removeTempDir(dir);
    },
    /**
     * The workbench with Session Keeper under development, running `extensionTestsPath` if given;
     * `multiRoot` opens the two-folder workspace instead of the one folder.
     */
    workbenchUrl(extensionTestsPath, { multiRoot = false } = {}) {
      const where = multiRoot ? { workspace: env.profile.multiRootWorkspace } : { folder: env.profile.workspaceDir };
      return env.server.workbenchUrl({ ...where, extensionDevelopmentPath: root, extensionTestsPath });
    },
  };
  const stopOnInterrupt = onInterrupt(() => env.close());
  try {
    // oidc-provider's development notices (console.info/warn) would drown the test output.
    console.info = console.warn = (...args) => appendFileSync(env.logs.idp, `${format(...args)}\n`);
    env.idp = await startIdp(idpOptions);
    stack.push(() => env.idp.close());
    if (endpointService) {
      env.service = await startEndpointService();
      stack.push(() => env.service.close());
    }
    // Only an IdP with the device grant gets the providers of the other sign-in flows.
    env.profile = prepareProfile({
      dir,
      issuer: env.idp.issuer,
      otherFlows: idpOptions.deviceFlow === true,
      endpointService: env.service?.url,
    });
    const suite = suiteEnv({ dir, issuer: env.idp.issuer, ui: 'browser', serviceControl: env.service?.controlUrl });
    env.server = await startCodeServer({ entry, dir, ...env.profile, env: suite });
    onExit(() => env.server.kill()); // even if close() never runs, and before the temp dir goes
    stack.push(() => env.server.stop());
    const { browser, context } = await launchBrowser({ dir });
    stack.push(() => browser.close());
    env.context = context;
    env.workbench = await context.newPage();
    if (lateTimersMs > 0) await delayTimers(env.workbench, lateTimersMs);
    env.driver = createUiDriver({ context, workbench: env.workbench, plainWorkbenchUrl: () => env.workbenchUrl() });
  } catch (e) {
    await env.finish({ failed: true });
    throw e;
  }
  return env;
}

/**
 * Copies a run's logs (IdP, code-server, browser, and the workbench's own log folders, extension
 * hosts included) out of its temp dir into `target`, replacing what an earlier run left there.
 */
export function saveLogs(env, target) {
  try {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    for (const file of Object.values(env.logs)) if (existsSync(file)) cpSync(file, join(target, file.slice(env.dir.length + 1)));
    const workbenchLogs = env.profile && join(env.profile.userDataDir, 'logs');
    if (workbenchLogs && existsSync(workbenchLogs)) cpSync(workbenchLogs, join(target, 'workbench'), { recursive: true });
    return target;
  } catch (e) {
    console.error(`could not save the logs: ${e.message}`);
    return undefined;
  }
}

export async function freePort() {
  const server = createServer();
  await new Promise((res, rej) => server.once('error', rej).listen(0, '127.0.0.1', () => res(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((res) => server.close(res));
  return port;
}

/** code-server needs Node 24; `npm run` already puts the project's Node 24 first. */
function node24() {
  return process.version.startsWith('v24.') ? process.execPath : join(root, 'node_modules', '.bin', 'node');
}

/**
 * Starts code-server in its own process group (each page load starts an extension host that would
 * otherwise outlive the run) and resolves once /healthz answers.
 */
export async function startCodeServer({ entry, dir, userDataDir, extensionsDir, env = {}, args = [] }) {
  const port = await freePort();
  const logPath = join(dir, 'code-server.log');
  const log = openSync(logPath, 'a');
  const child = spawn(
    node24(),
    [
      entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      // Without it the built workbench ignores extensionDevelopmentPath and extensionTestsPath.
      '--vscode-option',
      'enable-smoke-test-driver',
      ...args,
    ],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, TMPDIR: dir, ...env } },
  );
  closeSync(log); // the child has its own copy
  let exited = false;
  const exit = new Promise((res) =>
    child.once('exit', (code, signal) => {
      exited = true;
      res({ code, signal });
    }),
  );
  const origin = `http://127.0.0.1:${port}`;
  const server = {
    port,
    origin,
    logPath,
    userDataDir,
    /** Kills the whole process group and waits for the server to be gone. */
    async stop() {
      if (!exited) {
        killGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
      killGroup(child.pid, 'SIGKILL'); // extension hosts outlive the server for a reconnection grace period
      await waitFor(() => !groupAlive(child.pid), 'the code-server process group to exit', 10_000, 100);
    },
    /** Synchronous last resort for process exit handlers. */
    kill() {
      killGroup(child.pid, 'SIGKILL');
    },
    /** A path on the server as the workbench wants it in a payload. */
    remoteUri(path) {
      return `vscode-remote://127.0.0.1:${port}${path}`;
    },
    /** The workbench URL with a test payload (see /work/shared/testing-in-real-vscode.md); a folder, or a .code-workspace file. */
    workbenchUrl({ folder, workspace, extensionDevelopmentPath, extensionTestsPath }) {
      const payload = [
        ['skipWelcome', 'true'],
        ['skipReleaseNotes', 'true'],
      ];
      if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', server.remoteUri(extensionDevelopmentPath)]);
      if (extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(extensionTestsPath)]);
      const opened = workspace ? `workspace=${encodeURIComponent(workspace)}` : `folder=${encodeURIComponent(folder)}`;
      return `${origin}/?${opened}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`code-server exited early; see ${logPath}`);
        return (await fetch(`${origin}/healthz`)).ok;
      },
      'code-server /healthz',
      60_000,
      250,
    );
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A headless chromium whose page and console output go to `<dir>/browser.log`. */
export async function launchBrowser({ dir }) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Signals are handled in test/support/tempDirs.mjs, which closes the whole environment.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // Playwright gives an action or a page load 30 s unless told otherwise; a loaded machine may need more.
  context.setDefaultTimeout(120_000);
  context.setDefaultNavigationTimeout(120_000);
  const logPath = join(dir, 'browser.log');
  const log = (line) => appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`);
  const watch = (page) => {
    page.on('console', (m) => log(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) log(`[navigated] ${redactQuery(f.url())}`);
    });
  };
  context.on('page', watch);
  return { browser, context, logPath };
}

/**
 * Makes every timer of `page` with a delay fire `lateMs` later (from the next page load on). On a
 * loaded machine the page's timers run late while input is still handled first; this makes that
 * happen on any machine.
 * @param {import('playwright-core').Page} page
 */
export async function delayTimers(page, lateMs) {
  await page.addInitScript((lateMs) => {
    const setTimeoutNow = window.setTimeout.bind(window);
    // @ts-expect-error the page's setTimeout has overloads this one does not declare
    window.setTimeout = (handler, ms, ...args) => setTimeoutNow(handler, ms > 0 ? ms + lateMs : ms, ...args);
  }, lateMs);
}

/** Authorization codes and states travel in query strings; logs keep only the path. */
function redactQuery(url) {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}

/**
 * Tails of the newest extension host's logs: the host's own (activation errors) and the output
 * channels of `extensionId` (its own account of what happened).
 */
export function extensionHostLogTails(userDataDir, extensionId, lines = 40) {
  const hosts = findFiles(join(userDataDir, 'logs'), (name) => name === 'remoteexthost.log');
  if (!hosts.length) return [];
  const newest = hosts.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const files = [newest, ...findFiles(join(dirname(newest), extensionId), (name) => name.endsWith('.log'))];
  return files.map((path) => ({ path, tail: readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') }));
}

function findFiles(dir, match) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? findFiles(join(dir, e.name), match) : match(e.name) ? [join(dir, e.name)] : [],
  );
}

/**
 * Performs what a user does in the page. `workbench` is the window under test; other tabs in the
 * context are the ones the extension opened (vscode.env.openExternal becomes window.open).
 */
export function createUiDriver({ context, workbench, plainWorkbenchUrl }) {
  let shots = 0;
  const handled = new WeakSet([workbench]);
  /** Windows opened with openWindow: each tab is a window with its own extension host. */
  const windows = [];

  async function screenshot(page, name) {
    mkdirSync(artifactsDir, { recursive: true });
    const file = join(artifactsDir, `${String(++shots).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '-')}.png`);
    await page.screenshot({ path: file, animations: 'disabled' }).catch(() => undefined); // a closing tab is not a failed step
    return file;
  }

  /** The Accounts menu, opened by a click on its `li` (not its link: the badge covers the link). */
  const openAccountsMenu = () =>
    workbench.locator('li.action-item[aria-label^="Accounts"]').click({ timeout: Math.min(remaining(), 10_000) });

  /**
   * The notification whose text matches `pattern`: a toast, or else the same notification in the
   * notification center, which lists them all (toasts may not show in a headless page).
   */
  async function findNotification(pattern, what) {
    const item = workbench.locator('.notification-list-item').filter({ hasText: pattern }).first();
    const center = workbench.locator('.notifications-center');
    await waitFor(
      async () => {
        if (await item.isVisible()) return true;
        if (!(await center.isVisible())) {
          checkpoint();
          // The bell shows and hides the center: clicked once, and then waited for, so it never hides it again.
          await workbench.locator('.statusbar-item[id="status.notifications"]').click({ timeout: remaining() });
          await center.waitFor({ state: 'visible', timeout: remaining() });
          // The pointer left on the bell raises its "Hide Notifications" hover over the newest notification's buttons.
          await moveAside(workbench);
        }
        return false;
      },
      what,
      undefined,
      500,
    );
    return item;
  }

  /** A tab the extension opened that no step has handled yet, once there is one. */
  const newTab = (what) => waitFor(() => context.pages().find((p) => !handled.has(p) && !p.isClosed()), what);

  /** Closes every tab but the workbench: IdP pages steps opened or left open, other windows. */
  async function closeOtherTabs() {
    for (const page of context.pages()) {
      if (page === workbench || page.isClosed()) continue;
      handled.add(page); // a tab that opens late belongs to the test that opened it, never to the next one
      await page.close();
    }
    windows.splice(0);
  }

  /** Back to a plain workbench for the next test: no other tab, and no menu, quick input or notification center. */
  async function reset() {
    await closeOtherTabs();
    await resetPage(workbench);
  }

  const driver = {
    screenshot,
    reset,
    closeOtherTabs,
    /**
     * Reloads the workbench as a user does, with "Developer: Reload Window", and waits for the new
     * page to load. VS Code then writes its state (which extensions may use which account, say)
     * before the page goes; a page reload does not wait for that write, and on a busy page it is lost.
     */
    async reloadWindow() {
      const navigated = workbench.waitForEvent('framenavigated', { predicate: (f) => f === workbench.mainFrame(), timeout: remaining() });
      navigated.catch(() => undefined);
      await runFromCommandPalette(workbench, 'Developer: Reload Window').catch(async (e) => {
        // The page may go before the palette could be read again; that it went is what counts.
        if (!(e instanceof UncertainError)) throw e;
      });
      await navigated;
      await workbench.waitForLoadState('load', { timeout: remaining() });
    },
    /**
     * Performs `step` with `args` until it is done, `signal` aborts or `budgetMs` is over; a step
     * that was stopped acts no more (see runStep in pageActions.mjs).
     * @param {{ signal: AbortSignal, budgetMs?: number }} options
     */
    perform(step, args, options) {
      const run = driver.steps[step];
      if (!run) return Promise.reject(new Error(`unknown UI step "${step}"`));
      return runStep(() => run(args), options);
    },
    steps: {
      /**
       * Chooses `label` in the Accounts menu, or `submenu` in the submenu of `label`, and confirms
       * that it ran (see chooseInMenu in pageActions.mjs: by keyboard, each key checked where it lands).
       */
      async accountsMenuClick({ label, submenu }) {
        await chooseInMenu(workbench, {
          open: openAccountsMenu,
          path: submenu ? [label, submenu] : [label],
          beforeChoosing: () => screenshot(workbench, 'accountsMenuClick'),
        });
      },

      /** Brings the workbench back to a plain state (see reset); the suite asks for it before each test. */
      async resetUi() {
        await reset();
      },

      /** Logs in on the IdP page the extension opened, consents, and waits for the loopback callback. */
      async idpLogin({ login, password = 'any-password' }) {
        const tab = await newTab('the IdP sign-in tab to open');
        handled.add(tab);
        await tab.locator('input[name="login"]').fill(login, { timeout: remaining() });
        await tab.locator('input[name="password"]').fill(password, { timeout: remaining() });
        await screenshot(tab, 'idpLogin');
        checkpoint();
        await tab.locator('button[type="submit"]').click({ timeout: remaining() });
        // Next comes the consent form (a submit button, no login field) or, without consent, the callback.
        await waitFor(
          async () =>
            isCallback(tab.url()) ||
            ((await tab.locator('input[name="login"]').count()) === 0 && (await tab.locator('button[type="submit"]').count()) > 0),
          'the IdP consent page after logging in',
        );
        if (!isCallback(tab.url())) {
          checkpoint();
          await tab.locator('button[type="submit"]').click({ timeout: remaining() });
        }
        await tab.waitForURL((u) => isCallback(u.href), { timeout: remaining() });
        await tab.waitForLoadState('load', { timeout: remaining() });
        await screenshot(tab, 'idpLogin-callback');
        await tab.close();
      },

      /**
       * Reads the user code from Session Keeper's notification, presses "Copy & Open", and on the
       * issuer's page types the code, confirms, logs in and consents, until it reports success.
       */
      async deviceLogin({ login, password = 'any-password' }) {
        const notification = await findNotification(/enter the code/, 'the notification with the user code');
        const text = await notification.innerText({ timeout: remaining() });
        const code = /code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(text)?.[1];
        if (!code) throw new Error(`no user code in the notification: ${text}`);
        await screenshot(workbench, 'deviceCode');
        checkpoint();
        // A notification's buttons act on the first click (unlike menu items), and playwright lands it only on the button.
        await notification.getByRole('button', { name: 'Copy & Open' }).click({ timeout: remaining() });
        const tab = await newTab('the verification page to open');
        handled.add(tab);
        await tab.locator('input[name="user_code"]').fill(code, { timeout: remaining() });
        await screenshot(tab, 'deviceLogin-code');
        checkpoint();
        await tab.locator('button[type="submit"]').click({ timeout: remaining() });
        // The confirmation page shows the code again; its first button continues, the other aborts.
        // Continue, and wait for the page it leads to, so the checks below never read the old page.
        checkpoint();
        await Promise.all([
          tab.waitForNavigation({ timeout: remaining() }),
          tab.locator('button[autofocus]').click({ timeout: remaining() }),
        ]);
        const success = tab.locator('h1', { hasText: 'Sign-in Success' });
        // The IdP asks for a login only when this browser has no session with it yet (an earlier
        // phase may have signed in); otherwise it goes on to consent, or straight to success.
        const loginInput = tab.locator('input[name="login"]');
        await waitFor(
          async () =>
            (await loginInput.count()) > 0 || (await success.count()) > 0 || (await tab.locator('button[type="submit"]').count()) > 0,
          'the IdP login, consent or success page',
        );
        if ((await loginInput.count()) > 0) {
          await loginInput.fill(login, { timeout: remaining() });
          await tab.locator('input[name="password"]').fill(password, { timeout: remaining() });
          checkpoint();
          await tab.locator('button[type="submit"]').click({ timeout: remaining() });
        }
        await waitFor(
          async () =>
            (await success.count()) > 0 ||
            ((await tab.locator('input[name="login"]').count()) === 0 && (await tab.locator('button[type="submit"]').count()) > 0),
          'the IdP consent page after logging in',
        );
        if ((await success.count()) === 0) {
          checkpoint();
          await tab.locator('button[type="submit"]').click({ timeout: remaining() });
        }
        await success.waitFor({ state: 'visible', timeout: remaining() });
        await screenshot(tab, 'deviceLogin-success');
        await tab.close();
      },

      /**
       * Finds the notification whose text contains `text` (a toast, or else in the notification
       * center), clicks its `button` when one is named, and returns the notification's text.
       */
      async notification({ text, button }) {
        const item = await findNotification(text, `the notification "${text}"`);
        const content = (await item.innerText({ timeout: remaining() })).replace(/\s+/g, ' ').trim();
        await screenshot(workbench, 'notification');
        if (button) {
          await item.getByRole('button', { name: button, exact: true }).click({ timeout: remaining() });
          // Choosing an action closes the notification; one still there means the click did not land.
          await item.waitFor({ state: 'detached', timeout: remaining() });
        }
        return content;
      },

      /** Opens `url` in a new tab and leaves it open (a link followed from a mail or chat). */
      async openUrl({ url }) {
        const page = await context.newPage();
        handled.add(page);
        await page.goto(url, { timeout: remaining() });
        await page.waitForLoadState('load', { timeout: remaining() });
      },

      async screenshot({ name }) {
        await screenshot(workbench, name);
      },

      /** The texts (or one attribute) of the elements `selector` matches, once the first is visible. */
      async readPage({ selector, attribute }) {
        const found = workbench.locator(selector);
        await found.first().waitFor({ state: 'visible', timeout: remaining() });
        const values = attribute
          ? await found.evaluateAll((elements, name) => elements.map((e) => e.getAttribute(name) ?? ''), attribute)
          : await found.allInnerTexts();
        return values.map((t) => t.replace(/\s+/g, ' ').trim());
      },

      /**
       * "Developer: Show Running Extensions": prints each row (extension and activation time, as the
       * workbench reports them) as an `@@measure running-extensions` line. The list is virtualized,
       * so the page is made tall while it is read.
       */
      async runningExtensions() {
        const viewport = workbench.viewportSize();
        await workbench.setViewportSize({ width: viewport?.width ?? 1400, height: 4000 });
        try {
          await runFromCommandPalette(workbench, 'Developer: Show Running Extensions');
          const rows = workbench.locator('.runtime-extensions-editor .monaco-list-row');
          await rows.first().waitFor({ state: 'visible', timeout: remaining() });
          // Activation times are filled in once the extension host answers.
          await waitFor(
            async () => /\d+\s*ms/.test((await rows.allInnerTexts()).join(' ')),
            'activation times in the list',
            undefined,
            500,
          );
          await screenshot(workbench, 'running-extensions');
          // Rows past the editor's height are rendered only once scrolled to.
          const texts = new Set();
          await rows.first().click();
          for (let unchanged = 0; unchanged < 2;) {
            const before = texts.size;
            for (const t of await rows.allInnerTexts()) texts.add(t.replace(/\s+/g, ' ').trim());
            unchanged = texts.size === before ? unchanged + 1 : 0;
            await workbench.keyboard.press('PageDown');
            // The list renders the rows scrolled to in the next frame; two frames later they are there.
            await workbench.evaluate(() => new Promise((r) => window.requestAnimationFrame(() => window.requestAnimationFrame(r))));
          }
          console.log(`@@measure running-extensions ${JSON.stringify([...texts])}`);
        } finally {
          if (viewport) await workbench.setViewportSize(viewport);
        }
      },

      /** Opens another window of the same workspace (a tab sharing the browser's storage), not under test. */
      async openWindow() {
        const page = await context.newPage();
        handled.add(page);
        windows.push(page);
        await page.goto(plainWorkbenchUrl(), { timeout: remaining() });
        // Its Session Keeper has started once the Accounts menu shows the workbench is up.
        await page.locator('li.action-item[aria-label^="Accounts"]').waitFor({ state: 'visible', timeout: remaining() });
        await screenshot(page, 'second-window');
      },

      async closeWindows() {
        for (const page of windows.splice(0)) await page.close();
      },
    },
  };
  return driver;
}

/** The extension's loopback redirect, directly or through code-server's /proxy/<port>/. */
function isCallback(url) {
  return /^http:\/\/(127\.0\.0\.1|localhost):\d+\/(proxy\/\d+\/)?callback\b/.test(url);
}
