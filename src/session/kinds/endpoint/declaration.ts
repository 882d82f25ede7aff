// The declaration of an endpoint session (a service with its own token or cookie session, no
// OAuth): what the user pastes to start it, how it renews, how to read the answer, when it
// expires, what ends it and what callers get. Parsed and validated from the `sessionKeeper.providers`
// setting by settings.ts; run by source.ts.
import type { Pattern } from '../../base/pattern';

/** A value a session holds, by the name placeholders use: `token`, `value:<name>` or `cookie:<name>`. */
export type ValueRef =
  { readonly kind: 'token' } | { readonly kind: 'value'; readonly name: string } | { readonly kind: 'cookie'; readonly name: string };

/**
 * What the user pastes at sign-in, each into its own password box:
 * - `token`: the current token;
 * - `cookies`: a whole `Cookie` header (`a=1; b=2`), split into cookies;
 * - `cookie:<name>`: one cookie's value;
 * - `value:<name>`: any other named value (a device fingerprint, a CSRF token, ...).
 */
export type InputSpec =
  | { readonly kind: 'token' }
  | { readonly kind: 'cookies' }
  | { readonly kind: 'cookie'; readonly name: string }
  | { readonly kind: 'value'; readonly name: string };

/**
 * The renewal request. Every string may hold placeholders: `${token}`, `${value:<name>}`,
 * `${cookie:<name>}`, `${cookies}` (the whole Cookie header value). The URL's origin is literal
 * (no placeholder) and is where the session is bound: its values go nowhere else.
 */
export interface RenewRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** Absolute https URL (http only on loopback), without placeholders in scheme, host or port. */
  readonly url: string;
  /** Added to the URL's query, values URL-encoded after substitution. */
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** A text body after substitution; an object body is sent as JSON with its string values substituted. */
  readonly body?: string | Readonly<Record<string, unknown>>;
  /** Send the stored cookies as a Cookie header (default true unless `headers` sets Cookie). */
  readonly sendCookies: boolean;
}

/** How one value is read from a renewal answer: a JSON pointer (RFC 6901), or a regular expression with one capture group. */
export type Extractor = { readonly json: string } | { readonly regex: Pattern };

export interface ReadRule {
  /** `token` or `value:<name>`; cookies are updated from Set-Cookie, never read from the body. */
  readonly target: ValueRef;
  readonly from: Extractor;
}

/**
 * The expiry of the renewed session:
 * - `json`: a field of the JSON answer; `as` says how to read it (`seconds` from now,
 *   `epochSeconds`, `epochMillis`, or `date`, an ISO 8601 / HTTP date string);
 * - `jwt`: the `exp` claim of the new token (a JWT);
 * - `cookie`: the `Max-Age` / `Expires` of a cookie the answer sets (or last set);
 * - `fixed`: a fixed lifetime in seconds from each renewal.
 */
export type ExpiryRule =
  | { readonly from: 'json'; readonly pointer: string; readonly as: 'seconds' | 'epochSeconds' | 'epochMillis' | 'date' }
  | { readonly from: 'jwt' }
  | { readonly from: 'cookie'; readonly name: string }
  | { readonly from: 'fixed'; readonly seconds: number };

export interface EndsRule {
  /** 4xx statuses that mean the session is over (default [401]). */
  readonly status: readonly number[];
  /** A body that matches means the session is over, whatever the status. */
  readonly body?: Pattern;
}

export interface EndpointDeclaration {
  readonly inputs: readonly InputSpec[];
  readonly renew: RenewRequest;
  readonly read: readonly ReadRule[];
  readonly expiry: ExpiryRule;
  readonly ends: EndsRule;
  /** What getSession serves as `accessToken`: the token, or a ready Cookie header value. */
  readonly serve: 'token' | 'cookies';
}

/** A stored cookie: its value and, when the service said, when it expires (epoch ms). */
export interface CookieValue {
  readonly value: string;
  readonly expiresAt?: number;
}

/** What an endpoint session holds: every value is a secret. */
export interface EndpointValues {
  /** `token` and the named values, by name (`token` for the token, `<name>` for `value:<name>`). */
  readonly values: Readonly<Record<string, string>>;
  readonly cookies: Readonly<Record<string, CookieValue>>;
}

/** The clientId part of an endpoint session's binding (its issuer part is the renewal URL's origin). */
export const ENDPOINT_CLIENT_ID = 'endpoint';
