// The OAuth client's errors: oauth4webapi's, the transport's and the issuer's answers, as messages a user can act on.
import * as oauth from 'oauth4webapi';
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError, findSessionKeeperError, cancelled } from '../../base/errors';
import { foreignText } from '../../base/redact';
import { oauthErrorBody } from '../../net/http';
import { UnsafeEndpoint } from './discovery';

/** The protocol step a failure happened in, named in messages (not translated). */
export type Step = 'discovery' | 'authorization' | 'token' | 'refresh' | 'revocation' | 'device authorization' | 'userinfo';

/** An ID token without a valid `sub` (OIDC Core §2), reported as a failed `sub` check. */
export class MissingSubject extends Error {}

/** An error of oauth4webapi, the transport or ours, as a message a user can act on (no response body in it). */
export function translate(err: unknown, step: Step, issuer: string): SessionKeeperError {
  const own = findSessionKeeperError(err);
  if (own) return own;
  if (err instanceof oauth.ResponseBodyError) return oauthError(err.error, err.error_description, issuer);
  if (err instanceof oauth.AuthorizationResponseError) {
    // RFC 6749 §4.1.2.1: access_denied is what issuers answer when the user cancels there.
    if (err.error === 'access_denied') {
      return cancelled(l10n.t('Sign-in was cancelled at the identity provider.'));
    }
    const description = describeIssuerText(err.error_description);
    return new SessionKeeperError(
      ErrorCode.AuthorizationDenied,
      l10n.t({
        message: '{0} did not authorize the sign-in ({1}{2}).',
        args: [issuer, foreignText(err.error, 64), description],
        comment: ['{0} is the issuer URL, {1} the OAuth error code (not translated), {2} empty or ": " and the issuer\'s own description'],
      }),
    );
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2 allows a 401 with a challenge for invalid_client; the body says which error it is.
    const body = oauthErrorBody(err.response);
    const challenged = err.cause.map((c) => c.parameters.error).find((e): e is string => typeof e === 'string');
    const error = body?.error ?? challenged;
    if (error) return oauthError(error, body?.error_description, issuer);
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
export function oauthError(error: string, errorDescription: unknown, issuer: string): SessionKeeperError {
  const code = foreignText(error, 64) || 'error';
  const description = describeIssuerText(errorDescription);
  if (TERMINAL_OAUTH_ERRORS.has(error)) {
    return new SessionKeeperError(
      ErrorCode.GrantRevoked,
      l10n.t({
        message: '{0} no longer accepts this sign-in ({1}{2}). Sign in again.',
        args: [issuer, code, description],
        comment: ['{0} is the issuer URL, {1} the OAuth error code (not translated), {2} empty or ": " and the issuer\'s own description'],
      }),
    );
  }
  return new SessionKeeperError(
    ErrorCode.OAuthError,
    l10n.t({
      message: '{0} refused the request ({1}{2}).',
      args: [issuer, code, description],
      comment: ['{0} is the issuer URL, {1} the OAuth error code (not translated), {2} empty or ": " and the issuer\'s own description'],
    }),
  );
}

/**
 * Which ID token check (OIDC Core §3.1.3.7) an oauth4webapi error reports, read from its code and
 * cause; undefined when the error is about something else.
 */
export function idTokenCheck(err: unknown): string | undefined {
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
export const TERMINAL_OAUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

/** Issuer-written text goes into messages cleaned, shortened and redacted: it is not ours to trust. */
export function describeIssuerText(text: unknown): string {
  const clean = foreignText(text, 200);
  return clean ? `: ${clean}` : '';
}
