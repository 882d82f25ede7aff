import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Setting, STORAGE_PREFIX } from './contributions';
import { notifyQuarantine, notifySignInNeeded, notifyStaleWindow } from './editor/notifications';
import { ProviderRegistry } from './editor/registry';
import { signInInteractively } from './editor/signIn';
import { AppUriHandler, ScriptedInputs, createFlowHost, currentHostKind } from './editor/flowHost';
import { systemClock } from './session/base/clock';
import { onListenerError } from './session/base/events';
import { FileCoordinator } from './session/storage/coordination';
import { SessionKeeperEngine } from './session/engine';
import { REQUEST_TIMEOUT_MS, createFetch } from './session/protocol/http';
import * as l10n from '@vscode/l10n';
import { createLogger } from './session/base/log';
import { describeError } from './session/base/errors';
import { defaultPolicy, type RefreshPolicy } from './session/refresh/refresher';
import { SessionStore } from './session/storage/store';
import { registerViews } from './views';

/** What the extension returns outside production (the in-editor tests): answers for input boxes the test workbench refuses. */
export interface TestApi {
  readonly inputs: ScriptedInputs;
  readonly uriHandler: AppUriHandler;
}

export async function activate(context: vscode.ExtensionContext): Promise<TestApi | undefined> {
  // The engine and the pure view modules translate through @vscode/l10n, from the bundle VS Code loaded.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  const channel = vscode.window.createOutputChannel('Session Keeper', { log: true });
  const logger = createLogger(channel);
  const showLog = () => channel.show(true);
  onListenerError((err) => logger.error(`An event listener failed: ${describeError(err)}`));

  // Files every window of this user shares: locks and generation records, never tokens.
  const coordinator = new FileCoordinator(vscode.Uri.joinPath(context.globalStorageUri, 'coordination').fsPath, systemClock, true, {
    onLockCompromised: (message) => logger.warn(message),
  });
  const store = new SessionStore(context.secrets, context.globalState, logger, {
    coordinator,
    onQuarantine: notifyQuarantine,
  });
  await store.load();

  const uriHandler = new AppUriHandler();
  const scripted = context.extensionMode === vscode.ExtensionMode.Production ? undefined : new ScriptedInputs();
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
    signIn: (config, client, request) =>
      signInInteractively(config, client, request, {
        logger,
        showLog,
        hostKind: currentHostKind,
        host: (report) => createFlowHost({ uriHandler, scripted, report }),
      }),
    onSignInNeeded: (account, message) => {
      const provider = engine.providers().find((p) => p.id === account.providerId);
      notifySignInNeeded(provider?.label ?? account.providerId, account.account.label, message, () => engine.signIn(account.providerId));
    },
    onStaleWindow: notifyStaleWindow,
  });
  const registry = new ProviderRegistry(engine, logger);
  registry.sync();

  context.subscriptions.push(
    channel,
    vscode.window.registerUriHandler(uriHandler),
    registry,
    engine,
    ...registerCommands({ model: engine, logger, showLog, checkIssuer: (issuer, signal) => engine.checkIssuer(issuer, signal) }),
    ...registerViews({ model: engine }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Setting.providers)) registry.sync();
      if (e.affectsConfiguration(Setting.refreshLeadTimeMinutes)) policy.leadMs = leadTime();
    }),
    // Desktop VS Code shares secrets between windows and tells each of them about changes.
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith(`${STORAGE_PREFIX}.`))
        store.secretChanged(e.key).catch((err) => logger.error(`Reloading sessions failed: ${describeError(err)}`));
    }),
  );
  logger.info(`Session Keeper ${context.extension.packageJSON.version} started`);
  return scripted && { inputs: scripted, uriHandler };
}

function leadTime(): number {
  const minutes = vscode.workspace.getConfiguration().get<number>(Setting.refreshLeadTimeMinutes, 5);
  return Math.min(60, Math.max(1, minutes)) * 60_000;
}

export function deactivate(): void {}
