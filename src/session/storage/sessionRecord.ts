// The one mapping from new credentials to a stored session: for a new sign-in and for a renewal,
// of either kind of session.
import { randomUUID } from 'node:crypto';
import type { Credentials } from '../refresh/source';
import { freshRefreshState, type StoredSession } from './store';

/** A session just issued by a sign-in; `requestedScopes` stand in when the source does not say which it granted. */
export function issuedSession(credentials: Credentials, requestedScopes: readonly string[], now: number): StoredSession {
  return {
    id: randomUUID(),
    scopes: credentials.scopes ?? [...requestedScopes],
    accessToken: credentials.accessToken,
    tokenType: credentials.tokenType,
    refreshToken: credentials.refreshToken,
    idToken: credentials.idToken,
    expiresAt: credentials.expiresAt,
    createdAt: now,
    ...(credentials.endpoint && { endpoint: credentials.endpoint }),
    refresh: freshRefreshState(credentials.refreshToken !== undefined || credentials.endpoint !== undefined),
  };
}

/** The same session after a successful renewal at `renewedAt`, next renewed at `nextRefreshAt`. */
export function renewedSession(
  s: StoredSession,
  credentials: Credentials,
  renewedAt: number,
  nextRefreshAt: number | undefined,
): StoredSession {
  return {
    ...s,
    accessToken: credentials.accessToken,
    tokenType: credentials.tokenType,
    // RFC 6749 §6: without a new refresh token, the old one stays valid.
    refreshToken: credentials.refreshToken ?? s.refreshToken,
    idToken: credentials.idToken ?? s.idToken,
    expiresAt: credentials.expiresAt,
    scopes: credentials.scopes ?? s.scopes,
    ...(credentials.endpoint && { endpoint: credentials.endpoint }),
    refresh: {
      ...s.refresh,
      lastRefreshAt: renewedAt,
      nextRefreshAt,
      refreshCount: s.refresh.refreshCount + 1,
      consecutiveFailures: 0,
      lastError: undefined,
    },
  };
}
