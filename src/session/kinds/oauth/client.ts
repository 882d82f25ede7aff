// The OAuth 2.0 / OpenID Connect client for one configured issuer. Every protocol step is
// oauth4webapi's; this file chooses the steps and adds time limits. errors.ts turns the library's
// errors into messages a user can act on (without response bodies, which may carry secrets).
import * as oauth from 'oauth4webapi';
import * as l10n from '@vscode/l10n';
import { allowsInsecureRequests } from '../../config';
import { ErrorCode, SessionKeeperError, cancelled } from '../../base/errors';
import { redactor } from '../../base/redact';
import { normalizeScopes } from '../../base/scopes';
import { guardedFetch, type Fetch } from '../../net/http';
import { checkEndpoints } from './discovery';
import { translate } from './errors';
import { isSubject, remember, stringClaim, tokenSet, type TokenSet } from './tokens';

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
      throw translate(err, 'discovery', this.issuer);
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
      throw translate(err, 'authorization', this.issuer);
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
      remember(result);
      await oauth.validateApplicationLevelSignature(as, response, this.requestOptions(signal));
      return tokenSet(result, this.now());
    } catch (err) {
      throw translate(err, 'token', this.issuer);
    }
  }

  /** RFC 6749 §6. An ID token in the answer is checked like the first one (OIDC Core §12.2). */
  async refreshTokenGrant(refreshToken: string, signal?: AbortSignal): Promise<TokenSet> {
    const as = await this.metadata(signal);
    try {
      const response = await oauth.refreshTokenGrantRequest(as, this.client, oauth.None(), refreshToken, this.requestOptions(signal));
      const result = await oauth.processRefreshTokenResponse(as, this.client, response);
      remember(result);
      if (result.id_token) await oauth.validateApplicationLevelSignature(as, response, this.requestOptions(signal));
      return tokenSet(result, this.now());
    } catch (err) {
      throw translate(err, 'refresh', this.issuer);
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
      throw translate(err, 'device authorization', this.issuer);
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
      remember(result);
      if (result.id_token) await oauth.validateApplicationLevelSignature(as, response, this.requestOptions(signal));
      return { status: 'tokens', tokens: tokenSet(result, this.now()) };
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) {
        if (err.error === 'authorization_pending' || err.error === 'slow_down') return { status: err.error };
        if (err.error === 'access_denied') {
          throw cancelled(l10n.t('Sign-in was declined at the identity provider.'));
        }
        if (err.error === 'expired_token') {
          throw new SessionKeeperError(
            ErrorCode.SignInTimedOut,
            l10n.t('The sign-in code expired before it was entered. Sign in again for a new code.'),
          );
        }
      }
      throw translate(err, 'token', this.issuer);
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
      throw translate(err, 'userinfo', this.issuer);
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
      throw translate(err, 'revocation', this.issuer);
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
}
