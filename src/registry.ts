// Keeps one registered AuthenticationProvider per valid entry of `sessionKeeper.providers`,
// following setting changes without a reload.
import * as vscode from 'vscode';
import { authorizationCodeFlow, type BrowserHost } from './session/authorizationCode';
import { describeProblem, parseProviders, type ProviderConfig } from './session/config';
import { ErrorCode, SessionKeeperError, isCancellation } from './session/errors';
import { REQUEST_TIMEOUT_MS, type Fetch } from './session/http';
import { describeError, type Logger } from './session/log';
import { OAuthClient } from './session/oauth';
import { SessionKeeperProvider, type SignInRequest } from './session/provider';
import type { SessionStore } from './session/store';

export const SETTING = 'sessionKeeper.providers';

interface Registration {
  readonly fingerprint: string;
  readonly provider: SessionKeeperProvider;
  readonly disposable: vscode.Disposable;
}

export class ProviderRegistry implements vscode.Disposable {
  private readonly registrations = new Map<string, Registration>();

  constructor(
    private readonly store: SessionStore,
    private readonly fetch: Fetch,
    private readonly logger: Logger,
    private readonly showLog: () => void,
  ) {}

  providers(): SessionKeeperProvider[] {
    return [...this.registrations.values()].map((r) => r.provider);
  }

  /** Reads the setting and adds, replaces or removes registrations to match it. */
  sync(): void {
    const { providers, problems } = parseProviders(vscode.workspace.getConfiguration().get(SETTING));
    for (const p of problems) this.reportProblem(describeProblem(p));
    const wanted = new Map(providers.map((p) => [p.id, p]));
    for (const [id, reg] of this.registrations) {
      const next = wanted.get(id);
      if (!next || JSON.stringify(next) !== reg.fingerprint) this.unregister(id);
    }
    for (const config of providers) {
      if (!this.registrations.has(config.id)) this.register(config);
    }
  }

  dispose(): void {
    for (const id of [...this.registrations.keys()]) this.unregister(id);
  }

  private register(config: ProviderConfig): void {
    const client = new OAuthClient({ issuer: config.issuer, clientId: config.clientId, fetch: this.fetch, timeoutMs: REQUEST_TIMEOUT_MS });
    const provider = new SessionKeeperProvider(config, {
      store: this.store,
      client,
      logger: this.logger,
      now: Date.now,
      signIn: (request) => this.signIn(config, client, request),
    });
    // A second registration of a live id is ignored by VS Code, so the old one is always gone first.
    const disposable = vscode.authentication.registerAuthenticationProvider(config.id, config.label, provider, {
      supportsMultipleAccounts: true,
    });
    this.registrations.set(config.id, { fingerprint: JSON.stringify(config), provider, disposable });
    this.logger.info(`Registered authentication provider "${config.id}" for ${config.issuer}`);
    // Check discovery now, so a wrong issuer is reported when it is configured, not at first sign-in.
    client.metadata().then(
      () => this.logger.debug(`Discovery for "${config.id}" succeeded`),
      (err) => this.reportProblem(vscode.l10n.t('Identity provider "{0}": {1}', config.id, err instanceof SessionKeeperError ? err.message : describeError(err))),
    );
  }

  private unregister(id: string): void {
    const reg = this.registrations.get(id);
    if (!reg) return;
    this.registrations.delete(id);
    reg.disposable.dispose();
    reg.provider.dispose();
    this.logger.info(`Unregistered authentication provider "${id}"`);
  }

  private async signIn(config: ProviderConfig, client: OAuthClient, request: SignInRequest) {
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
          return authorizationCodeFlow(client, host, this.logger, { ...request, signal: controller.signal });
        },
      );
    } catch (err) {
      this.logger.error(`Sign-in to "${config.id}" failed: ${describeError(err)}`);
      if (!isCancellation(err)) {
        const message = err instanceof SessionKeeperError ? err.message : describeError(err);
        void vscode.window.showErrorMessage(vscode.l10n.t('Sign-in to {0} failed: {1}', config.label, message), vscode.l10n.t('Show Log')).then((choice) => {
          if (choice) this.showLog();
        });
      }
      throw err;
    }
  }

  private reportProblem(message: string): void {
    this.logger.error(message);
    const open = vscode.l10n.t('Open Settings');
    void vscode.window.showWarningMessage(message, open).then((choice) => {
      if (choice === open) void vscode.commands.executeCommand('workbench.action.openSettings', SETTING);
    });
  }
}
