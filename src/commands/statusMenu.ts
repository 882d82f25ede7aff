// What clicking the status bar item offers: switch, sign in, refresh, sign out, open the view.
import * as vscode from 'vscode';
import { statusMenu, type StatusMenuAction } from '../views/statusText';
import { refreshNow, signIn, signOut, switchAccount, type ActionDeps } from './actions';
import { Command, View } from '../contributions';

export async function showStatusBarMenu(deps: ActionDeps): Promise<void> {
  const { model } = deps;
  const primary = model.primaryProviderId();
  const provider = model.providers().find((p) => p.id === primary);
  const items = statusMenu(provider, model.now()).map((entry): vscode.QuickPickItem & { action?: StatusMenuAction } =>
    'separator' in entry ? { label: entry.separator, kind: vscode.QuickPickItemKind.Separator } : entry,
  );
  const picked = await vscode.window.showQuickPick(items, { placeHolder: provider ? provider.label : vscode.l10n.t('Session Keeper') });
  const action = picked?.action;
  if (!action) return;
  const providerId = provider?.id ?? '';
  switch (action.kind) {
    case 'switch':
      return switchAccount(deps, { providerId, accountId: action.accountId });
    case 'signIn':
      return signIn(deps, { providerId });
    case 'refresh':
      return refreshNow(deps, { providerId, accountId: action.accountId });
    case 'signOut':
      return signOut(deps, { providerId, accountId: action.accountId });
    case 'addProvider':
      return void (await vscode.commands.executeCommand(Command.addProvider));
    case 'openView':
      return void (await vscode.commands.executeCommand(`${View.accounts}.focus`));
  }
}
