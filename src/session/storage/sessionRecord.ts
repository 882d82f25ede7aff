// The one mapping from a token response to a stored session: for a new sign-in and for a refresh.
import { randomUUID } from 'node:crypto';
import type { TokenSet } from '../protocol/oauth';
import { freshRefreshState, type StoredSession } from './store';

/** A session just issued by a sign-in; `requestedScopes` stand in when the issuer does not say which it granted. */
export function issuedSession(tokens: TokenSet, requestedScopes: readonly string[], now: number): StoredSession {
  return {
    id: randomUUID(),
    scopes: tokens.scopes ?? [...requestedScopes],
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    expiresAt: tokens.expiresAt,
    createdAt: now,
    refresh: freshRefreshState(tokens.refreshToken !== undefined),
  };
}

/** The same session after a successful refresh at `renewedAt`, next renewed at `nextRefreshAt`. */
export function renewedSession(s: StoredSession, tokens: TokenSet, renewedAt: number, nextRefreshAt: number | undefined): StoredSession {
  return {
    ...s,
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    // RFC 6749 §6: without a new refresh token, the old one stays valid.
    refreshToken: tokens.refreshToken ?? s.refreshToken,
    idToken: tokens.idToken ?? s.idToken,
    expiresAt: tokens.expiresAt,
    scopes: tokens.scopes ?? s.scopes,
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
