// Quick picks for "which provider?" and "which account?", asked only when there is a choice.
import * as vscode from 'vscode';
import { describeHealth } from '../views/healthText';
import type { AccountSummary, ProviderSummary } from '../session/model';
import { plainText } from '../session/base/plainText';
import { accountCount, issuerHost } from '../views/treeModel';

/** What a command acts on: from a tree row, a provider id string, or a quick pick. */
export interface Target {
  readonly providerId: string;
  readonly accountId?: string;
}

/** Reads a command argument: a tree element or a provider id (from links and other commands). */
export function targetOf(arg: unknown): Target | undefined {
  if (typeof arg === 'string' && arg) return { providerId: arg };
  if (typeof arg !== 'object' || arg === null) return undefined;
  const { providerId, accountId } = arg as { providerId?: unknown; accountId?: unknown };
  if (typeof providerId !== 'string') return undefined;
  return { providerId, accountId: typeof accountId === 'string' ? accountId : undefined };
}

/** A single candidate is taken without asking. */
export async function pickOne<T>(
  candidates: readonly T[],
  toItem: (c: T) => vscode.QuickPickItem,
  placeHolder: string,
): Promise<T | undefined> {
  if (candidates.length <= 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((candidate) => ({ ...toItem(candidate), candidate })),
    { placeHolder, matchOnDescription: true },
  );
  return picked?.candidate;
}

// Quick pick labels, descriptions and details draw $(icon) names; the texts here are plain.
export function providerItem(p: ProviderSummary): vscode.QuickPickItem {
  return {
    label: plainText(p.label, 'label'),
    description: plainText(issuerHost(p.issuer), 'label'),
    detail: accountCount(p.accounts.length),
  };
}

export function accountItem(a: AccountSummary, now: number): vscode.QuickPickItem {
  return {
    label: plainText(a.label, 'label'),
    description: a.active ? vscode.l10n.t('active') : undefined,
    detail: describeHealth(a.health, now),
  };
}

export function pickProvider(providers: readonly ProviderSummary[], placeHolder: string): Promise<ProviderSummary | undefined> {
  return pickOne(providers, providerItem, placeHolder);
}

/** Resolves a target to a provider and account, asking for whichever the target leaves open. */
export async function pickAccount(
  providers: readonly ProviderSummary[],
  target: Target | undefined,
  now: number,
  placeHolder: string,
): Promise<{ provider: ProviderSummary; account: AccountSummary } | undefined> {
  const signedIn = providers.filter((p) => p.accounts.length > 0 && (!target || p.id === target.providerId));
  const provider = await pickProvider(signedIn, vscode.l10n.t('Select an identity provider'));
  if (!provider) return undefined;
  const accounts = provider.accounts.filter((a) => !target?.accountId || a.id === target.accountId);
  const account = await pickOne(accounts, (a) => accountItem(a, now), placeHolder);
  return account && { provider, account };
}
