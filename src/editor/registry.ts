// Registers the engine's providers with VS Code, following `sessionKeeper.providers` without a
// reload, and supplies the interactive sign-in (browser, progress, cancellation).
import * as vscode from 'vscode';
import { Setting } from '../contributions';
import { authorizationCodeFlow, type BrowserHost } from '../session/flows/authorizationCode';
import { describeProblem, parseProviders, type ProviderConfig } from '../session/config';
import type { SessionKeeperEngine } from '../session/engine';
import { ErrorCode, SessionKeeperError, isCancellation } from '../session/base/errors';
import { describeError, userMessage, type Logger } from '../session/base/log';
import type { OAuthClient } from '../session/protocol/oauth';
import type { SignInRequest } from '../session/provider';


export class ProviderRegistry implements vscode.Disposable {
  private readonly registrations = new Map<string, vscode.Disposable>();

  constructor(
    private readonly engine: SessionKeeperEngine,
    private readonly logger: Logger,
  ) {}

  /** Reads the setting and adds, replaces or removes registrations to match it. */
  sync(): void {
    const { providers, problems } = parseProviders(vscode.workspace.getConfiguration().get(Setting.providers));
    for (const p of problems) this.reportProblem(describeProblem(p));
    const { added, removed } = this.engine.configure(providers);
    // VS Code ignores a second registration of a live id, so the old one always goes first.
    for (const id of removed) {
      this.registrations.get(id)?.dispose();
      this.registrations.delete(id);
      this.logger.info(`Unregistered authentication provider "${id}"`);
    }
    for (const provider of added) {
      const { config } = provider;
      this.registrations.set(
        config.id,
        vscode.authentication.registerAuthenticationProvider(config.id, config.label, provider, { supportsMultipleAccounts: true }),
      );
      this.logger.info(`Registered ${config.label} (authentication provider "${config.id}") for ${config.issuer}`);
      // Check discovery now, so a wrong issuer is reported when it is configured, not at first sign-in.
      this.engine.client(config.id)?.metadata().then(
        () => this.logger.debug(`Discovery for ${config.label} succeeded`),
        (err) => this.reportProblem(vscode.l10n.t('Identity provider "{0}": {1}', config.id, userMessage(err))),
      );
    }
  }

  dispose(): void {
    for (const d of this.registrations.values()) d.dispose();
    this.registrations.clear();
  }

  private reportProblem(message: string): void {
    this.logger.error(message);
    const open = vscode.l10n.t('Open Settings');
    void vscode.window.showWarningMessage(message, open).then((choice) => {
      if (choice === open) void vscode.commands.executeCommand('workbench.action.openSettings', Setting.providers);
    });
  }
}

/** The interactive sign-in: a cancellable progress notification around the browser flow. */
export async function signInInteractively(
  config: ProviderConfig,
  client: OAuthClient,
  request: SignInRequest,
  logger: Logger,
  showLog: () => void,
) {
  const host: BrowserHost = {
    // A string keeps a nested redirect_uri intact; Uri.parse would re-encode its query.
    openBrowser: (url) => Promise.resolve(vscode.env.openExternal(url as unknown as vscode.Uri)),
    externalUri: async (url) => (await vscode.env.asExternalUri(vscode.Uri.parse(url))).toString(true),
  };
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Signing in to {0}… Finish in your browser.', config.label), cancellable: true },
      (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort(new SessionKeeperError(ErrorCode.Cancelled, vscode.l10n.t('Sign-in was cancelled.'))));
        return authorizationCodeFlow(client, host, logger, { ...request, signal: controller.signal, providerLabel: config.label });
      },
    );
  } catch (err) {
    if (isCancellation(err)) logger.info(`Sign-in to ${config.label} was cancelled: ${describeError(err)}`);
    else logger.error(`Sign-in to ${config.label} failed: ${describeError(err)}`);
    if (!isCancellation(err)) {
      const message = userMessage(err);
      const show = vscode.l10n.t('Show Log');
      void vscode.window.showErrorMessage(vscode.l10n.t('Sign-in to {0} failed: {1}', config.label, message), show).then((choice) => {
        if (choice === show) showLog();
      });
    }
    throw err;
  }
}
