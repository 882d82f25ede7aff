// The words for a session's health, for rows, the status bar and quick picks. No vscode import.
import type { Health } from '../session/refresh/health';
import type { AccountSummary } from '../session/model';
import * as l10n from '@vscode/l10n';
import { formatDuration, wholeSeconds } from './duration';

/** A renewal takes milliseconds; "renewing…" stays up this long so that a person can see it happen. */
export const RENEWING_SHOWN_MS = 1_500;

/** Whether the views say "renewing…": while a renewal runs, and for a moment after it succeeded. */
export function showsRenewing(h: Health, now: number): boolean {
  if (h.state === 'refreshing') return true;
  return h.state === 'healthy' && h.lastRefreshAt !== undefined && now >= h.lastRefreshAt && now - h.lastRefreshAt < RENEWING_SHOWN_MS;
}

/** "12 s ago", "5 min ago"; an hour or more shows as undefined (the caller shows the time instead). */
export function formatElapsed(ms: number): string | undefined {
  const s = wholeSeconds(ms);
  if (s < 120) return l10n.t('{0} s ago', s);
  const m = Math.floor(s / 60);
  return m < 60 ? l10n.t('{0} min ago', m) : undefined;
}

/** The one-line description the views show for a session. */
export function describeHealth(h: Health, now: number): string {
  if (showsRenewing(h, now)) return l10n.t('renewing…');
  switch (h.state) {
    case 'signInNeeded':
      return l10n.t('sign-in needed');
    case 'dormant':
      return l10n.t('not in use: the settings name another issuer or client');
    case 'refreshing':
      return l10n.t('renewing…');
    case 'offline':
      return h.nextRefreshAt !== undefined && h.nextRefreshAt > now
        ? l10n.t('offline, retry in {0}', formatDuration(h.nextRefreshAt - now))
        : l10n.t('offline, retrying');
    case 'expiring':
      if (h.expiresAt !== undefined && h.expiresAt <= now) return l10n.t('expired');
      return l10n.t('expires in {0}', formatDuration(h.expiresAt === undefined ? 0 : h.expiresAt - now));
    case 'healthy':
      return h.expiresAt === undefined ? l10n.t('no expiry') : l10n.t('expires in {0}', formatDuration(h.expiresAt - now));
  }
}

/** One line for an account's tooltip: `alice · valid · renews in 4 min · refreshed 12× · last error: none`. */
export function accountSummaryLine(a: AccountSummary, now: number): string {
  const next = a.sessions.flatMap((s) => (s.renewsAt === undefined ? [] : [s.renewsAt]));
  const renews = !a.sessions.some((s) => s.renewable)
    ? l10n.t('not renewable')
    : !a.autoRefresh
      ? l10n.t('auto-refresh off')
      : next.length
        ? l10n.t('renews in {0}', formatDuration(Math.min(...next) - now))
        : l10n.t('no renewal planned');
  const count = a.sessions.reduce((n, s) => n + s.refresh.refreshCount, 0);
  const error = a.sessions.find((s) => s.refresh.lastError)?.refresh.lastError;
  return [
    a.label,
    describeHealth(a.health, now),
    renews,
    l10n.t('refreshed {0}×', count),
    l10n.t('last error: {0}', error ?? l10n.t('none')),
  ].join(' · ');
}
