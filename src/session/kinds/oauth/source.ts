// OAuth sessions behind the refresher's seam: a refresh token grant at the issuer and client the
// session is bound to, with the subject check of OIDC Core §12.2, and RFC 7009 revocation.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError } from '../../base/errors';
import type { Credentials, SessionSource } from '../../refresh/source';
import type { StoredAccount, StoredSession } from '../../storage/store';
import type { OAuthClient } from './client';

export class OAuthSource implements SessionSource {
  constructor(readonly client: OAuthClient) {}

  get origin(): string {
    return this.client.issuer;
  }

  async renew(session: StoredSession, account: StoredAccount): Promise<Credentials> {
    if (session.refreshToken === undefined) {
      throw new SessionKeeperError(ErrorCode.GrantRevoked, l10n.t('The session has no refresh token. Sign in again.'));
    }
    const tokens = await this.client.refreshTokenGrant(session.refreshToken);
    // OIDC Core §12.2: a refreshed ID token must name the same subject.
    if (tokens.claims && tokens.claims.sub !== account.account.id) {
      throw new SessionKeeperError(
        ErrorCode.AccountMismatch,
        l10n.t('{0} returned an ID token for another account on refresh. Sign in again.', this.client.issuer),
      );
    }
    return tokens;
  }

  reachable(): Promise<boolean> {
    return this.client.reachable();
  }

  revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean> {
    return this.client.revoke(token, hint);
  }
}
