// Paste a token: for issuers without an interactive flow, for API keys, or as a last resort. The
// token is checked before any request, validated at the issuer's userinfo endpoint when there is
// one (which also names the account), and then stored and served like any other session.
import { createHash } from 'node:crypto';
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError, cancelled } from '../../../base/errors';
import { jwtAccount } from '../../../base/jwt';
import type { Logger } from '../../../base/log';
import { hasControlChars } from '../../../base/plainText';
import { redactor } from '../../../base/redact';
import type { OAuthClient } from '../client';
import { expiryOf } from '../tokens';
import { normalizeScopes } from '../../../base/scopes';
import { accountFromClaims, type FlowAccount, type FlowRequest, type FlowResult } from './contract';
import type { PasteHost } from '../../../host';
export type { PasteHost } from '../../../host';

/** Longer than any access or refresh token an issuer hands out. */
export const MAX_TOKEN_LENGTH = 16_384;

/**
 * Why a pasted string is not a token, or undefined when it may be one. RFC 6750 §2.1 b64token:
 * the characters a bearer token can carry in an Authorization header.
 */
export function tokenProblem(text: string): string | undefined {
  if (!text.trim()) return l10n.t('The token is empty.');
  if (text.length > MAX_TOKEN_LENGTH) return l10n.t('This is too long to be a token ({0} characters at most).', MAX_TOKEN_LENGTH);
  if (hasControlChars(text)) return l10n.t('This is not a token: it contains control characters.');
  if (/\s/.test(text)) return l10n.t('This is not a token: it contains spaces.');
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(text)) return l10n.t('This is not a token: it contains characters a bearer token cannot have.');
  return undefined;
}

export async function pasteTokenFlow(client: OAuthClient, host: PasteHost, logger: Logger, request: FlowRequest): Promise<FlowResult> {
  const pasted = await host.askSecret({
    title: l10n.t('Sign in to {0} with a token', request.providerLabel),
    prompt: l10n.t('Paste an access token or API key for {0}.', request.providerLabel),
  });
  if (pasted === undefined) throw cancelled();
  const accessToken = pasted.trim();
  refuse(tokenProblem(accessToken));
  redactor.add(accessToken);
  const pastedRefresh = await host.askSecret({
    title: l10n.t('Sign in to {0} with a token', request.providerLabel),
    prompt: l10n.t('Optionally paste a refresh token, so Session Keeper can renew the access token. Leave it empty otherwise.'),
    optional: true,
  });
  if (pastedRefresh === undefined) throw cancelled();
  const refreshToken = pastedRefresh.trim() || undefined;
  if (refreshToken) {
    refuse(tokenProblem(refreshToken));
    redactor.add(refreshToken);
  }
  if (request.signal.aborted) throw cancelled();

  // Who the token belongs to, and whether the issuer takes it at all.
  const info = await client.userInfo(accessToken, request.signal);
  const now = Date.now();
  let expiresAt = expiryOf(undefined, accessToken, now);
  if (expiresAt === undefined) {
    const lifetime = await host.askLifetime();
    if (lifetime === undefined) throw cancelled();
    expiresAt = lifetime === null ? undefined : now + lifetime;
  }
  const account = info ? accountFromClaims(info) : accountOfUnverifiedToken(accessToken);
  logger.info(
    `A pasted token for ${request.providerLabel} was ${info ? 'accepted by the userinfo endpoint' : 'taken as it is (no userinfo endpoint)'}`,
  );
  return {
    tokens: {
      accessToken,
      tokenType: 'Bearer',
      refreshToken,
      expiresAt,
      scopes: normalizeScopes(request.scopes),
    },
    account,
  };
}

function refuse(problem: string | undefined): void {
  if (problem) throw new SessionKeeperError(ErrorCode.InvalidResponse, `${problem} ${l10n.t('Nothing was saved.')}`);
}

/**
 * Without a userinfo endpoint nothing vouches for the token: a JWT's own `sub` only names the
 * account, otherwise a fingerprint of the token does.
 */
function accountOfUnverifiedToken(token: string): FlowAccount {
  const claims = jwtAccount(token);
  if (claims?.sub && claims.sub.length <= 255) {
    return accountFromClaims({ sub: claims.sub, preferred_username: claims.preferred_username, email: claims.email });
  }
  const fingerprint = createHash('sha256').update(token).digest('hex').slice(0, 12);
  return { id: `token-${fingerprint}`, label: l10n.t('Token {0}', fingerprint.slice(0, 6)) };
}
