// Session health is derived, never stored: a pure function of the stored session, whether a
// refresh is in flight, and the clock.
import { t } from './l10n';
import type { StoredSession } from './store';

/**
 * `dormant`: the settings now name another issuer or client for this provider id, so the session
 * is neither served, renewed nor revoked; it works again if the settings return.
 */
export type HealthState = 'healthy' | 'expiring' | 'refreshing' | 'offline' | 'signInNeeded' | 'dormant';

export interface Health {
  readonly state: HealthState;
  /** Epoch ms the access token expires, when known. */
  readonly expiresAt?: number;
  /** Epoch ms of the next refresh attempt, when one is planned. */
  readonly nextRefreshAt?: number;
  readonly lastError?: string;
}

export function sessionHealth(session: StoredSession, refreshing: boolean, now: number, leadMs: number, dormant = false): Health {
  const { expiresAt, refresh } = session;
  const base = { expiresAt, nextRefreshAt: refresh.nextRefreshAt, lastError: refresh.lastError };
  if (dormant) return { expiresAt, state: 'dormant' };
  if (refresh.needsSignIn || (expiresAt !== undefined && expiresAt <= now && !canRefresh(session))) {
    return { ...base, state: 'signInNeeded' };
  }
  if (refreshing) return { ...base, state: 'refreshing' };
  if (refresh.consecutiveFailures > 0) return { ...base, state: 'offline' };
  if (expiresAt !== undefined && expiresAt - now <= leadMs && !canRefresh(session)) return { ...base, state: 'expiring' };
  return { ...base, state: 'healthy' };
}

export function canRefresh(session: StoredSession): boolean {
  return session.refreshToken !== undefined && session.refresh.autoRefresh && !session.refresh.needsSignIn;
}

/** "42 min", "30 s", "3 h 5 min": short enough for a status bar. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('{0} s', s);
  const m = Math.floor(s / 60);
  if (m < 60) return t('{0} min', m);
  const h = Math.floor(m / 60);
  const rest = m % 60;
  return rest ? t('{0} h {1} min', h, rest) : t('{0} h', h);
}

/** The one-line description the views show for a session. */
export function describeHealth(h: Health, now: number): string {
  switch (h.state) {
    case 'signInNeeded':
      return t('sign-in needed');
    case 'dormant':
      return t('not in use: the settings name another issuer or client');
    case 'refreshing':
      return t('refreshing…');
    case 'offline':
      return h.nextRefreshAt !== undefined && h.nextRefreshAt > now
        ? t('offline, retry in {0}', formatDuration(h.nextRefreshAt - now))
        : t('offline, retrying');
    case 'expiring':
    case 'healthy':
      return h.expiresAt === undefined ? t('no expiry') : t('expires in {0}', formatDuration(h.expiresAt - now));
  }
}
