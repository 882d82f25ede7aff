// The status bar item as plain data: the primary provider's active account and its health, in
// short text, full words for screen readers, and a tooltip. No vscode import: unit-tested in Node.
import { describeHealth, formatElapsed, showsRenewing } from './healthText';
import { formatLongDuration, formatShortDuration } from './duration';
import * as l10n from '@vscode/l10n';
import type { AccountSummary, ProviderSummary } from '../session/model';
import { earliest, nextElapsedChange, nextHealthTextChange } from './countdown';
import type { Tooltip, TooltipField } from './treeModel';
import { plainText } from '../session/base/plainText';

/** The status bar text and quick pick labels draw $(icon) names: names and issuer text must not become icons. */
const plainLabel = (text: string) => plainText(text, 'label');

export type StatusBackground = 'warning' | 'error';

export interface StatusView {
  readonly visible: boolean;
  readonly text: string;
  readonly background?: StatusBackground;
  readonly accessibilityLabel: string;
  readonly tooltip?: Tooltip;
  /** When text, label or tooltip next read differently; undefined when nothing counts down. */
  readonly nextChangeAt?: number;
}

export interface StatusInput {
  /** The `sessionKeeper.statusBar.enabled` setting. */
  readonly enabled: boolean;
  /** The primary provider, if any is configured. */
  readonly provider: ProviderSummary | undefined;
  readonly now: number;
  readonly formatTime?: (ms: number) => string;
}

const hidden: StatusView = { visible: false, text: '', accessibilityLabel: '' };

export function activeAccount(p: ProviderSummary | undefined): AccountSummary | undefined {
  return p?.accounts.find((a) => a.active) ?? p?.accounts[0];
}

export function statusView({ enabled, provider, now, formatTime }: StatusInput): StatusView {
  if (!enabled || !provider) return hidden;
  const time = formatTime ?? ((ms: number) => new Date(ms).toLocaleString());
  const account = activeAccount(provider);
  if (!account) {
    return {
      visible: true,
      text: `$(account) ${plainLabel(l10n.t('Sign in to {0}', provider.label))}`,
      accessibilityLabel: l10n.t('Session Keeper: not signed in to {0}; select to sign in', provider.label),
      tooltip: {
        title: provider.label,
        fields: [
          { label: l10n.t('Status'), value: l10n.t('not signed in') },
          { label: l10n.t('Issuer'), value: provider.issuer },
        ],
      },
    };
  }

  const h = account.health;
  const name = plainLabel(account.label);
  const remaining = h.expiresAt !== undefined && h.expiresAt > now ? h.expiresAt - now : undefined;
  const signedIn = (detail?: string) =>
    detail === undefined
      ? l10n.t('Session Keeper: signed in to {0} as {1}', provider.label, account.label)
      : l10n.t('Session Keeper: signed in to {0} as {1}, {2}', provider.label, account.label, detail);

  let text: string;
  let background: StatusBackground | undefined;
  let accessibilityLabel: string;
  switch (showsRenewing(h, now) ? 'refreshing' : h.state) {
    case 'healthy':
      text = remaining === undefined ? `$(account) ${name}` : `$(account) ${name} · ${formatShortDuration(remaining)}`;
      accessibilityLabel = signedIn(remaining === undefined ? undefined : l10n.t('session expires in {0}', formatLongDuration(remaining)));
      break;
    case 'expiring':
      text = `$(warning) ${name} · ${formatShortDuration(remaining ?? 0)}`;
      background = 'warning';
      accessibilityLabel = signedIn(l10n.t('session expires in {0} and cannot be renewed', formatLongDuration(remaining ?? 0)));
      break;
    case 'refreshing':
      text = `$(sync~spin) ${name} · ${l10n.t('renewing…')}`;
      accessibilityLabel = signedIn(l10n.t('renewing the session'));
      break;
    case 'offline':
      text = `$(debug-disconnect) ${name} · ${l10n.t('offline')}`;
      background = 'warning';
      accessibilityLabel = signedIn(
        h.nextRefreshAt !== undefined && h.nextRefreshAt > now
          ? l10n.t('offline, next retry in {0}', formatLongDuration(h.nextRefreshAt - now))
          : l10n.t('offline, retrying'),
      );
      break;
    case 'signInNeeded':
      text = `$(error) ${name} · ${l10n.t('sign-in needed')}`;
      background = 'error';
      accessibilityLabel = signedIn(l10n.t('sign-in needed'));
      break;
    case 'dormant':
      text = `$(circle-slash) ${name}`;
      accessibilityLabel = signedIn(describeHealth(h, now));
      break;
  }

  const others = provider.accounts.length - 1;
  const renewed = h.lastRefreshAt !== undefined && h.lastRefreshAt <= now ? formatElapsed(now - h.lastRefreshAt) : undefined;
  const fields: TooltipField[] = [
    { label: l10n.t('Account'), value: account.label },
    { label: l10n.t('Status'), value: describeHealth(h, now) },
    ...(h.expiresAt !== undefined ? [{ label: l10n.t('Expires'), value: time(h.expiresAt) }] : []),
    ...(h.lastRefreshAt !== undefined ? [{ label: l10n.t('Renewed'), value: renewed ?? time(h.lastRefreshAt) }] : []),
    ...(h.lastError ? [{ label: l10n.t('Last error'), value: h.lastError }] : []),
    ...(others > 0 ? [{ label: l10n.t('Other accounts'), value: String(others) }] : []),
  ];
  // "renewed 12 s ago" in the tooltip ticks too, but only while it reads in seconds or minutes.
  const nextChangeAt = earliest([
    nextHealthTextChange(h, now),
    renewed === undefined ? undefined : nextElapsedChange(h.lastRefreshAt!, now),
  ]);
  return { visible: true, text, background, accessibilityLabel, tooltip: { title: provider.label, fields }, nextChangeAt };
}

export type StatusMenuAction =
  | { readonly kind: 'switch'; readonly accountId: string }
  | { readonly kind: 'signIn' }
  | { readonly kind: 'refresh'; readonly accountId: string }
  | { readonly kind: 'signOut'; readonly accountId: string }
  | { readonly kind: 'addProvider' }
  | { readonly kind: 'openView' };

export type StatusMenuEntry =
  { readonly label: string; readonly description?: string; readonly action: StatusMenuAction } | { readonly separator: string };

/** What clicking the status bar item offers, for the primary provider. */
export function statusMenu(provider: ProviderSummary | undefined, now: number): StatusMenuEntry[] {
  const openView: StatusMenuEntry = { label: `$(list-tree) ${l10n.t('Open Accounts View')}`, action: { kind: 'openView' } };
  if (!provider) return [{ label: `$(add) ${l10n.t('Add Identity Provider…')}`, action: { kind: 'addProvider' } }, openView];
  const active = activeAccount(provider);
  if (!active)
    return [{ label: `$(sign-in) ${plainLabel(l10n.t('Sign In to {0}…', provider.label))}`, action: { kind: 'signIn' } }, openView];
  const switches: StatusMenuEntry[] = provider.accounts
    .filter((a) => a !== active)
    .map((a) => ({
      label: `$(arrow-swap) ${plainLabel(l10n.t('Switch to {0}', a.label))}`,
      description: describeHealth(a.health, now),
      action: { kind: 'switch', accountId: a.id },
    }));
  return [
    ...switches,
    ...(switches.length ? [{ separator: '' }] : []),
    { label: `$(sign-in) ${l10n.t('Sign In Another Account…')}`, action: { kind: 'signIn' } },
    { label: `$(refresh) ${l10n.t('Refresh Now')}`, action: { kind: 'refresh', accountId: active.id } },
    { label: `$(sign-out) ${plainLabel(l10n.t('Sign Out {0}…', active.label))}`, action: { kind: 'signOut', accountId: active.id } },
    openView,
  ];
}
