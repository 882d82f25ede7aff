// The status bar item: the primary provider's active account, its health, and a menu on click.
import * as vscode from 'vscode';
import type { SessionKeeperModel } from '../session/model';
import { Command, STATUS_BAR_ITEM, Setting } from '../contributions';
import { statusView } from './statusText';
import { markdownTooltip } from './tooltip';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 0);

  constructor(
    private readonly model: SessionKeeperModel,
    private readonly formatTime: (ms: number) => string,
  ) {
    this.item.name = vscode.l10n.t('Session Keeper');
    this.item.command = Command.statusBarMenu;
  }

  /** Renders the current state and answers when the text next changes. */
  update(): number | undefined {
    const now = this.model.now();
    const primary = this.model.primaryProviderId();
    const view = statusView({
      enabled: vscode.workspace.getConfiguration().get<boolean>(Setting.statusBarEnabled, true),
      provider: this.model.providers().find((p) => p.id === primary),
      now,
      formatTime: this.formatTime,
    });
    if (!view.visible) {
      this.item.hide();
      return undefined;
    }
    this.item.text = view.text;
    this.item.tooltip = view.tooltip && markdownTooltip(view.tooltip);
    this.item.accessibilityInformation = { label: view.accessibilityLabel };
    this.item.backgroundColor = view.background && new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
    this.item.show();
    return view.nextChangeAt;
  }

  dispose(): void {
    this.item.dispose();
  }
}
