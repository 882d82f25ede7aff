// Session health is derived, never stored: a pure function of the stored session, whether a
// refresh is in flight, and the clock. The words for it belong to the views.
import type { StoredSession } from '../storage/store';

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
  /** Epoch ms of the last successful renewal. */
  readonly lastRefreshAt?: number;
  readonly lastError?: string;
}

export function sessionHealth(session: StoredSession, refreshing: boolean, now: number, leadMs: number, dormant = false): Health {
  const { expiresAt, refresh } = session;
  const base = { expiresAt, nextRefreshAt: refresh.nextRefreshAt, lastRefreshAt: refresh.lastRefreshAt, lastError: refresh.lastError };
  if (dormant) return { expiresAt, state: 'dormant' };
  if (refresh.needsSignIn || (expiresAt !== undefined && expiresAt <= now && !isRenewable(session))) {
    return { ...base, state: 'signInNeeded' };
  }
  if (refreshing) return { ...base, state: 'refreshing' };
  if (refresh.consecutiveFailures > 0) return { ...base, state: 'offline' };
  if (expiresAt !== undefined && expiresAt - now <= leadMs && !canRefresh(session)) return { ...base, state: 'expiring' };
  return { ...base, state: 'healthy' };
}

/** Whether the session holds what renews it (a refresh token, or an endpoint session's values) and may still be renewed. */
export function isRenewable(session: StoredSession): boolean {
  return (session.refreshToken !== undefined || session.endpoint !== undefined) && !session.refresh.needsSignIn;
}

/** Whether the session renews by itself: renewable, with auto-refresh on (off: only an explicit Refresh Now renews). */
export function canRefresh(session: StoredSession): boolean {
  return isRenewable(session) && session.refresh.autoRefresh;
}
