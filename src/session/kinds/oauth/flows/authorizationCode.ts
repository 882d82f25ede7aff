// flows/: the ways to sign in; each returns validated tokens and the account, nothing else.
// The authorization code flow with PKCE and a loopback redirect (RFC 6749 §4.1, RFC 7636, RFC 8252).
import { ErrorCode, SessionKeeperError, isCancellation, cancelled } from '../../../base/errors';
import { isSecureOrLocal } from '../../../base/urls';
import * as l10n from '@vscode/l10n';
import type { Logger } from '../../../base/log';
import { CALLBACK_PATH, startLoopbackRedirect } from './loopback';
import type { OAuthClient } from '../client';
import type { TokenSet } from '../tokens';
import type { AppRedirectHost, BrowserHost } from '../../../host';
export type { AppRedirectHost, BrowserHost } from '../../../host';

export const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

export interface AuthorizationCodeRequest {
  readonly scopes: readonly string[];
  readonly extraParameters: Readonly<Record<string, string>>;
  readonly prompt?: readonly string[];
  readonly signal: AbortSignal;
  readonly timeoutMs?: number;
  /** How the browser tab names the identity provider; the issuer URL when absent. */
  readonly providerLabel?: string;
}

export async function authorizationCodeFlow(
  client: OAuthClient,
  host: BrowserHost,
  logger: Logger,
  request: AuthorizationCodeRequest,
): Promise<TokenSet & { claims: NonNullable<TokenSet['claims']> }> {
  const timeoutMs = request.timeoutMs ?? SIGN_IN_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([request.signal, deadline]);
  // Fail fast on a broken issuer before a browser tab opens.
  await client.metadata(signal);
  const loopback = await startLoopbackRedirect(AbortSignal.any([request.signal, abortWith(deadline, signInTimedOut(timeoutMs))]));
  try {
    const redirectUri = await chooseRedirectUri(loopback.redirectUri, host, logger);
    const pending = await client.authorizationRequest({
      redirectUri,
      scopes: request.scopes,
      extraParameters: request.extraParameters,
      prompt: request.prompt,
      signal,
    });
    loopback.expectState(pending.state);
    assertBrowsable(pending.url, client.issuer);
    logger.info(`Opening the browser to sign in to ${request.providerLabel ?? client.issuer} (scopes: ${pending.scopes.join(' ')})`);
    if (!(await host.openBrowser(pending.url))) {
      throw cancelled(l10n.t('The browser could not be opened for sign-in.'));
    }
    const callback = await loopback.callback;
    logger.debug('Received the authorization response on the loopback redirect');
    const tokens = await client.authorizationCodeGrant(pending, callback, signal);
    if (!tokens.claims) {
      throw new SessionKeeperError(
        ErrorCode.InvalidIdToken,
        l10n.t('{0} did not return an ID token. Add the "openid" scope.', client.issuer),
      );
    }
    loopback.finish({ ok: true, message: l10n.t('You are signed in to {0}.', request.providerLabel ?? client.issuer) });
    return { ...tokens, claims: tokens.claims };
  } catch (err) {
    loopback.finish({
      ok: false,
      cancelled: isCancellation(err),
      message: err instanceof SessionKeeperError ? err.message : l10n.t('Sign-in failed.'),
    });
    if (deadline.aborted && !(err instanceof SessionKeeperError && err.code === ErrorCode.SignInTimedOut)) {
      throw signInTimedOut(timeoutMs);
    }
    throw err;
  }
}

/**
 * The authorization code flow with PKCE and the private-use URI scheme redirect (RFC 8252 §7.1):
 * the issuer redirects to `<uriScheme>://session-keeper.session-keeper/callback`, VS Code hands it
 * to the extension's URI handler. A response with another state is refused with a message and the
 * flow keeps waiting for its own.
 */
export async function uriHandlerFlow(
  client: OAuthClient,
  host: BrowserHost & AppRedirectHost,
  logger: Logger,
  request: AuthorizationCodeRequest,
): Promise<TokenSet & { claims: NonNullable<TokenSet['claims']> }> {
  const timeoutMs = request.timeoutMs ?? SIGN_IN_TIMEOUT_MS;
  const signal = AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]);
  const pending = await client.authorizationRequest({
    redirectUri: host.appRedirectUri,
    scopes: request.scopes,
    extraParameters: request.extraParameters,
    prompt: request.prompt,
    signal,
  });
  assertBrowsable(pending.url, client.issuer);
  let subscription: { dispose(): void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => {
    const onAbort = () =>
      reject(
        request.signal.aborted
          ? request.signal.reason instanceof SessionKeeperError
            ? request.signal.reason
            : cancelled()
          : signInTimedOut(timeoutMs),
      );
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    subscription = host.onAppUri((uri) => {
      if (uri.pathname !== CALLBACK_PATH) return;
      // RFC 6749 §10.12: a response without the state of this sign-in is someone else's.
      if (uri.searchParams.get('state') !== pending.state) {
        logger.warn('A sign-in response with another state reached the URI handler; it was refused');
        host.warn(
          l10n.t('A sign-in response reached VS Code that does not belong to the sign-in in progress (state mismatch). It was ignored.'),
        );
        return;
      }
      resolve(uri);
    });
  });
  callback.catch(() => undefined); // observed below; avoid an unhandled rejection when the browser step fails first
  try {
    logger.info(`Opening the browser to sign in to ${request.providerLabel ?? client.issuer} (redirect through the URI handler)`);
    if (!(await host.openBrowser(pending.url))) {
      throw cancelled(l10n.t('The browser could not be opened for sign-in.'));
    }
    const uri = await callback;
    logger.debug('Received the authorization response at the URI handler');
    const tokens = await client.authorizationCodeGrant(pending, new URL(`${pending.redirectUri}${uri.search}`), signal);
    if (!tokens.claims) {
      throw new SessionKeeperError(
        ErrorCode.InvalidIdToken,
        l10n.t('{0} did not return an ID token. Add the "openid" scope.', client.issuer),
      );
    }
    return { ...tokens, claims: tokens.claims };
  } finally {
    subscription?.dispose();
  }
}

/**
 * A remote window forwards the loopback port and may hand back another port on the browser's
 * machine; that stays a valid native-app redirect (RFC 8252 §7.3, any port). A proxied URL with
 * another path would not match the registered redirect URI, so the plain loopback is kept then.
 */
async function chooseRedirectUri(loopback: string, host: BrowserHost, logger: Logger): Promise<string> {
  try {
    const external = new URL(await host.externalUri(loopback));
    if (external.pathname === CALLBACK_PATH && (external.hostname === '127.0.0.1' || external.hostname === 'localhost')) {
      return `http://127.0.0.1:${external.port}${CALLBACK_PATH}`;
    }
    logger.debug(
      `Keeping the loopback redirect ${loopback}; the external form (${external.origin}${external.pathname}) is not a loopback redirect`,
    );
  } catch {
    // No external mapping: the browser shares this machine.
  }
  return loopback;
}

/** The time limit in the unit it was given in: a limit under a minute is not "0 minutes". */
export function signInTimedOut(timeoutMs: number): SessionKeeperError {
  const minutes = timeoutMs / 60_000;
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  let message: string;
  if (Number.isInteger(minutes) && minutes > 1) message = l10n.t('Sign-in did not finish within {0} minutes. Try again.', minutes);
  else if (minutes === 1) message = l10n.t('Sign-in did not finish within a minute. Try again.');
  else if (seconds === 1) message = l10n.t('Sign-in did not finish within a second. Try again.');
  else message = l10n.t('Sign-in did not finish within {0} seconds. Try again.', seconds);
  return new SessionKeeperError(ErrorCode.SignInTimedOut, message);
}

/** Only an https page (or http on this computer) is handed to the browser: never a command or file URI. */
export function assertBrowsable(url: string, issuer: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid:');
  }
  // The user's browser opens it, not this host, and nothing of the session is sent there.
  if (isSecureOrLocal(parsed, true)) return;
  throw new SessionKeeperError(
    ErrorCode.DiscoveryFailed,
    l10n.t('The sign-in page of {0} is not an https address; it was not opened.', issuer),
  );
}

function abortWith(source: AbortSignal, reason: unknown): AbortSignal {
  const controller = new AbortController();
  source.addEventListener('abort', () => controller.abort(reason), { once: true });
  return controller.signal;
}
