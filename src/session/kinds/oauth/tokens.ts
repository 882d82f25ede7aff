// A token endpoint's answer as the session's tokens: validated ID token claims, expiry, granted scopes.
import * as oauth from 'oauth4webapi';
import { jwtExpiry } from '../../base/jwt';
import { hasControlChars } from '../../base/plainText';
import { redactor } from '../../base/redact';
import { normalizeScopes } from '../../base/scopes';
import { MissingSubject } from './errors';

export interface TokenSet {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch ms; from expires_in, else the access token's JWT `exp`, else unknown. */
  readonly expiresAt?: number;
  /** Granted scopes (RFC 6749 §5.1 `scope`), when the issuer says. */
  readonly scopes?: string[];
  /** Validated ID token claims, when an ID token came with the response. */
  readonly claims?: IdTokenClaims;
}

export interface IdTokenClaims {
  readonly sub: string;
  readonly iss: string;
  readonly preferred_username?: string;
  readonly email?: string;
  readonly name?: string;
}

/** Every token of an answer enters the redactor before anything could log it. */
export function remember(result: oauth.TokenEndpointResponse): void {
  redactor.add(result.access_token);
  redactor.add(result.refresh_token);
  redactor.add(result.id_token);
}

/** The tokens of a validated token endpoint answer; an ID token must name a valid subject. */
export function tokenSet(result: oauth.TokenEndpointResponse, now: number): TokenSet {
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (claims && !isSubject(claims.sub)) {
    throw new MissingSubject();
  }
  const expiresAt = expiryOf(result.expires_in, result.access_token, now);
  return {
    accessToken: result.access_token,
    tokenType: result.token_type,
    refreshToken: result.refresh_token,
    idToken: result.id_token,
    expiresAt,
    scopes: typeof result.scope === 'string' ? normalizeScopes([result.scope]) : undefined,
    claims: claims && {
      sub: claims.sub,
      iss: claims.iss,
      preferred_username: stringClaim(claims.preferred_username),
      email: stringClaim(claims.email),
      name: stringClaim(claims.name),
    },
  };
}

/** A year: no access token is meant to live longer, and a bigger number is a broken or hostile answer. */
const MAX_LIFETIME_MS = 366 * 24 * 3600_000;

/**
 * The expiry of a token response: `expires_in` when it is a positive finite number (capped at a
 * year), else the access token's JWT `exp` under the same rules, else unknown.
 */
export function expiryOf(expiresIn: unknown, accessToken: string, now: number): number | undefined {
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) {
    return Math.round(now + Math.min(expiresIn * 1000, MAX_LIFETIME_MS));
  }
  const exp = jwtExpiry(accessToken);
  if (exp === undefined || !Number.isFinite(exp) || exp <= now) return undefined;
  return Math.min(exp, now + MAX_LIFETIME_MS);
}

/** OIDC Core §2: `sub` is a non-empty identifier of at most 255 characters (and no control characters here). */
export function isSubject(sub: unknown): sub is string {
  return typeof sub === 'string' && sub.trim() !== '' && sub.length <= 255 && !hasControlChars(sub);
}

export function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
