// Types for idp.mjs: a real OpenID Provider (oidc-provider) for tests and the demo.

export interface IdpUser {
  name: string;
  email: string;
  /** Defaults to true. */
  email_verified?: boolean;
  /** Defaults to the login name. */
  preferred_username?: string;
}

/** Client metadata as oidc-provider accepts it (snake_case, RFC 7591). */
export type IdpClient = Record<string, unknown> & { client_id: string };

export interface IdpOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Seconds; default 300. */
  accessTokenTtl?: number;
  /** Seconds; default 86400. */
  refreshTokenTtl?: number;
  /** Seconds; default 3600. */
  idTokenTtl?: number;
  /** 'opaque' (default) or 'jwt' (RS256 JWT with audience API_RESOURCE, via resource indicators). */
  accessTokenFormat?: 'opaque' | 'jwt';
  /** Default: [DEFAULT_CLIENT], the public native client 'session-keeper'. */
  clients?: IdpClient[];
  /** Keyed by login name, which is also `sub`. Default: DEFAULT_USERS (alice, bob). */
  users?: Record<string, IdpUser>;
  /** Complete login and consent as this user without any page (headless runs). */
  autoLogin?: string;
  /** Serve https with this key and certificate (PEM); the issuer becomes https://127.0.0.1:<port>. `login()` trusts `ca`. */
  tls?: { key: string; cert: string; ca?: string };
  /** RFC 8628 device authorization grant (features.deviceFlow), for every client; default false. */
  deviceFlow?: boolean;
  /** Seconds a device code is valid; default 600. */
  deviceCodeTtl?: number;
  /** false leaves the userinfo endpoint out (OIDC Core §5.3); default true. */
  userinfo?: boolean;
}

export interface IdpStats {
  /** Authorization codes issued. */
  authorizationCodesIssued: number;
  /** Successful token endpoint responses (code exchanges and refreshes). */
  tokensIssued: number;
  /** Successful refresh_token grants. */
  refreshes: number;
  /** Refresh tokens presented again after rotation ("refresh token already used"). */
  refreshTokenReuse: number;
  /** Grants revoked: by reuse detection, token revocation or revokeGrantsOf(). */
  grantsRevoked: number;
  /** Tokens destroyed through the revocation endpoint (RFC 7009). */
  revocations: number;
  /** Token endpoint answers with error=invalid_grant. */
  invalidGrant: number;
}

export type FaultKind =
  | 'html'
  | 'html200'
  | 'status'
  | 'hang'
  | 'drop'
  | 'tamper-id-token-signature'
  | 'discovery-issuer'
  /** The error_description of the JSON error answers oidc-provider gives (`description`); other answers pass as they are. */
  | 'error-description';

export interface FaultOptions {
  /** 'status': the status code; default 503. */
  status?: number;
  /** 'status': extra response headers, e.g. { 'retry-after': '7' }. */
  headers?: Record<string, string>;
  /** 'status': JSON body; empty when absent. */
  body?: unknown;
  /** 'discovery-issuer': the issuer value to advertise. */
  issuer?: string;
  /** 'error-description': the text to answer as error_description. */
  description?: string;
  /** Affect only this many matching requests; default: until clearFaults(). */
  times?: number;
}

export interface LoginOptions {
  /** Login name typed into the form; default 'alice'. Unknown names reject. */
  login?: string;
  /** false cancels on the consent page, giving error=access_denied; default true. */
  consent?: boolean;
}

export interface DeviceLoginOptions extends LoginOptions {
  /** true presses Abort on the confirmation page, so the device gets access_denied; default false. */
  deny?: boolean;
}

export interface Idp {
  /** http://127.0.0.1:<port> */
  readonly issuer: string;
  readonly port: number;
  stats(): IdpStats;
  resetStats(): void;
  /**
   * Drives the login and consent pages over HTTP and resolves with the final redirect to the
   * client's redirect_uri (with code and state, or error), without requesting it.
   */
  login(authorizationUrl: string | URL, options?: LoginOptions): Promise<string>;
  /**
   * Drives the device pages over HTTP as a user on another device: enters the user code at the
   * verification URI, confirms (or aborts), logs in and consents. Resolves with the heading of the
   * page the issuer ends on ("Sign-in Success" when the device was approved).
   */
  deviceLogin(verificationUri: string | URL, userCode: string, options?: DeviceLoginOptions): Promise<string>;
  /**
   * An opaque access token for `sub` with a grant of `scope` (default 'openid profile email'),
   * as an issuer's token page or API-key console would hand out; the userinfo endpoint accepts it.
   * Also POST /__test/mint-token?sub=alice.
   */
  mintAccessToken(sub: string, scope?: string): Promise<string>;
  /**
   * Requests whose path starts with pathPrefix get the fault, before oidc-provider sees them;
   * the longest prefix wins. A plain prefix: '/token' also covers '/token/revocation'.
   */
  setFault(pathPrefix: string, kind: FaultKind, opts?: FaultOptions): void;
  clearFaults(): void;
  /** Closes the listener and all connections; grants, sessions and keys stay in memory. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same provider. */
  start(): Promise<void>;
  /** Revokes every grant of the account; returns how many. */
  revokeGrantsOf(sub: string): Promise<number>;
  /** Adds (or replaces) a user while running; also POST /__test/add-user?login=<login> with the user as JSON. */
  addUser(login: string, user: IdpUser): void;
  /** Removes a user; answers whether there was one. Also POST /__test/remove-user?login=<login>. */
  removeUser(login: string): boolean;
  /** Stops for good. */
  close(): Promise<void>;
}

export declare const DEFAULT_USERS: Record<string, IdpUser>;
export declare const DEFAULT_CLIENT: Readonly<IdpClient>;
/** Audience of JWT access tokens. */
export declare const API_RESOURCE: string;
export declare function startIdp(options?: IdpOptions): Promise<Idp>;
