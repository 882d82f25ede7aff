import * as l10n from '@vscode/l10n';
import { foreignText } from './redact';

// Named error codes. Messages are written for the person who has to act on them and never
// carry response bodies, token text or library error causes (those can hold secrets).

export const ErrorCode = {
  /** The providers setting has an entry that cannot be used. */
  InvalidConfiguration: 'InvalidConfiguration',
  /** The issuer could not be reached (DNS, refused, reset). */
  Unreachable: 'Unreachable',
  /** A request to the issuer took longer than its time limit. */
  Timeout: 'Timeout',
  /** The issuer answered with HTTP 5xx or 429. */
  ServerError: 'ServerError',
  /** The discovery document is missing, malformed, names another issuer or lists an unsafe endpoint. */
  DiscoveryFailed: 'DiscoveryFailed',
  /** A response was not the JSON the protocol requires (an HTML error page, say). */
  InvalidResponse: 'InvalidResponse',
  /** A response body was larger than any issuer needs to send. */
  ResponseTooLarge: 'ResponseTooLarge',
  /** HTTP 401 with a challenge that is not an OAuth error (a proxy or gateway asking for credentials). */
  AuthenticationChallenge: 'AuthenticationChallenge',
  /** RFC 6749 §4.1.2: the redirect carried a state other than the one sent. */
  StateMismatch: 'StateMismatch',
  /** RFC 6749 §4.1.2.1: the issuer refused the authorization request. */
  AuthorizationDenied: 'AuthorizationDenied',
  /** OIDC Core §3.1.3.7: the ID token failed a check (signature, iss, aud, nonce, exp, sub). */
  InvalidIdToken: 'InvalidIdToken',
  /** OIDC Core §12.2: a refresh answered with an ID token for another subject. */
  AccountMismatch: 'AccountMismatch',
  /** RFC 6749 §5.2 invalid_grant / invalid_client / unauthorized_client: the grant is gone; sign in again. */
  GrantRevoked: 'GrantRevoked',
  /** Any other OAuth error response from the token endpoint (temporarily_unavailable, server_error, …). */
  OAuthError: 'OAuthError',
  /** The token expired and could not be renewed right now; the account is still signed in. */
  Offline: 'Offline',
  /** The token expired and auto-refresh is off for the account: only Refresh Now renews it. */
  AutoRefreshOff: 'AutoRefreshOff',
  /** The user cancelled, or sign-in waited longer than allowed. */
  Cancelled: 'Cancelled',
  SignInTimedOut: 'SignInTimedOut',
  /** Another window is ahead and this host keeps a separate SecretStorage copy per window. */
  StaleWindow: 'StaleWindow',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Failures that end a session for good. Everything else that goes wrong while renewing keeps the
 * session and is retried with backoff: an outage, a gateway, a broken discovery document or an
 * unexpected answer must never sign anyone out.
 */
const terminal: ReadonlySet<ErrorCode> = new Set([ErrorCode.GrantRevoked, ErrorCode.AccountMismatch]);

export class SessionKeeperError extends Error {
  override readonly name = 'SessionKeeperError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds the issuer asked us to wait (HTTP Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Whether a refresh that failed this way keeps the session (and is retried). */
  get transient(): boolean {
    return !terminal.has(this.code);
  }

  /** Whether the issuer could not be reached at all, as opposed to answering badly. */
  get network(): boolean {
    return this.code === ErrorCode.Unreachable || this.code === ErrorCode.Timeout;
  }
}

/** A sign-in or request the user (or the caller) stopped; never reported as a failure. */
export function cancelled(message = l10n.t('Sign-in was cancelled.')): SessionKeeperError {
  return new SessionKeeperError(ErrorCode.Cancelled, message);
}

export function isCancellation(err: unknown): boolean {
  return err instanceof SessionKeeperError && err.code === ErrorCode.Cancelled;
}

/** The first SessionKeeperError in an error's cause chain (libraries wrap ours, e.g. a size limit hit while parsing). */
export function findSessionKeeperError(err: unknown): SessionKeeperError | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof SessionKeeperError) return e;
  }
  return undefined;
}

/** What to tell a user about an error: Session Keeper's own message, or the error's name and message. */
export function userMessage(err: unknown): string {
  return err instanceof SessionKeeperError ? err.message : describeError(err);
}

/** Describes an error for the log without its cause chain or any response body. */
export function describeError(err: unknown): string {
  if (err instanceof SessionKeeperError) return `${err.name}: ${err.message}`;
  // Messages of other errors may quote what a server sent: treat them as foreign text.
  return foreignText(err instanceof Error ? `${err.name}: ${err.message}` : String(err), 300);
}
