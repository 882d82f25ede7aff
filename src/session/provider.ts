// One AuthenticationProvider per configured identity provider. Structurally it is
// vscode.AuthenticationProvider; it is written against the engine's own types so it runs and is
// tested without the editor.
import type { ProviderConfig } from './config';
import { Emitter, type Disposable, type Event } from './base/events';
import { ErrorCode, SessionKeeperError } from './base/errors';
import * as l10n from '@vscode/l10n';
import { describeError } from './base/errors';
import { type Logger } from './base/log';
import type { Credentials, SessionSource } from './refresh/source';
import { isServable } from './refresh/refresher';
import { normalizeScopes, requestScopes } from './base/scopes';
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

/** What a sign-in hands over: validated credentials and the account; the flow that ran stays unknown here. */
export interface SignInResult {
  readonly tokens: Credentials;
  readonly account: AccountInfo;
}

export interface ProviderDeps {
  readonly store: SessionStore;
  /** Where the provider's sessions renew, and revoke when the source can. */
  readonly source: SessionSource;
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

export class SessionKeeperProvider implements Disposable {
  private readonly changes = new Emitter<SessionsChange>();
  readonly onDidChangeSessions: Event<SessionsChange> = this.changes.event;
  /**
   * What callers were last told, in sign-in order, to derive added/removed/changed from a store
   * change; also what getSessions serves from while the stored tokens are still these.
   */
  private known = new Map<string, AuthSession>();
  /** The session ids in `known` of each account (secret key). */
  private knownKeys = new Map<string, string[]>();
  /** `known` as a list, made again after it changes. */
  private knownList?: Array<{ auth: AuthSession; stored: StoredSession }>;
  /** The stored session each entry of `known` was made from. */
  private knownStored = new Map<string, StoredSession>();
  /** Refresh tokens of removed sessions, revoked when their account's last session goes. */
  private readonly heldRefreshTokens = new Map<string, string[]>();
  private readonly subscription: Disposable;

  constructor(
    readonly config: ProviderConfig,
    private readonly deps: ProviderDeps,
  ) {
    this.publish();
    this.subscription = deps.store.onDidChange((e) => {
      if (e.providerIds.has(config.id)) this.publish(e.keys);
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
    // Cached and valid: served as they are, with no renewal to wait for.
    return this.cached(scopes ?? [], options?.account) ?? this.renewAndServe(scopes, options);
  }

  /**
   * The matching sessions, if every one's stored token is the one callers were told of and may be
   * handed out now; else undefined. Plain loops and no closures: this runs on every call of every
   * extension that asks for a token.
   */
  private cached(scopes: readonly string[], account: AccountInfo | undefined): AuthSession[] | undefined {
    const wanted = simpleScopes(scopes) ? scopes : normalizeScopes(scopes);
    const now = this.deps.now();
    const candidates: AuthSession[] = [];
    this.knownList ??= [...this.known.values()].map((auth) => ({ auth, stored: this.knownStored.get(auth.id)! }));
    for (const { auth, stored } of this.knownList) {
      if (account && auth.account.id !== account.id) continue;
      if (!includesAll(auth.scopes, wanted)) continue;
      // The stored session this one was made from: its token is the one handed out, so its expiry counts.
      if (!isServable(stored, now)) return undefined;
      candidates.push(auth);
    }
    return candidates.length > 1 ? this.activeFirst(candidates) : candidates;
  }

  private async renewAndServe(scopes: readonly string[] | undefined, options?: { account?: AccountInfo }): Promise<AuthSession[]> {
    const now = this.deps.now();
    const wanted = normalizeScopes(scopes ?? []);
    const candidates = [...this.known.values()].filter(
      (s) => (!options?.account || s.account.id === options.account.id) && includesAll(s.scopes, wanted),
    );
    const ordered = (list: AuthSession[]) => (list.length > 1 ? this.activeFirst(list) : list);
    if (scopes === undefined) {
      return ordered(
        candidates.map((s) => {
          const stored = this.deps.store.find(s.id)?.session;
          return stored && isServable(stored, now) ? s : { ...s, accessToken: '' };
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
      // Not an outage: the user chose to renew this account only on Refresh Now.
      if (reason instanceof SessionKeeperError && reason.code === ErrorCode.AutoRefreshOff) {
        throw new SessionKeeperError(ErrorCode.AutoRefreshOff, `${this.config.label}: ${reason.message}`);
      }
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
    deps.logger.info(`Signed in ${account.label} to ${config.label} (scopes: ${session.scopes.join(' ') || 'none'})`);
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
    const { source } = this.deps;
    if (!source.revoke) {
      this.deps.logger.info(`${this.config.label} has nowhere to revoke a session; the sign-out is local`);
      return;
    }
    for (const [token, hint] of tokens) {
      try {
        const done = await source.revoke(token, hint);
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

  /** The sessions callers may use of one account (see current()). */
  private sessionsOf(key: string): StoredSession[] {
    const a = this.deps.store.account(key);
    if (!a || a.providerId !== this.config.id || !isBoundTo(a, this.config)) return [];
    return a.sessions.filter((s) => !s.refresh.needsSignIn);
  }

  /**
   * Tells callers what changed: for the accounts named, only those; for any change (a reload),
   * every session, compared with what they were told.
   */
  private publish(keys?: ReadonlySet<string>): void {
    const added: AuthSession[] = [];
    const changed: AuthSession[] = [];
    const removed: AuthSession[] = [];
    const before = this.known;
    const compare = (stored: StoredSession, key: string) => {
      const s = toAuthSession(this.deps.store.account(key)!.account, stored);
      const was = before.get(s.id);
      if (!was) added.push(s);
      else if (was.accessToken !== s.accessToken || was.account.label !== s.account.label) changed.push(s);
      return s;
    };
    this.knownList = undefined;
    if (keys) {
      for (const key of keys) {
        const next = this.sessionsOf(key);
        const ids = new Set(next.map((s) => s.id));
        for (const id of this.knownKeys.get(key) ?? []) {
          const was = before.get(id);
          if (was && !ids.has(id)) {
            removed.push(was);
            before.delete(id);
            this.knownStored.delete(id);
          }
        }
        for (const stored of next) {
          before.set(stored.id, compare(stored, key));
          this.knownStored.set(stored.id, stored);
        }
        if (next.length) this.knownKeys.set(key, [...ids]);
        else this.knownKeys.delete(key);
      }
    } else {
      const known = new Map<string, AuthSession>();
      const knownKeys = new Map<string, string[]>();
      const knownStored = new Map<string, StoredSession>();
      for (const [key] of this.deps.store.entries()) {
        const next = this.sessionsOf(key);
        if (!next.length) continue;
        knownKeys.set(
          key,
          next.map((s) => s.id),
        );
        for (const stored of next) {
          known.set(stored.id, compare(stored, key));
          knownStored.set(stored.id, stored);
        }
      }
      for (const [id, s] of before) if (!known.has(id)) removed.push(s);
      this.known = known;
      this.knownKeys = knownKeys;
      this.knownStored = knownStored;
    }
    if (added.length || removed.length || changed.length) this.changes.fire({ added, removed, changed });
  }

  /** Stable sort: the active account's sessions first, the rest in sign-in order. */
  private activeFirst(list: AuthSession[]): AuthSession[] {
    const active = this.deps.activeAccountId?.();
    return list.sort((a, b) => Number(b.account.id === active) - Number(a.account.id === active));
  }
}

/** Scopes that normalizing would not change the meaning of: no empty ones, none with spaces. */
function simpleScopes(scopes: readonly string[]): boolean {
  for (const x of scopes) {
    if (!x) return false;
    for (let i = 0; i < x.length; i++) {
      const c = x.charCodeAt(i);
      // Control characters and space; beyond ASCII, the same test as normalizeScopes.
      if (c <= 32 || (c > 126 && /\s/.test(x))) return false;
    }
  }
  return true;
}

function includesAll(granted: readonly string[], wanted: readonly string[]): boolean {
  for (const x of wanted) if (!granted.includes(x)) return false;
  return true;
}

function toAuthSession(account: AccountInfo, s: StoredSession): AuthSession {
  return { id: s.id, accessToken: s.accessToken, account: { id: account.id, label: account.label }, scopes: s.scopes };
}
