// The Accounts view and the status bar item, each re-rendered on model changes and by one
// countdown timer set for the next instant its visible text changes.
import * as vscode from 'vscode';
import type { SessionKeeperModel } from '../session/model';
import type { Event } from '../session/base/events';
import type { Grant } from '../terminal/consent';
import { timeFormatter } from './clock';
import { CountdownTimer, type TimerHost } from './countdown';
import { ContextKey, Setting, View } from '../contributions';
import { StatusBar } from './statusBar';
import { AccountsTreeProvider } from './tree';

export interface ViewDeps {
  readonly model: SessionKeeperModel;
  /** Terminal tools' access per account, shown as rows under each account. */
  readonly terminal?: TerminalAccessView;
}

export interface TerminalAccessView {
  readonly onDidChange: Event<void>;
  /** Each account's terminal grants. */
  grants(providerId: string): ReadonlyMap<string, readonly Grant[]>;
}

export function registerViews({ model, terminal }: ViewDeps): vscode.Disposable[] {
  const formatTime = timeFormatter(vscode.env.language, () => model.now());
  const host: TimerHost = {
    now: () => model.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };

  const tree = new AccountsTreeProvider(model, formatTime, terminal && ((providerId) => terminal.grants(providerId)));
  const view = vscode.window.createTreeView(View.accounts, { treeDataProvider: tree, showCollapseAll: true });
  const context = new ContextKeys();
  const treeTimer = new CountdownTimer(host, () => {
    const next = tree.update();
    context.set(ContextKey.hasProviders, tree.current.hasProviders);
    context.set(ContextKey.hasAccounts, tree.current.hasAccounts);
    return next;
  });
  // A hidden view needs no countdown; it is brought up to date when shown again.
  if (!view.visible) treeTimer.pause();
  treeTimer.run();

  const statusBar = new StatusBar(model, formatTime);
  const statusTimer = new CountdownTimer(host, () => statusBar.update());
  statusTimer.run();

  return [
    view,
    tree,
    { dispose: () => treeTimer.dispose() },
    statusBar,
    { dispose: () => statusTimer.dispose() },
    view.onDidChangeVisibility((e) => (e.visible ? treeTimer.resume() : treeTimer.pause())),
    model.onDidChange(() => {
      treeTimer.run();
      statusTimer.run();
    }),
    ...(terminal ? [terminal.onDidChange(() => treeTimer.run())] : []),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Setting.statusBarEnabled)) statusTimer.run();
    }),
  ];
}

/** Sets a context key only when its value changes. */
class ContextKeys {
  private readonly values = new Map<string, unknown>();

  set(key: string, value: unknown): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }
}
