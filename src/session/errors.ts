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
  /** The discovery document is missing, malformed or names another issuer. */
  DiscoveryFailed: 'DiscoveryFailed',
  /** A response was not the JSON the protocol requires (an HTML error page, say). */
  InvalidResponse: 'InvalidResponse',
  /** RFC 6749 §4.1.2: the redirect carried a state other than the one sent. */
  StateMismatch: 'StateMismatch',
  /** RFC 6749 §4.1.2.1: the issuer refused the authorization request. */
  AuthorizationDenied: 'AuthorizationDenied',
  /** OIDC Core §3.1.3.7: the ID token failed a check (signature, iss, aud, nonce, exp). */
  InvalidIdToken: 'InvalidIdToken',
  /** RFC 6749 §5.2 invalid_grant / invalid_client: the grant is gone; sign in again. */
  GrantRevoked: 'GrantRevoked',
  /** Any other OAuth error response from the token endpoint. */
  OAuthError: 'OAuthError',
  /** The user cancelled, or sign-in waited longer than allowed. */
  Cancelled: 'Cancelled',
  SignInTimedOut: 'SignInTimedOut',
  /** Another window is ahead and this host keeps a separate SecretStorage copy per window. */
  StaleWindow: 'StaleWindow',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Transient errors keep the session and are retried; terminal ones end it. */
const transient: ReadonlySet<ErrorCode> = new Set([ErrorCode.Unreachable, ErrorCode.Timeout, ErrorCode.ServerError]);

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

  get transient(): boolean {
    return transient.has(this.code);
  }
}

export function isCancellation(err: unknown): boolean {
  return err instanceof SessionKeeperError && err.code === ErrorCode.Cancelled;
}
