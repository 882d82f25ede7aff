import * as vscode from 'vscode';
import { registerCommands, type IssuerCheck } from './commands';
import { Setting, STORAGE_PREFIX } from './contributions';
import { ProviderRegistry, signInInteractively } from './editor/registry';
import { systemClock } from './session/base/clock';
import { FileCoordinator } from './session/storage/coordination';
import { SessionKeeperEngine } from './session/engine';
import { REQUEST_TIMEOUT_MS, createFetch } from './session/protocol/http';
import * as l10n from '@vscode/l10n';
import { issuerProblem } from './session/config';
import { createLogger, describeError, userMessage } from './session/base/log';
import { OAuthClient } from './session/protocol/oauth';
import { defaultPolicy, type RefreshPolicy } from './session/refresh/refresher';
import { SessionStore } from './session/storage/store';
import { registerViews } from './views';


export async function activate(context: vscode.ExtensionContext): Promise<void> {
  // The engine and the pure view modules translate through @vscode/l10n, from the bundle VS Code loaded.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  const channel = vscode.window.createOutputChannel('Session Keeper', { log: true });
  const logger = createLogger(channel);
  const showLog = () => channel.show(true);

  // Files every window of this user shares: locks and generation records, never tokens.
  const coordinator = new FileCoordinator(vscode.Uri.joinPath(context.globalStorageUri, 'coordination').fsPath, systemClock, true, {
    onLockCompromised: (message) => logger.warn(message),
  });
  const store = new SessionStore(context.secrets, context.globalState, logger, {
    coordinator,
    onQuarantine: (message) => void vscode.window.showWarningMessage(message),
  });
  await store.load();

  const fetch = createFetch(REQUEST_TIMEOUT_MS);
  const policy: { -readonly [K in keyof RefreshPolicy]: RefreshPolicy[K] } = { ...defaultPolicy, leadMs: leadTime() };
  const engine: SessionKeeperEngine = new SessionKeeperEngine({
    store,
    clock: systemClock,
    logger,
    fetch,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    policy,
    coordinator,
    memento: context.globalState,
    signIn: (config, client, request) => signInInteractively(config, client, request, logger, showLog),
    onSignInNeeded: (account, message) => {
      const again = vscode.l10n.t('Sign In Again');
      void vscode.window
        .showWarningMessage(vscode.l10n.t('Your session for {0} ({1}) has ended: {2}', account.account.label, account.providerId, message), again)
        .then((choice) => {
          if (choice === again) engine.signIn(account.providerId).catch(() => undefined);
        });
    },
    onStaleWindow: (message) => {
      const reload = vscode.l10n.t('Reload Window');
      void vscode.window.showWarningMessage(message, reload).then((choice) => {
        if (choice === reload) void vscode.commands.executeCommand('workbench.action.reloadWindow');
      });
    },
  });
  const registry = new ProviderRegistry(engine, logger);
  registry.sync();

  context.subscriptions.push(
    channel,
    registry,
    engine,
    ...registerCommands({ model: engine, logger, showLog, checkIssuer: issuerCheck(fetch) }),
    ...registerViews({ model: engine }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Setting.providers)) registry.sync();
      if (e.affectsConfiguration(Setting.refreshLeadTimeMinutes)) policy.leadMs = leadTime();
    }),
    // Desktop VS Code shares secrets between windows and tells each of them about changes.
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith(`${STORAGE_PREFIX}.`)) store.secretChanged(e.key).catch((err) => logger.error(`Reloading sessions failed: ${describeError(err)}`));
    }),
  );
  logger.info(`Session Keeper ${context.extension.packageJSON.version} started`);
}

/** The discovery check of "Add Identity Provider…", through the same OAuth client as sign-in. */
function issuerCheck(fetch: ReturnType<typeof createFetch>): IssuerCheck {
  return async (issuer, signal) => {
    const problem = issuerProblem(issuer);
    if (problem) return { ok: false, message: problem };
    try {
      await new OAuthClient({ issuer, clientId: 'discovery-check', fetch, timeoutMs: REQUEST_TIMEOUT_MS }).metadata(signal);
      return { ok: true };
    } catch (err) {
      return { ok: false, message: userMessage(err) };
    }
  };
}

function leadTime(): number {
  const minutes = vscode.workspace.getConfiguration().get<number>(Setting.refreshLeadTimeMinutes, 5);
  return Math.min(60, Math.max(1, minutes)) * 60_000;
}

export function deactivate(): void {}
