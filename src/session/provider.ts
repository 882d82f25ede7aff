// One AuthenticationProvider per configured identity provider. Structurally it is
// vscode.AuthenticationProvider; it is written against the engine's own types so it runs and is
// tested without the editor.
import type { ProviderConfig } from './config';
import { Emitter, type Disposable, type Event } from './base/events';
import { ErrorCode, SessionKeeperError } from './base/errors';
import * as l10n from '@vscode/l10n';
import { describeError } from './base/errors';
import { type Logger } from './base/log';
import type { OAuthClient, TokenSet } from './protocol/oauth';
import { isServable } from './refresh/refresher';
import { requestScopes, scopesSatisfy } from './protocol/scopes';
import { issuedSession } from './storage/sessionRecord';
import { isBoundTo, type SessionStore, type StoredAccount, type StoredSession } from './storage/store';

export interface AccountInfo {
  readonly id: string;
  readonly label: string;
}

/** Shaped like vscode.AuthenticationSession. */
export interface AuthSession {
  readonly id: string;
  readonly accessToken: string;
  readonly account: AccountInfo;
  readonly scopes: readonly string[];
}

export interface SessionsChange {
  readonly added: readonly AuthSession[];
  readonly removed: readonly AuthSession[];
  readonly changed: readonly AuthSession[];
}

export interface SignInRequest {
  readonly scopes: readonly string[];
  readonly extraParameters: Readonly<Record<string, string>>;
  readonly prompt?: readonly string[];
}

/** What a sign-in hands over: validated tokens and the account; the flow that ran stays unknown here. */
export interface SignInResult {
  readonly tokens: TokenSet;
  readonly account: AccountInfo;
}

export interface ProviderDeps {
  readonly store: SessionStore;
  readonly client: OAuthClient;
  /**
   * Runs the interactive sign-in (whichever flow: browser, device code, pasted token) and returns
   * validated tokens and the account they belong to.
   */
  signIn(request: SignInRequest): Promise<SignInResult>;
  readonly logger: Logger;
  readonly now: () => number;
  /** The session with a token that is valid now, renewing it first if needed; undefined if it cannot be. */
  ensureFresh(sessionId: string): Promise<StoredSession | undefined>;
  /** The account callers that name none get first. */
  activeAccountId?(): string | undefined;
}

export function accountLabel(claims: NonNullable<TokenSet['claims']>): string {
  return claims.preferred_username ?? claims.email ?? claims.name ?? claims.sub;
}

export class SessionKeeperProvider implements Disposable {
  private readonly changes = new Emitter<SessionsChange>();
  readonly onDidChangeSessions: Event<SessionsChange> = this.changes.event;
  /** What callers were last told, to derive added/removed/changed from any store change. */
  private known = new Map<string, AuthSession>();
  /** Refresh tokens of removed sessions, revoked when their account's last session goes. */
  private readonly heldRefreshTokens = new Map<string, string[]>();
  private readonly subscription: Disposable;

  constructor(
    readonly config: ProviderConfig,
    private readonly deps: ProviderDeps,
  ) {
    this.known = new Map(this.current().map((s) => [s.id, s]));
    this.subscription = deps.store.onDidChange((e) => {
      if (e.providerIds.has(config.id)) this.publish();
    });
  }

  /**
   * Without scopes, VS Code is listing accounts (getAccounts, the Accounts menu): every signed-in
   * account is listed, also while its token has expired and the issuer cannot be reached, because
   * a missing account reads as a sign-out. An expired token is never handed out: such a session is
   * listed with an empty access token.
   *
   * With scopes, a caller wants a token: each matching session is renewed first if it needs it.
   * If none is usable because renewing failed for now, this throws an Offline error naming the
   * provider, so the caller can tell "offline" from "signed out" (an empty answer).
   */
  async getSessions(scopes?: readonly string[], options?: { account?: AccountInfo }): Promise<AuthSession[]> {
    const candidates = this.current().filter(
      (s) => (!options?.account || s.account.id === options.account.id) && scopesSatisfy(s.scopes, scopes ?? []),
    );
    const active = this.deps.activeAccountId?.();
    // Stable sort: the active account's sessions first, the rest in sign-in order.
    const ordered = (list: AuthSession[]) => list.sort((a, b) => Number(b.account.id === active) - Number(a.account.id === active));
    if (scopes === undefined) {
      return ordered(
        candidates.map((s) => {
          const stored = this.deps.store.find(s.id)?.session;
          return stored && isServable(stored, this.deps.now()) ? s : { ...s, accessToken: '' };
        }),
      );
    }
    const results = await Promise.allSettled(
      candidates.map(async (s) => {
        const session = await this.deps.ensureFresh(s.id);
        return session && toAuthSession(s.account, session);
      }),
    );
    const fresh = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    if (fresh.length) return ordered(fresh);
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason;
      const account = candidates[failed].account.label;
      const why = reason instanceof SessionKeeperError ? reason.message : describeError(reason);
      throw new SessionKeeperError(
        ErrorCode.Offline,
        l10n.t({
          message:
            '{0}: the session of {1} cannot be renewed right now, so no valid token is available. You are still signed in; Session Keeper keeps trying. ({2})',
          args: [this.config.label, account, why],
          comment: ['{0} is the identity provider, {1} the account, {2} the reason (a sentence)'],
        }),
      );
    }
    return [];
  }

  async createSession(scopes: readonly string[], options?: { account?: AccountInfo }): Promise<AuthSession> {
    const { config, deps } = this;
    const extraParameters: Record<string, string> = { ...config.authorizationParameters };
    // OIDC Core §3.1.2.1: suggest the account VS Code asked for.
    if (options?.account && extraParameters.login_hint === undefined) extraParameters.login_hint = options.account.label;
    // With an account already signed in, the user wants another one: the issuer's own browser
    // session would otherwise sign the same user in again.
    const another = !options?.account && this.current().length > 0;
    // A window that may not write (another window is ahead of it) says so before the browser step,
    // not after it, when the new tokens would be lost.
    await deps.store.syncWithOtherWindows();
    const { tokens, account: signedIn } = await deps.signIn({
      scopes: requestScopes(config.scopes, scopes),
      extraParameters,
      prompt: another ? ['login'] : [],
    });
    const account = { id: signedIn.id, label: signedIn.label };
    const session = issuedSession(tokens, requestScopes(config.scopes, scopes), deps.now());
    await deps.store.putSession(config.id, { issuer: config.issuer, clientId: config.clientId }, account, session);
    deps.logger.info(`Signed in ${account.label} to ${config.label} (scopes: ${session.scopes.join(' ')})`);
    return toAuthSession(account, session);
  }

  async removeSession(sessionId: string): Promise<void> {
    const found = this.deps.store.find(sessionId);
    if (!found || found.account.providerId !== this.config.id || !isBoundTo(found.account, this.config)) return;
    await this.deps.store.removeSession(sessionId);
    this.deps.logger.info(`Signed out ${found.account.account.label} from ${this.config.label}`);
    // Sign-out is local first; revocation (RFC 7009) follows and may fail without undoing it.
    void this.revoke(found.account, found.session);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changes.dispose();
  }

  private async revoke(account: StoredAccount, session: StoredSession): Promise<void> {
    const held = this.heldRefreshTokens.get(account.account.id) ?? [];
    if (session.refreshToken) held.push(session.refreshToken);
    const accountGone = !this.deps.store
      .accounts(this.config.id)
      .some((a) => a.account.id === account.account.id && isBoundTo(a, this.config));
    // Sessions of one account may share a grant, and revoking a refresh token revokes its grant
    // (RFC 7009 §2.1), so refresh tokens wait until the account has no session left.
    const tokens: Array<[string, 'access_token' | 'refresh_token']> = [[session.accessToken, 'access_token']];
    if (accountGone) {
      this.heldRefreshTokens.delete(account.account.id);
      tokens.push(...held.map((t): [string, 'refresh_token'] => [t, 'refresh_token']));
    } else {
      this.heldRefreshTokens.set(account.account.id, held);
    }
    for (const [token, hint] of tokens) {
      try {
        const done = await this.deps.client.revoke(token, hint);
        this.deps.logger.info(
          done
            ? `Revoked the ${hint.replace('_', ' ')} of ${account.account.label} at ${this.config.label}`
            : `${this.config.label} has no revocation endpoint; the sign-out is local`,
        );
        if (!done) return;
      } catch (err) {
        this.deps.logger.warn(`Revocation at ${this.config.label} failed (${describeError(err)}); the sign-out in VS Code stands`);
      }
    }
  }

  /**
   * Sessions callers may use: those of this issuer and client. One whose grant ended waits in the
   * store for a new sign-in; one from another issuer or client (the settings changed) stays dormant.
   */
  private current(): AuthSession[] {
    return this.deps.store
      .accounts(this.config.id)
      .filter((a) => isBoundTo(a, this.config))
      .flatMap((a) => a.sessions.filter((s) => !s.refresh.needsSignIn).map((s) => toAuthSession(a.account, s)));
  }

  private publish(): void {
    const next = new Map(this.current().map((s) => [s.id, s]));
    const added: AuthSession[] = [];
    const changed: AuthSession[] = [];
    const removed: AuthSession[] = [];
    for (const [id, s] of next) {
      const before = this.known.get(id);
      if (!before) added.push(s);
      else if (before.accessToken !== s.accessToken || before.account.label !== s.account.label) changed.push(s);
    }
    for (const [id, s] of this.known) if (!next.has(id)) removed.push(s);
    this.known = next;
    if (added.length || removed.length || changed.length) this.changes.fire({ added, removed, changed });
  }
}

function toAuthSession(account: AccountInfo, s: StoredSession): AuthSession {
  return { id: s.id, accessToken: s.accessToken, account: { id: account.id, label: account.label }, scopes: s.scopes };
}
