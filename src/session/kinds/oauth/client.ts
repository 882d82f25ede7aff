// The OAuth 2.0 / OpenID Connect client for one configured issuer. Every protocol step is
// oauth4webapi's; this file chooses the steps, adds time limits, and turns the library's errors
// into messages a user can act on (without response bodies, which may carry secrets).
import * as oauth from 'oauth4webapi';
import { allowsInsecureRequests } from '../../config';
import { ErrorCode, SessionKeeperError, findSessionKeeperError } from '../../base/errors';
import { guardedFetch, oauthErrorBody, type Fetch } from '../../net/http';
import * as l10n from '@vscode/l10n';
import { jwtExpiry } from '../../base/jwt';
import { hasControlChars } from '../../base/plainText';
import { foreignText, redactor } from '../../base/redact';
import { normalizeScopes } from '../../base/scopes';
import { isSecureOrLocal } from '../../base/urls';

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

/** What the redirect must be checked against (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1.2.1). */
export interface PendingAuthorization {
  readonly url: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly scopes: string[];
}

/** RFC 8628 §3.2: what the user needs to approve this device, and what the client polls with. */
export interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete?: string;
  /** Seconds the device code stays valid. */
  readonly expiresIn: number;
  /** Seconds between polls, as the issuer sent it (undefined: RFC 8628 §3.5 says 5). */
  readonly interval?: number;
}

/** RFC 8628 §3.5: the answers to a poll that are not tokens. */
export type DevicePoll =
  { readonly status: 'tokens'; readonly tokens: TokenSet } | { readonly status: 'authorization_pending' | 'slow_down' };

/** OIDC Core §5.3.2: the claims of a userinfo answer that name the account. */
export interface UserInfo {
  readonly sub: string;
  readonly preferred_username?: string;
  readonly email?: string;
  readonly name?: string;
}

export interface OAuthClientOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly fetch: Fetch;
  /** Time limit for each HTTP request. */
  readonly timeoutMs: number;
  readonly now?: () => number;
}

type Step = 'discovery' | 'authorization' | 'token' | 'refresh' | 'revocation' | 'device authorization' | 'userinfo';

export class OAuthClient {
  private metadataPromise?: Promise<oauth.AuthorizationServer>;
  private readonly client: oauth.Client;
  private readonly now: () => number;
  private readonly fetch: Fetch;

  constructor(private readonly options: OAuthClientOptions) {
    this.client = { client_id: options.clientId };
    this.now = options.now ?? Date.now;
    this.fetch = guardedFetch(options.fetch, this.now);
  }

  get issuer(): string {
    return this.options.issuer;
  }

  /** OIDC Discovery §4, with the issuer check of §4.3. Cached after the first success. */
  metadata(signal?: AbortSignal): Promise<oauth.AuthorizationServer> {
    this.metadataPromise ??= (async () => {
      const issuer = new URL(this.options.issuer);
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...this.requestOptions(signal) });
      const as = await oauth.processDiscoveryResponse(issuer, response);
      checkEndpoints(as);
      return as;
    })().catch((err) => {
      this.metadataPromise = undefined;
      throw this.translate(err, 'discovery');
    });
    return this.metadataPromise;
  }

  /**
   * Whether the issuer answers at all: a fresh discovery request that carries no token, used to
   * notice quickly that an issuer is back after an outage. Never throws.
   */
  async reachable(timeoutMs = 5_000): Promise<boolean> {
    try {
      const issuer = new URL(this.options.issuer);
      const options = { ...this.requestOptions(), signal: AbortSignal.timeout(Math.min(timeoutMs, this.options.timeoutMs)) };
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...options }));
      checkEndpoints(as);
      return true;
    } catch {
      return false;
    }
  }

  /** RFC 6749 §4.1.1 with PKCE S256 (RFC 7636 §4) and an OIDC nonce. */
  async authorizationRequest(params: {
    redirectUri: string;
    scopes: readonly string[];
    extraParameters?: Readonly<Record<string, string>>;
    /** OIDC Core §3.1.2.1 prompt values the flow wants (e.g. `login` for another account). */
    prompt?: readonly string[];
    signal?: AbortSignal;
  }): Promise<PendingAuthorization> {
    const as = await this.metadata(params.signal);
    if (!as.authorization_endpoint) {
      throw new SessionKeeperError(ErrorCode.DiscoveryFailed, l10n.t('{0} does not publish an authorization endpoint.', this.issuer));
    }
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const scopes = normalizeScopes(params.scopes);
    const url = new URL(as.authorization_endpoint);
    const extra = params.extraParameters ?? {};
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', scopes.join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    // A configured prompt is sent as it is. Otherwise OIDC Core §11: offline_access is granted
    // only with prompt=consent.
    if (extra.prompt === undefined) {
      const prompt = new Set(params.prompt ?? []);
      if (scopes.includes('offline_access')) prompt.add('consent');
      if (prompt.size) url.searchParams.set('prompt', [...prompt].join(' '));
    }
    return { url: url.href, redirectUri: params.redirectUri, state, nonce, codeVerifier, scopes };
  }

  /** RFC 6749 §4.1.2 (state, RFC 9207 iss) then §4.1.3 code exchange and OIDC Core §3.1.3.7 ID token checks. */
  async authorizationCodeGrant(pending: PendingAuthorization, callback: URL, signal?: AbortSignal): Promise<TokenSet> {
    const as = await this.metadata(signal);
    let params: URLSearchParams;
    // RFC 6749 §10.12: a response without this request's state is someone else's. oauth4webapi checks
    // it too; checking first gives that case its own error.
    if (callback.searchParams.get('state') !== pending.state) {
      throw new SessionKeeperError(
        ErrorCode.StateMismatch,
        l10n.t('The sign-in response does not belong to this sign-in request (state mismatch). Nothing was saved; sign in again.'),
      );
    }
    try {
      params = oauth.validateAuthResponse(as, this.client, callback.searchParams, pending.state);
    } catch (err) {
      throw this.translate(err, 'authorization');
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        this.client,
        oauth.None(),
        params,
        pending.redirectUri,
        pending.codeVerifier,
        this.requestOptions(signal),
      );
      const result = await oauth.processAuthorizationCodeResponse(as, this.client, response, {
        expectedNonce: pending.nonce,
        requireIdToken: true,
      });
      this.remember(result);
      await oauth.validateApplicationLevelSignature(as, response, this.requestOptions(signal));
      return this.tokenSet(result);
    } catch (err) {
      throw this.translate(err, 'token');
    }
  }

  /** RFC 6749 §6. An ID token in the answer is checked like the first one (OIDC Core §12.2). */
  async refreshTokenGrant(refreshToken: string, signal?: AbortSignal): Promise<TokenSet> {
    const as = await this.metadata(signal);
    try {
      const response = await oauth.refreshTokenGrantRequest(as, this.client, oauth.None(), refreshToken, this.requestOptions(signal));
      const result = await oauth.processRefreshTokenResponse(as, this.client, response);
      this.remember(result);
      if (result.id_token) await oauth.validateApplicationLevelSignature(as, response, this.requestOptions(signal));
      return this.tokenSet(result);
    } catch (err) {
      throw this.translate(err, 'refresh');
    }
  }

  /** RFC 8628 §3.1–3.2 device authorization request and response. */
  async deviceAuthorizationRequest(scopes: readonly string[], signal?: AbortSignal): Promise<DeviceAuthorization> {
    const as = await this.metadata(signal);
    if (!as.device_authorization_endpoint) {
      throw new SessionKeeperError(ErrorCode.DiscoveryFailed, l10n.t('{0} does not publish a device authorization endpoint.', this.issuer));
    }
    try {
      const response = await oauth.deviceAuthorizationRequest(
        as,
        this.client,
        oauth.None(),
        { scope: normalizeScopes(scopes).join(' ') },
        this.requestOptions(signal),
      );
      const result = await oauth.processDeviceAuthorizationResponse(as, this.client, response);
      redactor.add(result.device_code);
      return {
        deviceCode: result.device_code,
        userCode: result.user_code,
        verificationUri: result.verification_uri,
        verificationUriComplete: result.verification_uri_complete,
        expiresIn: result.expires_in,
        interval: result.interval,
      };
    } catch (err) {
      throw this.translate(err, 'device authorization');
    }
  }

  /**
   * RFC 8628 §3.4–3.5: one poll of the token endpoint. `authorization_pending` and `slow_down` are
   * answers, not errors; `access_denied` becomes a cancellation, `expired_token` its own message.
   */
  async deviceCodeGrant(deviceCode: string, signal?: AbortSignal): Promise<DevicePoll> {
    const as = await this.metadata(signal);
    try {
      const response = await oauth.deviceCodeGrantRequest(as, this.client, oauth.None(), deviceCode, this.requestOptions(signal));
      const result = await oauth.processDeviceCodeResponse(as, this.client, response);
      this.remember(result);
      if (result.id_token) await oauth.validateApplicationLevelSignature(as, response, this.requestOptions(signal));
      return { status: 'tokens', tokens: this.tokenSet(result) };
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) {
        if (err.error === 'authorization_pending' || err.error === 'slow_down') return { status: err.error };
        if (err.error === 'access_denied') {
          throw new SessionKeeperError(ErrorCode.Cancelled, l10n.t('Sign-in was declined at the identity provider.'));
        }
        if (err.error === 'expired_token') {
          throw new SessionKeeperError(
            ErrorCode.SignInTimedOut,
            l10n.t('The sign-in code expired before it was entered. Sign in again for a new code.'),
          );
        }
      }
      throw this.translate(err, 'token');
    }
  }

  /**
   * OIDC Core §5.3: asks the userinfo endpoint who an access token belongs to; undefined when the
   * issuer lists none. A token the endpoint refuses is an error: it cannot be used.
   */
  async userInfo(accessToken: string, signal?: AbortSignal): Promise<UserInfo | undefined> {
    const as = await this.metadata(signal);
    if (!as.userinfo_endpoint) return undefined;
    let claims: oauth.UserInfoResponse;
    try {
      const response = await oauth.userInfoRequest(as, this.client, accessToken, this.requestOptions(signal));
      claims = await oauth.processUserInfoResponse(as, this.client, oauth.skipSubjectCheck, response);
    } catch (err) {
      if (err instanceof oauth.WWWAuthenticateChallengeError || (err instanceof oauth.ResponseBodyError && err.status === 401)) {
        throw new SessionKeeperError(
          ErrorCode.GrantRevoked,
          l10n.t('{0} does not accept this token (its userinfo endpoint refused it). Nothing was saved.', this.issuer),
        );
      }
      throw this.translate(err, 'userinfo');
    }
    if (!isSubject(claims.sub)) {
      throw new SessionKeeperError(
        ErrorCode.InvalidResponse,
        l10n.t('The userinfo answer of {0} names no valid subject ("sub"). Nothing was saved.', this.issuer),
      );
    }
    return {
      sub: claims.sub,
      preferred_username: stringClaim(claims.preferred_username),
      email: stringClaim(claims.email),
      name: stringClaim(claims.name),
    };
  }

  /** RFC 7009. Resolves false when the issuer has no revocation endpoint. */
  async revoke(token: string, hint: 'refresh_token' | 'access_token', signal?: AbortSignal): Promise<boolean> {
    const as = await this.metadata(signal);
    if (!as.revocation_endpoint) return false;
    try {
      const response = await oauth.revocationRequest(as, this.client, oauth.None(), token, {
        ...this.requestOptions(signal),
        additionalParameters: { token_type_hint: hint },
      });
      await oauth.processRevocationResponse(response);
      return true;
    } catch (err) {
      throw this.translate(err, 'revocation');
    }
  }

  private requestOptions(signal?: AbortSignal) {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    return {
      [oauth.customFetch]: this.fetch,
      [oauth.allowInsecureRequests]: allowsInsecureRequests(this.options.issuer),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    };
  }

  private remember(result: oauth.TokenEndpointResponse): void {
    redactor.add(result.access_token);
    redactor.add(result.refresh_token);
    redactor.add(result.id_token);
  }

  private tokenSet(result: oauth.TokenEndpointResponse): TokenSet {
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (claims && !isSubject(claims.sub)) {
      throw new MissingSubject();
    }
    const expiresAt = expiryOf(result.expires_in, result.access_token, this.now());
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

  private translate(err: unknown, step: Step): SessionKeeperError {
    const own = findSessionKeeperError(err);
    if (own) return own;
    const issuer = this.issuer;
    if (err instanceof oauth.ResponseBodyError) return this.oauthError(err.error, err.error_description);
    if (err instanceof oauth.AuthorizationResponseError) {
      // RFC 6749 §4.1.2.1: access_denied is what issuers answer when the user cancels there.
      if (err.error === 'access_denied') {
        return new SessionKeeperError(ErrorCode.Cancelled, l10n.t('Sign-in was cancelled at the identity provider.'));
      }
      const description = describeIssuerText(err.error_description);
      return new SessionKeeperError(
        ErrorCode.AuthorizationDenied,
        l10n.t({
          message: '{0} did not authorize the sign-in ({1}{2}).',
          args: [issuer, foreignText(err.error, 64), description],
          comment: [
            '{0} is the issuer URL, {1} the OAuth error code (not translated), {2} empty or ": " and the issuer\'s own description',
          ],
        }),
      );
    }
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      // RFC 6749 §5.2 allows a 401 with a challenge for invalid_client; the body says which error it is.
      const body = oauthErrorBody(err.response);
      const challenged = err.cause.map((c) => c.parameters.error).find((e): e is string => typeof e === 'string');
      const error = body?.error ?? challenged;
      if (error) return this.oauthError(error, body?.error_description);
      return new SessionKeeperError(
        ErrorCode.AuthenticationChallenge,
        l10n.t('A server in front of {0} asked for other credentials (HTTP 401); a proxy or gateway may be in the way.', issuer),
      );
    }
    const code = (err as { code?: string })?.code;
    if (step === 'discovery' && err instanceof UnsafeEndpoint) {
      return new SessionKeeperError(
        ErrorCode.DiscoveryFailed,
        l10n.t(
          'The discovery document of {0} lists an unusable {1}: only https addresses, or http on this computer, are accepted. Check the issuer URL.',
          issuer,
          err.field,
        ),
      );
    }
    if (step === 'discovery') {
      if (code === oauth.JSON_ATTRIBUTE_COMPARISON) {
        return new SessionKeeperError(
          ErrorCode.DiscoveryFailed,
          l10n.t(
            'The discovery document at {0} names a different issuer. Set "issuer" to exactly the issuer your identity provider reports.',
            issuer,
          ),
        );
      }
      return new SessionKeeperError(
        ErrorCode.DiscoveryFailed,
        l10n.t(
          '{0}/.well-known/openid-configuration is not a valid OpenID Connect discovery document. Check the issuer URL.',
          issuer.replace(/\/$/, ''),
        ),
      );
    }
    if (step === 'authorization') {
      return new SessionKeeperError(
        ErrorCode.InvalidResponse,
        l10n.t('The sign-in response from {0} is not valid. Nothing was saved; sign in again.', issuer),
      );
    }
    const check = idTokenCheck(err);
    if (check) {
      return new SessionKeeperError(
        ErrorCode.InvalidIdToken,
        l10n.t({
          message:
            'The ID token from {0} failed its {1} check. Nothing was saved; sign in again, and tell your identity provider administrator if it keeps happening.',
          args: [issuer, check],
          comment: [
            '{0} is the issuer URL; {1} names the check: a claim such as nonce, aud or iss, or the words for signature, expiry or claims',
          ],
        }),
      );
    }
    return new SessionKeeperError(
      ErrorCode.InvalidResponse,
      l10n.t({
        message:
          '{0} sent a response that is not valid OAuth JSON (during {1}). Check that the issuer URL points at an OpenID Connect provider.',
        args: [issuer, step],
        comment: [
          '{0} is the issuer URL; {1} is the protocol step, one of: discovery, authorization, token, refresh, revocation, device authorization, userinfo (not translated)',
        ],
      }),
    );
  }

  /** RFC 6749 §5.2 error responses: only a refused grant or client ends a session. */
  private oauthError(error: string, errorDescription: unknown): SessionKeeperError {
    const code = foreignText(error, 64) || 'error';
    const description = describeIssuerText(errorDescription);
    if (TERMINAL_OAUTH_ERRORS.has(error)) {
      return new SessionKeeperError(
        ErrorCode.GrantRevoked,
        l10n.t({
          message: '{0} no longer accepts this sign-in ({1}{2}). Sign in again.',
          args: [this.issuer, code, description],
          comment: [
            '{0} is the issuer URL, {1} the OAuth error code (not translated), {2} empty or ": " and the issuer\'s own description',
          ],
        }),
      );
    }
    return new SessionKeeperError(
      ErrorCode.OAuthError,
      l10n.t({
        message: '{0} refused the request ({1}{2}).',
        args: [this.issuer, code, description],
        comment: ['{0} is the issuer URL, {1} the OAuth error code (not translated), {2} empty or ": " and the issuer\'s own description'],
      }),
    );
  }
}

/**
 * Which ID token check (OIDC Core §3.1.3.7) an oauth4webapi error reports, read from its code and
 * cause; undefined when the error is about something else.
 */
function idTokenCheck(err: unknown): string | undefined {
  if (err instanceof MissingSubject) return 'sub';
  const code = (err as { code?: unknown })?.code;
  const cause = (err as { cause?: unknown })?.cause;
  const field = (name: string): unknown =>
    typeof cause === 'object' && cause !== null ? (cause as Record<string, unknown>)[name] : undefined;
  if (code === oauth.JWT_CLAIM_COMPARISON) return typeof field('claim') === 'string' ? (field('claim') as string) : l10n.t('claims');
  if (code === oauth.JWT_TIMESTAMP_CHECK) return l10n.t('expiry');
  if (code === oauth.KEY_SELECTION) return l10n.t('signature');
  // An unsupported JWS algorithm (alg "none", say) or a signature that does not verify.
  if (code === oauth.UNSUPPORTED_OPERATION && field('alg') !== undefined) return l10n.t('signature');
  if (code === oauth.INVALID_RESPONSE && field('signature') !== undefined) return l10n.t('signature');
  if (code === oauth.INVALID_RESPONSE && field('claims') !== undefined) return l10n.t('claims');
  return undefined;
}

/** RFC 6749 §5.2: the grant or the client is gone; retrying cannot help. */
const TERMINAL_OAUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/** Issuer-written text goes into messages cleaned, shortened and redacted: it is not ours to trust. */
function describeIssuerText(text: unknown): string {
  const clean = foreignText(text, 200);
  return clean ? `: ${clean}` : '';
}

/** Endpoints a discovery document may list; each is fetched or opened in a browser. */
const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'device_authorization_endpoint',
  'introspection_endpoint',
  'end_session_endpoint',
  'pushed_authorization_request_endpoint',
] as const;

class UnsafeEndpoint extends Error {
  constructor(readonly field: string) {
    super(`unsafe ${field}`);
  }
}

class MissingSubject extends Error {}

/**
 * RFC 8414 §2: endpoints are https URLs. Plain http is accepted only on this computer; anything
 * else (`javascript:`, `command:`, `file:`, a non-URL) would otherwise reach a browser or a fetch.
 */
function checkEndpoints(as: oauth.AuthorizationServer): void {
  for (const field of ENDPOINTS) {
    const value = (as as Record<string, unknown>)[field];
    if (value === undefined) continue;
    let url: URL;
    try {
      if (typeof value !== 'string') throw new Error('not a string');
      url = new URL(value);
    } catch {
      throw new UnsafeEndpoint(field);
    }
    // Whether this host's loopback is the user's computer is decided for every request (http.ts).
    if (!isSecureOrLocal(url, true) || url.username || url.password) throw new UnsafeEndpoint(field);
  }
  if (as.token_endpoint === undefined) throw new UnsafeEndpoint('token_endpoint');
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
function isSubject(sub: unknown): sub is string {
  return typeof sub === 'string' && sub.trim() !== '' && sub.length <= 255 && !hasControlChars(sub);
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
