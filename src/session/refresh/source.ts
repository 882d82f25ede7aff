// The seam between the refresher and the protocols: a source renews a session (and may revoke
// its tokens). The refresher, the cross-window lock, the tracking, the views and the status bar
// never learn which kind of session they serve: OAuth (kinds/oauth/source.ts) or an endpoint
// session (kinds/endpoint/source.ts).
import { SessionKeeperError } from '../base/errors';
import type { EndpointValues } from '../kinds/endpoint/declaration';
import type { StoredAccount, StoredSession } from '../storage/store';

/** New credentials from a sign-in or a renewal, in one shape for every kind of session. */
export interface Credentials {
  /** What callers get as `accessToken`. */
  readonly accessToken: string;
  readonly tokenType: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch ms; undefined when unknown. */
  readonly expiresAt?: number;
  /** Granted scopes, when the source says. */
  readonly scopes?: string[];
  /** Endpoint sessions: every value and cookie as they stand after this renewal. */
  readonly endpoint?: EndpointValues;
}

export interface SessionSource {
  /** Where this source sends credentials (an issuer, or a service's origin), for the log. */
  readonly origin: string;
  /**
   * Renews a session with its own credentials, sent to this source's origin only. Throws a
   * SessionKeeperError: a transient one keeps the session and is retried, a terminal one ends it.
   */
  renew(session: StoredSession, account: StoredAccount): Promise<Credentials>;
  /** Whether the origin answers at all, asked without any credential. Never throws. */
  reachable(): Promise<boolean>;
  /** RFC 7009 revocation; false when the origin has nowhere to revoke. Absent: sign-out is local. */
  revoke?(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean>;
}

/**
 * A renewal that failed after the origin had already replaced part of the session (it rotated a
 * cookie, then the rest of its answer was unusable). The failure counts as usual, but what was
 * replaced is kept: the old values are dead at the origin, and dropping the new ones loses the session.
 */
export class PartialRenewal extends SessionKeeperError {
  constructor(
    failure: SessionKeeperError,
    readonly endpoint: EndpointValues,
    /** What callers get from now on, when it is made of the replaced values (served cookies). */
    readonly accessToken?: string,
  ) {
    super(failure.code, failure.message, failure.retryAfterSeconds);
  }
}
