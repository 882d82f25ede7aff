// What a user does with the Accounts view, the status bar item and the commands, in a real VS Code
// (code-server) window driven by a real chromium, against the test IdP. The window is a plain one,
// not in extension-test mode, so dialogs and notifications behave as they do for a user. Every
// step leaves a screenshot in .test-artifacts/e2e/ (the README's pictures come from there).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../vscode/fixture.mjs';
import { startEnvironment, waitFor } from '../vscode/harness.mjs';
import { answerQuickInput, chooseInMenu, closeMenus, menuOpen, resetPage, runFromCommandPalette } from '../vscode/pageActions.mjs';

const shotsDir = join(root, '.test-artifacts', 'e2e');
/** How long a state of the UI is waited for: generous, so that a slow machine is not a failure. */
const UI_WAIT_MS = 60_000;
/** Screenshots the README shows, copied to media/screenshots/ when SK_UPDATE_SCREENSHOTS=1. */
const readmeShots = ['signed-in', 'status-bar-menu', 'offline', 'recovered'];

describe('Accounts view, status bar and commands in a real VS Code window', function () {
  let env;
  let page;
  let shots = 0;
  let failed = false;

  const shot = async (name) => {
    mkdirSync(shotsDir, { recursive: true });
    await page.screenshot({ path: join(shotsDir, `${String(++shots).padStart(2, '0')}-${name}.png`), animations: 'disabled' });
    if (process.env.SK_UPDATE_SCREENSHOTS === '1' && readmeShots.includes(name)) {
      mkdirSync(join(root, 'media', 'screenshots'), { recursive: true });
      cpSync(join(shotsDir, `${String(shots).padStart(2, '0')}-${name}.png`), join(root, 'media', 'screenshots', `${name}.png`));
    }
  };

  /** The status bar item's accessible label ("Session Keeper: signed in to Acme SSO as alice, …") and text. */
  const statusBar = async () => {
    const item = page.locator('.statusbar-item[aria-label^="Session Keeper"]').first();
    if (!(await item.isVisible())) return { label: '', text: '' };
    return { label: (await item.getAttribute('aria-label')) ?? '', text: (await item.innerText()).trim() };
  };
  const statusBarShows = (what, pattern) =>
    waitFor(async () => pattern.test((await statusBar()).label) && (await statusBar()), `the status bar to show ${what}`, 90_000);

  const sidebarRows = () => page.locator('#workbench\\.parts\\.sidebar .monaco-list-row');
  const row = (text) => sidebarRows().filter({ hasText: text }).first();
  const rowTexts = async () => (await sidebarRows().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

  /**
   * Every notification of this window, from the notification center (toasts may not pop up in a
   * headless page; the center lists them all). Leaves the center open for the caller's clicks.
   */
  const openNotifications = async () => {
    const center = page.locator('.notifications-center');
    if (!(await center.isVisible())) await page.locator('.statusbar-item[id="status.notifications"]').click();
    await center.waitFor({ state: 'visible', timeout: UI_WAIT_MS });
    // The bell's hover would sit over the center's buttons and take the next click: move away from it.
    await page.mouse.move(400, 300);
    await page
      .locator('.monaco-hover')
      .waitFor({ state: 'hidden', timeout: 10_000 })
      .catch(() => undefined);
    return (await center.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  };
  const closeNotifications = async () => {
    const center = page.locator('.notifications-center');
    if (await center.isVisible()) await page.locator('.statusbar-item[id="status.notifications"]').click();
    await center.waitFor({ state: 'hidden', timeout: UI_WAIT_MS });
  };

  /** Picks the row `text` in the open quick pick, and confirms the pick closed (it took the row). */
  const pickInQuickPick = async (text) => {
    const item = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: text }).first();
    await item.waitFor({ state: 'visible', timeout: UI_WAIT_MS });
    await shot(`quick-pick-${text.toLowerCase().replace(/\W+/g, '-')}`);
    // A list row acts on the first click (unlike a menu item), and playwright lands it only on the row.
    await item.click();
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_WAIT_MS });
  };

  /** Chooses `action` in the context menu of the row `rowText` (see chooseInMenu: by keyboard, and confirmed). */
  const contextMenu = (rowText, action) =>
    chooseInMenu(page, {
      open: () => row(rowText).click({ button: 'right', timeout: 10_000 }),
      path: [action],
      beforeChoosing: () => shot(`context-menu-${action.toLowerCase().replace(/\W+/g, '-')}`),
    });

  const idpStats = async () => (await fetch(`${env.idp.issuer}/__test/stats`)).json();

  before(async () => {
    rmSync(shotsDir, { recursive: true, force: true });
    // Tokens that live 30 s, so renewals happen while a person watches.
    failed = true; // until the workbench is up
    env = await startEnvironment({ idpOptions: { accessTokenTtl: 30 } });
    page = env.workbench;
    await page.goto(env.workbenchUrl());
    await page.locator('li.action-item[aria-label^="Accounts"]').waitFor({ state: 'visible', timeout: 120_000 });
    failed = false;
  });

  // Each test starts without the menus, quick inputs or notification center an earlier one left open.
  beforeEach(async () => {
    if (page) await resetPage(page);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    failed = true;
    if (page) await shot(`failed-${this.currentTest.title.slice(0, 40)}`).catch(() => undefined);
  });

  // The temp dir goes either way; a failed run's logs stay in .test-artifacts/e2e/logs.
  after(async () => {
    await env?.finish({ failed, artifacts: shotsDir });
  });

  it('invites the user to sign in, in the status bar and the Accounts view', async () => {
    await statusBarShows('the sign-in invitation', /not signed in to Acme SSO/);
    await page.locator('#workbench\\.parts\\.activitybar a.action-label[aria-label="Session Keeper"]').click();
    await page.locator('.welcome-view-content').filter({ hasText: 'Sign In' }).first().waitFor({ timeout: UI_WAIT_MS });
    await shot('welcome');
  });

  it('signs alice in from the view, through the IdP login page, and shows her in the tree and the status bar', async () => {
    await page
      .locator('.welcome-view-content a.monaco-button, .welcome-view-content .monaco-button')
      .filter({ hasText: 'Sign In' })
      .first()
      .click();
    await env.driver.steps.idpLogin({ login: 'alice' });
    await waitFor(async () => (await rowTexts()).some((t) => t.includes('alice')), 'alice in the Accounts view', 60_000);
    await row('alice').click();
    const { text } = await statusBarShows('alice', /signed in to Acme SSO as alice/);
    assert.match(text, /alice · \d+s/);
    assert.ok((await rowTexts()).some((t) => t.includes('Acme SSO')));
    await shot('signed-in');
  });

  it('signs in a second account and switches between them through the status bar', async () => {
    await page.locator('.statusbar-item[aria-label^="Session Keeper"]').first().click();
    await pickInQuickPick('Sign In Another Account');
    await env.driver.steps.idpLogin({ login: 'bob' });
    await statusBarShows('bob, the account just signed in', /as bob/);
    await waitFor(async () => (await rowTexts()).some((t) => t.includes('bob')), 'bob in the Accounts view', UI_WAIT_MS);

    await page.locator('.statusbar-item[aria-label^="Session Keeper"]').first().click();
    await page
      .locator('.quick-input-widget .monaco-list-row')
      .filter({ hasText: 'Switch to alice' })
      .first()
      .waitFor({ timeout: UI_WAIT_MS });
    await shot('status-bar-menu');
    await pickInQuickPick('Switch to alice');
    await statusBarShows('alice again', /as alice/);
  });

  it('renews on its own, and again on "Refresh Now" from the context menu', async () => {
    const start = (await idpStats()).refreshes;
    await waitFor(async () => (await idpStats()).refreshes > start, 'a background renewal', 90_000);
    const before = (await idpStats()).refreshes;
    await contextMenu('alice', 'Refresh Now');
    await waitFor(async () => (await idpStats()).refreshes > before, 'the renewal asked for', UI_WAIT_MS);
    assert.equal((await idpStats()).refreshTokenReuse, 0);
  });

  it('turns auto-refresh off from the context menu: the session is left to expire, Refresh Now still renews it, and on again', async () => {
    const has = async (pattern) => (await rowTexts()).some((t) => pattern.test(t));
    await contextMenu('alice', 'Turn Off Auto-Refresh');
    // The session's details: auto-refresh off, and no next refresh planned.
    await row('email profile').click();
    await waitFor(() => has(/Auto-refresh\s*off/), 'the detail row "Auto-refresh off"', UI_WAIT_MS);
    assert.equal(await has(/Next refresh/), false);
    // 30 s tokens: alice's expires without a renewal within a lifetime.
    await waitFor(() => has(/alice\s*active · expired/), "alice's token to expire", 90_000);
    await shot('auto-refresh-off');
    const before = (await idpStats()).refreshes;
    await contextMenu('alice', 'Refresh Now');
    await waitFor(async () => (await idpStats()).refreshes > before, 'the renewal asked for', UI_WAIT_MS);
    await waitFor(() => has(/alice\s*active · expires in/), 'alice valid again', UI_WAIT_MS);
    await contextMenu('alice', 'Turn On Auto-Refresh');
    await waitFor(async () => (await has(/Auto-refresh\s*on/)) && has(/Next refresh/), 'auto-refresh on, with a next refresh', UI_WAIT_MS);
    await row('email profile').click();
  });

  it('shows offline while the IdP is down and recovers when it is back, without a notification', async () => {
    await env.idp.stop();
    try {
      await contextMenu('alice', 'Refresh Now');
      await statusBarShows('offline', /offline/);
      await shot('offline');
    } finally {
      await env.idp.start();
    }
    await statusBarShows('a healthy session again', /as alice, session expires in/);
    await shot('recovered');
    assert.deepEqual(
      (await openNotifications()).filter((n) => /Session Keeper|session|alice|Acme/i.test(n)),
      [],
    );
    await closeNotifications();
  });

  it('signs bob out from the context menu: the tree, the status bar and the Accounts menu follow', async () => {
    await contextMenu('bob', 'Sign Out');
    const confirm = page.locator('.monaco-dialog-box .monaco-button').filter({ hasText: 'Sign Out' }).first();
    await confirm.waitFor({ timeout: UI_WAIT_MS });
    await shot('sign-out-confirm');
    // A dialog's buttons act on the first click; the dialog closes as it answers.
    await confirm.click();
    await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: UI_WAIT_MS });
    await waitFor(async () => !(await rowTexts()).some((t) => t.includes('bob')), 'bob to leave the Accounts view', UI_WAIT_MS);
    await statusBarShows('alice', /as alice/);
    await closeMenus(page);
    await page.locator('li.action-item[aria-label^="Accounts"]').click();
    await waitFor(() => menuOpen(page), 'the Accounts menu to open', UI_WAIT_MS);
    const entries = (await page.locator('.monaco-menu .action-menu-item').allInnerTexts()).join('\n');
    await shot('accounts-menu-after-sign-out');
    await closeMenus(page);
    assert.match(entries, /alice \(Acme SSO\)/);
    assert.doesNotMatch(entries, /bob \(Acme SSO\)/);
  });

  it('adds an identity provider through the guided input, catching an unreachable issuer on the way', async () => {
    /** Answers step `step` of the guided input, once its title shows that step and its box has the focus. */
    const answer = (step, text) => answerQuickInput(page, `(${step}/4)`, text);
    await runFromCommandPalette(page, 'Session Keeper: Add Identity Provider');
    // Nothing listens on port 9 (discard): discovery fails, and the message offers to edit the URL.
    await answer(1, 'http://127.0.0.1:9');
    const message = await waitFor(
      async () => (await openNotifications()).find((n) => n.includes('is not a usable OpenID Connect issuer')),
      'the message about the unreachable issuer',
      60_000,
    );
    assert.match(message, /Cannot reach 127\.0\.0\.1:9\. Check the issuer URL and your network\./);
    await shot('add-provider-unreachable');
    await page
      .locator('.notifications-center .monaco-list-row')
      .filter({ hasText: 'is not a usable' })
      .locator('.monaco-button')
      .filter({ hasText: 'Edit Issuer URL' })
      .first()
      .click();
    await answer(1, env.idp.issuer);
    await answer(2, 'session-keeper');
    await answer(3, 'Second SSO');
    await answer(4, 'second');
    await waitFor(async () => (await rowTexts()).some((t) => t.includes('Second SSO')), 'the new provider in the Accounts view', 60_000);
    await shot('provider-added');
  });
});
