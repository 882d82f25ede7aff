// What the tests ask a user to do, and what they print. The launcher reads the extension host's
// console line by line: `@@out <text>` is test output, `@@result {...}` a phase's counts, and
// `@@ui {"id":"<pid>-<n>","step":"accountsMenuClick",...}` a request for the browser driver, which
// performs it in the page and then writes <SK_TEST_DIR>/ui-ack-<id>.json ({"ok":true} or {"ok":false,"error":"..."}).
// A step carries its budget (`budgetMs`): the driver stops it by then, and `@@ui-cancel {"id":...}` stops it
// sooner, once no test waits for it, so that it never acts in the next test.
// Without a driver (desktop VS Code via @vscode/test-electron) the same helpers use workbench commands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from './wait';

export const testDir = requiredEnv('SK_TEST_DIR');
export const issuer = requiredEnv('SK_TEST_ISSUER');
const withBrowser = process.env.SK_TEST_UI !== 'commands';

let lastId = 0;

/** How long the driver may take for one step: generous, so that a slow machine is not a failure (a hang is). */
const STEP_BUDGET_MS = 150_000;
/** The steps asked for and not yet acknowledged; cancelPendingSteps() stops them. */
const pending = new Map<string, AbortController>();

/** Prints test output; the extension host's console carries it to the launcher. */
export function print(text: string): void {
  console.log(
    text
      .split('\n')
      .map((line) => `@@out ${line}`)
      .join('\n'),
  );
}

/** Asks the browser driver for one step and resolves once it is done. */
async function ui(step: string, args: Record<string, unknown> = {}, budgetMs = STEP_BUDGET_MS): Promise<void> {
  await request(step, args, budgetMs);
}

/** A step that reads the page: resolves with what the driver read. */
async function request(step: string, args: Record<string, unknown>, budgetMs: number): Promise<unknown> {
  const id = `${process.pid}-${++lastId}`;
  const ackFile = path.join(testDir, `ui-ack-${id}.json`);
  const waiting = new AbortController();
  pending.set(id, waiting);
  console.log(`@@ui ${JSON.stringify({ id, step, budgetMs, ...args })}`);
  let ack: { ok: boolean; error?: string; data?: unknown };
  try {
    // The driver acknowledges within the budget; the margin covers steps queued before this one.
    ack = await waitFor(
      () => fs.existsSync(ackFile) && JSON.parse(fs.readFileSync(ackFile, 'utf8')),
      `the browser driver to perform "${step}"`,
      budgetMs + 60_000,
      200,
      waiting.signal,
    );
  } catch (e) {
    if (!waiting.signal.aborted) cancel(id, 'the test stopped waiting for it');
    throw e;
  } finally {
    pending.delete(id);
  }
  fs.rmSync(ackFile, { force: true });
  if (!ack.ok) throw new Error(`UI step "${step}" failed: ${ack.error}`);
  return ack.data;
}

/** Stops waiting for step `id`, and has the driver stop it. */
function cancel(id: string, reason: string): void {
  pending.get(id)?.abort(new Error(reason));
  console.log(`@@ui-cancel ${JSON.stringify({ id, reason })}`);
}

/** Stops every step still under way (a test that timed out leaves its step behind): none acts in the next test. */
export function cancelPendingSteps(reason: string): void {
  for (const id of [...pending.keys()]) cancel(id, reason);
}

/**
 * Brings the workbench back to a plain state before a test: no menu, quick input or notification
 * center open, no tab left by an earlier test. Once it is done, no earlier step is under way.
 */
export async function resetUi(): Promise<void> {
  if (withBrowser) return ui('resetUi');
  await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  await vscode.commands.executeCommand('notifications.hideList');
}

/** Clicks "Sign in with <provider> to use <extension>" in the Accounts menu, as a user answers a sign-in request. */
export async function acceptSignInRequest(provider: { id: string; label: string }, extension: vscode.Extension<unknown>): Promise<void> {
  if (withBrowser) {
    return ui('accountsMenuClick', { label: `Sign in with ${provider.label} to use ${extension.packageJSON.displayName}` });
  }
  // The workbench registers one command per queued request: <providerId>:<extensionId>:signIn<N>.
  const prefix = `${provider.id}:${extension.id}:signIn`.toLowerCase();
  const command = await waitFor(
    async () => (await vscode.commands.getCommands(true)).filter((c) => c.toLowerCase().startsWith(prefix)).pop(),
    `a sign-in request command ${prefix}<N>`,
  );
  await vscode.commands.executeCommand(command);
}

/** Accounts menu -> "<account> (<provider>)" -> Sign Out; test mode accepts the confirmation. */
export async function signOutInAccountsMenu(provider: { id: string; label: string }, accountLabel: string): Promise<void> {
  if (withBrowser) return ui('accountsMenuClick', { label: `${accountLabel} (${provider.label})`, submenu: 'Sign Out' });
  await vscode.commands.executeCommand('_signOutOfAccount', { providerId: provider.id, accountLabel });
}

/** Logs in on the IdP page the extension opened. Without a driver the IdP logs in by itself (autoLogin). */
export async function logInAtIdp(login: string): Promise<void> {
  if (withBrowser) return ui('idpLogin', { login });
}

/** Enters the user code shown in VS Code on the issuer's device page, then logs in and consents there. */
export async function enterDeviceCodeAtIdp(login: string): Promise<void> {
  if (withBrowser) return ui('deviceLogin', { login });
  throw new Error('the device code needs the browser driver');
}

/** Opens a URL in a new browser tab, as a link in a mail or chat would. */
export async function openInBrowser(url: string): Promise<void> {
  if (withBrowser) return ui('openUrl', { url });
  await vscode.env.openExternal(vscode.Uri.parse(url));
}

export const hasBrowserDriver = withBrowser;

/** What the page shows: the texts (or `attribute`) of the elements `selector` matches, once the first is visible. */
export async function readPage(selector: string, attribute?: string): Promise<string[]> {
  if (!withBrowser) throw new Error('reading the page needs the browser driver');
  return (await request('readPage', { selector, ...(attribute && { attribute }) }, 60_000)) as string[];
}

/** Opens a second window on the same workspace; it runs its own Session Keeper. */
export async function openSecondWindow(): Promise<void> {
  if (withBrowser) return ui('openWindow');
  throw new Error('a second window needs the browser driver');
}

export async function closeOtherWindows(): Promise<void> {
  if (withBrowser) return ui('closeWindows');
}

/**
 * The text of the notification containing `text`, after clicking its `button` if one is named: a
 * user's click, which no command can stand in for (a modal question is refused in test mode).
 */
export async function notification(text: string, button?: string): Promise<string> {
  if (!withBrowser) throw new Error('notifications need the browser driver');
  return (await request('notification', { text, ...(button && { button }) }, 120_000)) as string;
}

export async function screenshot(name: string): Promise<void> {
  if (withBrowser) return ui('screenshot', { name });
}

/** The phase this window runs; the launcher starts at 1. */
export function readPhase(): number {
  return Number(fs.readFileSync(path.join(testDir, 'phase'), 'utf8'));
}

/** Has the driver print the workbench's "Show Running Extensions" rows (activation times); browser runs only. */
export async function printRunningExtensions(): Promise<boolean> {
  if (!withBrowser) return false;
  await ui('runningExtensions');
  return true;
}

/**
 * Asks for the window to be reloaded into `phase` once this window's tests have finished;
 * `multiRoot` opens the two-folder workspace for it (browser runs only).
 */
export async function requestReload(phase: number, { multiRoot = false } = {}): Promise<void> {
  fs.writeFileSync(path.join(testDir, 'phase'), `${phase}\n`);
  if (withBrowser) return ui('reload', { phase, ...(multiRoot && { multiRoot }) });
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the suite through test/vscode/run.mjs or electron.mjs`);
  return value;
}
