// The UI steps the in-editor and e2e suites are built on, in a real VS Code window whose timers all
// fire a second late, as on a loaded machine (input is handled first, timers wait): each menu
// choice must run its action exactly once and confirm it, however late the workbench binds its
// handlers or opens its submenus.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { root } from '../vscode/fixture.mjs';
import { startEnvironment, waitFor } from '../vscode/harness.mjs';
import { chooseInMenu, menuOpen } from '../vscode/pageActions.mjs';

const LATE_MS = 1_000;

describe('UI steps on a workbench whose timers run late', function () {
  let env;
  let page;
  let failed = false;

  const sidebarRows = () => page.locator('#workbench\\.parts\\.sidebar .monaco-list-row');
  const rowTexts = async () => (await sidebarRows().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  const idpStats = async () => (await fetch(`${env.idp.issuer}/__test/stats`)).json();

  before(async () => {
    failed = true; // until the workbench is up
    // Tokens that outlive the test: every renewal is one the test asked for.
    env = await startEnvironment({ idpOptions: { accessTokenTtl: 3_600 }, lateTimersMs: LATE_MS });
    page = env.workbench;
    await page.goto(env.workbenchUrl());
    await page.locator('li.action-item[aria-label^="Accounts"]').waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('#workbench\\.parts\\.activitybar a.action-label[aria-label="Session Keeper"]').click();
    await page
      .locator('.welcome-view-content a.monaco-button, .welcome-view-content .monaco-button')
      .filter({ hasText: 'Sign In' })
      .first()
      .click({ timeout: 120_000 });
    await env.driver.steps.idpLogin({ login: 'alice' });
    await waitFor(async () => (await rowTexts()).some((t) => t.startsWith('alice')), 'alice in the Accounts view', 120_000);
    failed = false;
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') failed = true;
    await env.driver.reset();
  });

  after(async () => {
    await env?.finish({ failed, artifacts: join(root, '.test-artifacts', 'e2e', 'ui-steps') });
  });

  it("an account's context menu: each Refresh Now chosen renews once", async () => {
    const start = (await idpStats()).refreshes;
    for (let i = 1; i <= 3; i++) {
      await chooseInMenu(page, {
        open: () =>
          sidebarRows()
            .filter({ hasText: /^\s*alice/ })
            .first()
            .click({ button: 'right', timeout: 10_000 }),
        path: ['Refresh Now'],
      });
      await waitFor(async () => (await idpStats()).refreshes >= start + i, `renewal ${i}`, 120_000);
    }
    // Once the account shows as settled again, no renewal is still on its way.
    await waitFor(async () => (await rowTexts()).some((t) => /^alice\s*active · expires in/.test(t)), 'alice settled', 120_000);
    assert.equal((await idpStats()).refreshes - start, 3, 'a Refresh Now ran twice, or not at all');
  });

  it('an item of the Accounts menu itself', async () => {
    await env.driver.steps.accountsMenuClick({ label: 'Manage Extension Account Preferences' });
    await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 120_000 });
  });

  it('a step cancelled before it starts does nothing', async () => {
    const cancelled = new AbortController();
    cancelled.abort(new Error('cancelled: the test stopped waiting'));
    await assert.rejects(
      env.driver.perform('accountsMenuClick', { label: 'Manage Extension Account Preferences' }, { signal: cancelled.signal }),
      /cancelled/,
    );
    assert.equal(await menuOpen(page), false, 'a cancelled step opened the menu');
    assert.equal(await page.locator('.quick-input-widget').isVisible(), false, 'a cancelled step ran the menu item');
  });

  it('a step cancelled while it waits ends then, not when its budget is over', async () => {
    const cancelled = new AbortController();
    // An element that never shows, and a budget far beyond this test's timeout.
    const step = env.driver.perform('readPage', { selector: '#no-such-element' }, { signal: cancelled.signal, budgetMs: 3_600_000 });
    cancelled.abort(new Error('cancelled: the test stopped waiting'));
    await assert.rejects(step, /cancelled/);
  });

  it('a window reload (the one between in-editor phases) keeps what the workbench stored just before', async () => {
    const activity = (name) => page.locator(`#workbench\\.parts\\.activitybar a.action-label[aria-label^="${name}"]`).first();
    const sidebarTitle = page.locator('#workbench\\.parts\\.sidebar .composite.title .title-label').first();
    // The view shown is stored, and on a busy page the write may still be pending when the reload comes.
    await activity('Explorer').click();
    await waitFor(async () => /explorer/i.test(await sidebarTitle.innerText()), 'the Explorer in the side bar', 120_000);
    await env.driver.reloadWindow();
    await page.locator('li.action-item[aria-label^="Accounts"]').waitFor({ state: 'visible', timeout: 120_000 });
    await waitFor(async () => /explorer/i.test(await sidebarTitle.innerText()), 'the Explorer in the side bar after the reload', 120_000);
    await activity('Session Keeper').click();
    await waitFor(async () => (await rowTexts()).some((t) => t.startsWith('alice')), 'alice in the Accounts view', 120_000);
  });

  it("an item of an account's submenu in the Accounts menu: alice > Sign Out signs her out once", async () => {
    const before = await idpStats();
    await env.driver.steps.accountsMenuClick({ label: 'alice (Acme SSO)', submenu: 'Sign Out' });
    // A plain window asks first; the dialog's buttons act on the first click.
    const confirm = page.locator('.monaco-dialog-box .monaco-button').filter({ hasText: 'Sign Out' }).first();
    await confirm.click({ timeout: 120_000 });
    await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: 120_000 });
    await waitFor(async () => !(await rowTexts()).some((t) => t.startsWith('alice')), 'alice to leave the Accounts view', 120_000);
    await waitFor(async () => (await idpStats()).revocations > before.revocations, 'the IdP to record the revocation', 120_000);
  });
});
