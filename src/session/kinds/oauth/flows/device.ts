// The device authorization grant (RFC 8628): the user enters a short code on the issuer's page,
// in any browser on any device, while VS Code polls the token endpoint. It needs no redirect.
import { setTimeout as sleep } from 'node:timers/promises';
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError, cancelled } from '../../../base/errors';
import type { Logger } from '../../../base/log';
import { exactHref } from '../../../base/urls';
import type { OAuthClient } from '../client';
import { assertBrowsable } from './authorizationCode';
import { accountFromClaims, type FlowRequest, type FlowResult } from './contract';
import type { DeviceHost } from '../../../host';
export type { DeviceHost } from '../../../host';

export interface DeviceTiming {
  /** A shorter interval than this is raised to it (RFC 8628 §3.5: 5 s when absent). */
  readonly minIntervalMs: number;
  /** A longer interval, also after slow_down, is lowered to it. */
  readonly maxIntervalMs: number;
  /** RFC 8628 §3.5: slow_down adds 5 s. */
  readonly slowDownMs: number;
  /** The longest a device code is waited for, whatever expires_in says. */
  readonly maxWaitMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const DEFAULT_DEVICE_TIMING: DeviceTiming = {
  minIntervalMs: 5_000,
  maxIntervalMs: 60_000,
  slowDownMs: 5_000,
  maxWaitMs: 30 * 60_000,
  now: Date.now,
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/** User codes are short (RFC 8628 §6.1); anything else is not one to show. */
const USER_CODE = /^[\p{L}\p{N}\- ]{1,64}$/u;

export async function deviceFlow(client: OAuthClient, host: DeviceHost, logger: Logger, request: FlowRequest): Promise<FlowResult> {
  const timing: DeviceTiming = { ...DEFAULT_DEVICE_TIMING, ...request.deviceTiming };
  const stopped = () => (request.signal.reason instanceof SessionKeeperError ? request.signal.reason : cancelled());
  const authorization = await client.deviceAuthorizationRequest(request.scopes, request.signal);
  const nonsense = () =>
    new SessionKeeperError(
      ErrorCode.InvalidResponse,
      l10n.t('The device authorization answer of {0} is not usable. Nothing was saved; try another way to sign in.', client.issuer),
    );
  if (!USER_CODE.test(authorization.userCode) || !authorization.deviceCode) throw nonsense();
  if (!(authorization.expiresIn > 0)) throw nonsense();
  // The page is shown as text and then opened: it must read as the URL that opens, with nothing
  // URL parsing would turn into something else.
  const verificationUri = exactHref(authorization.verificationUri);
  if (!verificationUri) {
    throw new SessionKeeperError(
      ErrorCode.InvalidResponse,
      l10n.t(
        'The device authorization answer of {0} names a verification page that is not a well-formed URL. Nothing was saved; try another way to sign in.',
        client.issuer,
      ),
    );
  }
  // The page is opened in a browser: the same https/loopback rule as every other endpoint.
  assertBrowsable(verificationUri, client.issuer);
  const deadline = timing.now() + Math.min(authorization.expiresIn * 1000, timing.maxWaitMs);
  const clamp = (ms: number) => Math.min(timing.maxIntervalMs, Math.max(timing.minIntervalMs, ms));
  let intervalMs = clamp((authorization.interval ?? 5) * 1000);
  logger.info(`Showing a device code for ${request.providerLabel}; polling every ${intervalMs / 1000} s`);
  const shown = host.showUserCode({
    userCode: authorization.userCode,
    verificationUri,
    providerLabel: request.providerLabel,
  });
  try {
    for (;;) {
      const wait = Math.min(intervalMs, deadline - timing.now());
      if (wait <= 0) break;
      try {
        await timing.sleep(wait, request.signal);
      } catch {
        throw stopped();
      }
      if (request.signal.aborted) throw stopped();
      const poll = await client.deviceCodeGrant(authorization.deviceCode, request.signal);
      if (poll.status === 'tokens') {
        const claims = poll.tokens.claims;
        const info = claims ? undefined : await client.userInfo(poll.tokens.accessToken, request.signal);
        const who = claims ?? info;
        if (!who) {
          throw new SessionKeeperError(
            ErrorCode.InvalidIdToken,
            l10n.t('{0} did not say who signed in (no ID token and no userinfo endpoint). Add the "openid" scope.', client.issuer),
          );
        }
        return { tokens: poll.tokens, account: accountFromClaims(who) };
      }
      // RFC 8628 §3.5: slow_down adds 5 s to this and every later interval; the cap keeps a storm bounded.
      if (poll.status === 'slow_down') intervalMs = clamp(intervalMs + timing.slowDownMs);
    }
    throw new SessionKeeperError(
      ErrorCode.SignInTimedOut,
      l10n.t('The sign-in code expired before it was entered. Sign in again for a new code.'),
    );
  } finally {
    shown.dispose();
  }
}
