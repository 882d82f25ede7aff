// Allow and revoke terminal tools' access to an account, from its terminal row in the Accounts view
// (or with provider and account ids, from other commands and tests).
import * as vscode from 'vscode';
import type { SessionKeeperModel } from '../session/model';
import type { Target } from './picks';
import { pickAccount } from './picks';

export interface TerminalAccessActions {
  allow(providerId: string, accountId: string): Promise<void>;
  revoke(providerId: string, accountId: string): Promise<void>;
}

async function resolve(model: SessionKeeperModel, target: Target | undefined, placeHolder: string): Promise<Target | undefined> {
  if (target?.accountId) return target;
  const choice = await pickAccount(model.providers(), target, model.now(), placeHolder);
  return choice && { providerId: choice.provider.id, accountId: choice.account.id };
}

export async function allowTerminalAccess(model: SessionKeeperModel, actions: TerminalAccessActions, target?: Target): Promise<void> {
  const t = await resolve(model, target, vscode.l10n.t('Select the account terminal tools may use'));
  if (t?.accountId) await actions.allow(t.providerId, t.accountId);
}

export async function revokeTerminalAccess(model: SessionKeeperModel, actions: TerminalAccessActions, target?: Target): Promise<void> {
  const t = await resolve(model, target, vscode.l10n.t('Select the account terminal tools may no longer use'));
  if (t?.accountId) await actions.revoke(t.providerId, t.accountId);
}
