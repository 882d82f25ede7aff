// The editor integration: everything that needs the vscode API and is neither a view nor a command.
// This file registers the engine's providers with VS Code, following `sessionKeeper.providers`
// without a reload.
import * as vscode from 'vscode';
import { Setting } from '../contributions';
import { userMessage } from '../session/base/errors';
import type { Logger } from '../session/base/log';
import { plainText } from '../session/base/plainText';
import { describeProblem, parseProviders } from '../session/config';
import type { SessionKeeperEngine } from '../session/engine';

export class ProviderRegistry implements vscode.Disposable {
  private readonly registrations = new Map<string, vscode.Disposable>();

  constructor(
    private readonly engine: SessionKeeperEngine,
    private readonly logger: Logger,
  ) {}

  /** Reads the setting and adds, replaces or removes registrations to match it. */
  sync(): void {
    const { providers, problems } = parseProviders(
      vscode.workspace.getConfiguration().get(Setting.providers),
      this.engine.loopbackIsLocal(),
    );
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
      this.engine
        .client(config.id)
        ?.metadata()
        .then(
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
    void vscode.window.showWarningMessage(plainText(message, 'notification'), open).then((choice) => {
      if (choice === open) void vscode.commands.executeCommand('workbench.action.openSettings', Setting.providers);
    });
  }
}
