import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ProviderRegistry, SETTING } from './registry';
import { REQUEST_TIMEOUT_MS, createFetch } from './session/http';
import { setTranslator } from './session/l10n';
import { createLogger, describeError } from './session/log';
import { SessionStore } from './session/store';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  setTranslator(vscode.l10n.t);
  const channel = vscode.window.createOutputChannel('Session Keeper', { log: true });
  const logger = createLogger(channel);
  const showLog = () => channel.show(true);

  const store = new SessionStore(context.secrets, context.globalState, logger, {
    onQuarantine: (message) => void vscode.window.showWarningMessage(message),
  });
  await store.load();

  const registry = new ProviderRegistry(store, createFetch(REQUEST_TIMEOUT_MS), logger, showLog);
  registry.sync();

  context.subscriptions.push(
    channel,
    registry,
    ...registerCommands({ showLog }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTING)) registry.sync();
    }),
    // Desktop VS Code shares secrets between windows and tells each of them about changes.
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith('sessionKeeper.')) store.load().catch((err) => logger.error(`Reloading sessions failed: ${describeError(err)}`));
    }),
  );
  logger.info(`Session Keeper ${context.extension.packageJSON.version} started`);
}

export function deactivate(): void {}
