// Sign in, sign out, switch and refresh: resolve the target (tree row or quick picks), then call
// the engine. Results show in the views; only failures the engine does not report get a message.
import * as vscode from 'vscode';
import { isCancellation } from '../session/base/errors';
import { describeError, userMessage } from '../session/base/errors';
import { type Logger } from '../session/base/log';
import { plainText } from '../session/base/plainText';
import type { AccountSummary, ProviderSummary, SessionKeeperModel } from '../session/model';
import { accountItem, pickAccount, pickProvider, type Target } from './picks';
import { Command } from '../contributions';

export interface ActionDeps {
  readonly model: SessionKeeperModel;
  readonly logger: Logger;
  readonly showLog: () => void;
}

function signedIn(providers: readonly ProviderSummary[], target: Target | undefined): ProviderSummary[] {
  return providers.filter((p) => p.accounts.length > 0 && (!target || p.id === target.providerId));
}

export async function signIn({ model, logger }: ActionDeps, target?: Target): Promise<void> {
  const providers = model.providers();
  if (!target && providers.length === 0) {
    const add = vscode.l10n.t('Add Identity Provider…');
    if (
      (await vscode.window.showInformationMessage(
        plainText(vscode.l10n.t('No identity provider is configured yet.'), 'notification'),
        add,
      )) === add
    ) {
      await vscode.commands.executeCommand(Command.addProvider);
    }
    return;
  }
  const providerId = target?.providerId ?? (await pickProvider(providers, vscode.l10n.t('Select the identity provider to sign in to')))?.id;
  if (!providerId) return;
  try {
    // The sign-in flow shows its own progress and reports its own failures.
    await model.signIn(providerId);
  } catch (err) {
    logger.debug(`Sign-in command for "${providerId}" ended: ${describeError(err)}`);
  }
}

export async function signOut(deps: ActionDeps, target?: Target): Promise<void> {
  const { model } = deps;
  const choice = await pickAccount(model.providers(), target, model.now(), vscode.l10n.t('Select the account to sign out'));
  if (!choice) return;
  const { provider, account } = choice;
  const confirm = vscode.l10n.t('Sign Out');
  const answer = await vscode.window.showWarningMessage(
    plainText(vscode.l10n.t('Sign out {0} from {1}?', account.label, provider.label), 'notification'),
    {
      modal: true,
      detail: plainText(
        vscode.l10n.t('Extensions using this account lose access, and its tokens are revoked at the identity provider.'),
        'notification',
      ),
    },
    confirm,
  );
  if (answer !== confirm) return;
  await withFeedback(deps, {
    title: vscode.l10n.t('Signing out {0}…', account.label),
    log: `Sign-out of "${account.id}" from "${provider.id}" failed`,
    failed: (message) => vscode.l10n.t('Signing out {0} failed: {1}', account.label, message),
    action: () => model.signOut(provider.id, account.id),
  });
}

/** "Switch Account…": the account to use next, or another sign-in. */
export async function switchAccount(deps: ActionDeps, target?: Target): Promise<void> {
  const { model } = deps;
  if (target?.accountId) return switchTo(deps, target.providerId, target.accountId);
  const provider = await pickProvider(signedIn(model.providers(), target), vscode.l10n.t('Select an identity provider'));
  if (!provider) return;
  const now = model.now();
  const another: vscode.QuickPickItem = { label: `$(sign-in) ${vscode.l10n.t('Sign In Another Account…')}` };
  const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { account?: AccountSummary }>(
    [
      ...provider.accounts.map((account) => ({ ...accountItem(account, now), account })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      another,
    ],
    { placeHolder: vscode.l10n.t('Select the account to use for {0}', provider.label) },
  );
  if (!picked) return;
  if (picked === another) return signIn(deps, { providerId: provider.id });
  if (picked.account && !picked.account.active) await switchTo(deps, provider.id, picked.account.id);
}

async function switchTo(deps: ActionDeps, providerId: string, accountId: string): Promise<void> {
  const label =
    deps.model
      .providers()
      .find((p) => p.id === providerId)
      ?.accounts.find((a) => a.id === accountId)?.label ?? accountId;
  await withFeedback(deps, {
    title: vscode.l10n.t('Switching to {0}…', label),
    log: `Switching "${providerId}" to "${accountId}" failed`,
    failed: (message) => vscode.l10n.t('Switching to {0} failed: {1}', label, message),
    action: () => deps.model.switchAccount(providerId, accountId),
  });
}

/** Without a target: every signed-in account of every provider. */
export async function refreshNow({ model, logger }: ActionDeps, target?: Target): Promise<void> {
  const providers = signedIn(model.providers(), target);
  if (providers.length === 0) return;
  const account = target?.accountId ? providers[0]?.accounts.find((a) => a.id === target.accountId) : undefined;
  const title = account ? vscode.l10n.t('Refreshing {0}…', account.label) : vscode.l10n.t('Refreshing sessions…');
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: plainText(title, 'label') }, () =>
    Promise.all(
      providers.map((p) =>
        // The outcome shows in the views (offline, retry in …), and the engine asks for a new
        // sign-in itself, so a failed refresh needs no message of its own.
        model.refreshNow(p.id, target?.accountId).catch((err) => logger.debug(`Refresh of "${p.id}" ended: ${describeError(err)}`)),
      ),
    ),
  );
}

/** Background renewal on or off for one account (off: only Refresh Now renews it). */
export async function setAutoRefresh(deps: ActionDeps, on: boolean, target?: Target): Promise<void> {
  const { model } = deps;
  const eligible = model
    .providers()
    .map((p) => ({ ...p, accounts: p.accounts.filter((a) => !a.dormant && a.sessions.some((s) => s.renewable) && a.autoRefresh !== on) }));
  const choice = await pickAccount(
    eligible,
    target,
    model.now(),
    on ? vscode.l10n.t('Select the account to renew in the background') : vscode.l10n.t('Select the account to renew only on Refresh Now'),
  );
  if (!choice) return;
  const { provider, account } = choice;
  await withFeedback(deps, {
    title: on
      ? vscode.l10n.t('Turning on auto-refresh for {0}…', account.label)
      : vscode.l10n.t('Turning off auto-refresh for {0}…', account.label),
    log: `Changing auto-refresh of "${account.id}" at "${provider.id}" failed`,
    failed: (message) => vscode.l10n.t('Changing auto-refresh for {0} failed: {1}', account.label, message),
    action: () => model.setAutoRefresh(provider.id, account.id, on),
  });
}

interface Step {
  /** Shown while the action runs. */
  readonly title: string;
  /** For the log, which stays in English like the rest of it. */
  readonly log: string;
  readonly failed: (message: string) => string;
  readonly action: () => Promise<void>;
}

async function withFeedback(deps: ActionDeps, { title, log, failed, action }: Step): Promise<void> {
  try {
    // Window progress is shown in the status bar, which draws $(icon) names.
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: plainText(title, 'label') }, action);
  } catch (err) {
    if (isCancellation(err)) return;
    deps.logger.error(`${log}: ${describeError(err)}`);
    const showLog = vscode.l10n.t('Show Log');
    const message = userMessage(err);
    if ((await vscode.window.showErrorMessage(plainText(failed(message), 'notification'), showLog)) === showLog) deps.showLog();
  }
}
