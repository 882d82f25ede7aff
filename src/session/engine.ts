// The engine: configured providers, their OAuth clients, the store and the refresher, wired once,
// behind the model the views and commands use. The editor integration registers its providers and
// supplies the interactive parts (browser, progress, notifications).
import type { Clock } from './base/clock';
import { issuerProblem, type ProviderConfig } from './config';
import type { Coordinator } from './storage/coordination';
import { Emitter, type Disposable, type Event } from './base/events';
import type { Fetch } from './net/http';
import type { Logger } from './base/log';
import { describeError, userMessage } from './base/errors';
import { ActiveAccounts } from './activeAccounts';
import { accountLine, summarizeProvider, type ProviderSummary, type SessionKeeperModel } from './model';
import { OAuthClient } from './kinds/oauth/client';
import { OAuthSource } from './kinds/oauth/source';
import { EndpointSource } from './kinds/endpoint/source';
import type { SessionSource } from './refresh/source';
import { SessionKeeperProvider, type SignInRequest, type SignInResult } from './provider';
import { Refresher, type RefreshPolicy } from './refresh/refresher';
import { isBoundTo, type MementoLike, type SessionStore, type StoredAccount } from './storage/store';
import { sweepSetAside, type Revoker } from './storage/setAside';

export interface EngineDeps {
  readonly store: SessionStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fetch: Fetch;
  readonly requestTimeoutMs: number;
  readonly policy: RefreshPolicy;
  readonly coordinator?: Coordinator;
  /** Remembers the active account per provider (account ids only). */
  readonly memento: MementoLike;
  /** The interactive sign-in: browser or pasted values, progress, cancellation. */
  signIn(config: ProviderConfig, source: OAuthSource | EndpointSource, request: SignInRequest): Promise<SignInResult>;
  readonly onSignInNeeded?: (account: StoredAccount, message: string) => void;
  readonly onStaleWindow?: (message: string) => void;
  /** Whether plain http to 127.0.0.1 reaches the user's computer (base/urls.ts); default yes. */
  readonly loopbackIsLocal?: () => boolean;
}

interface Entry {
  readonly config: ProviderConfig;
  /** OAuth providers only. */
  readonly client?: OAuthClient;
  readonly source: SessionSource;
  readonly provider: SessionKeeperProvider;
}

/** How soon a set-aside record's revocation that could not be done is tried again. */
export const SET_ASIDE_RETRY_MS = 60 * 60_000;

/** Each renewal of an endpoint session, request and answer together, finishes within this time. */
export const ENDPOINT_RENEWAL_TIMEOUT_MS = 10_000;

/** A configuration as text, to tell whether it changed; patterns compare by source and flags (Pattern.toJSON). */
function configText(config: ProviderConfig): string {
  return JSON.stringify(config);
}

export class SessionKeeperEngine implements SessionKeeperModel, Disposable {
  private readonly entries = new Map<string, Entry>();
  readonly refresher: Refresher;
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;
  private readonly subscriptions: Disposable[];
  private readonly active: ActiveAccounts;
  /** The set-aside sweep: one at a time, again after the one under way when asked meanwhile, and a timer for the next. */
  private sweep: { running?: Promise<void>; again: boolean; timer?: unknown } = { again: false };
  private disposed = false;

  constructor(private readonly deps: EngineDeps) {
    this.active = new ActiveAccounts(deps.memento);
    this.refresher = new Refresher({
      store: deps.store,
      source: (account) => this.boundEntry(account)?.source,
      describe: (account) => `${account.account.label} at ${this.entries.get(account.providerId)?.config.label ?? account.providerId}`,
      clock: deps.clock,
      logger: deps.logger,
      policy: deps.policy,
      coordinator: deps.coordinator,
      onSignInNeeded: deps.onSignInNeeded,
      onStaleWindow: deps.onStaleWindow,
    });
    this.subscriptions = [
      deps.store.onDidChange(() => this.changed.fire()),
      this.refresher.onDidChangeState(() => this.changed.fire()),
      this.refresher.onDidFinishRefresh((id) => this.logAccountLine(id)),
    ];
  }

  /** Applies a configuration; returns the providers that were added and the ids that went away. */
  configure(configs: readonly ProviderConfig[]): { added: SessionKeeperProvider[]; removed: string[] } {
    const wanted = new Map(configs.map((c) => [c.id, c]));
    const removed: string[] = [];
    for (const [id, entry] of this.entries) {
      const next = wanted.get(id);
      if (!next || configText(next) !== configText(entry.config)) {
        entry.provider.dispose();
        this.entries.delete(id);
        removed.push(id);
      }
    }
    const added: SessionKeeperProvider[] = [];
    for (const config of configs) {
      if (this.entries.has(config.id)) continue;
      const { client, source } = this.sourceFor(config);
      const provider = new SessionKeeperProvider(config, {
        store: this.deps.store,
        source,
        logger: this.deps.logger,
        now: this.deps.clock.now,
        ensureFresh: (id) => this.refresher.ensureFresh(id),
        signIn: (request) => this.deps.signIn(config, source, request),
        activeAccountId: () => this.activeAccountId(config.id),
      });
      this.entries.set(config.id, { config, client, source, provider });
      added.push(provider);
    }
    // Keep the configured order: the first provider is the primary one.
    const order = configs.map((c) => c.id);
    const sorted = [...this.entries.entries()].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
    this.entries.clear();
    for (const [id, e] of sorted) this.entries.set(id, e);
    if (added.length || removed.length) this.changed.fire();
    this.refresher.start();
    // A provider for the issuer of a set-aside record may have come.
    this.sweepSetAside();
    return { added, removed };
  }

  /** Revokes what records set aside as damaged still hold, where they came from, and removes them in time (storage/setAside.ts). */
  private sweepSetAside(): void {
    if (this.disposed) return;
    if (this.sweep.running) {
      this.sweep.again = true;
      return;
    }
    const { clock, logger, store } = this.deps;
    if (this.sweep.timer !== undefined) clock.clearTimeout(this.sweep.timer);
    this.sweep.timer = undefined;
    this.sweep.running = sweepSetAside({ store, now: clock.now, logger, revoker: this.setAsideRevoker })
      .then(({ nextRemoval, pending }) => {
        const next = Math.min(nextRemoval ?? Infinity, pending ? clock.now() + SET_ASIDE_RETRY_MS : Infinity);
        if (Number.isFinite(next) && !this.disposed) {
          this.sweep.timer = clock.setTimeout(() => this.sweepSetAside(), Math.max(0, next - clock.now()));
        }
      })
      .catch((err) => logger.warn(`Looking after the records set aside failed: ${describeError(err)}`))
      .finally(() => {
        this.sweep.running = undefined;
        if (this.sweep.again) {
          this.sweep.again = false;
          this.sweepSetAside();
        }
      });
  }

  /** Settles once the sweep under way, and the one asked for meanwhile, are done. */
  async setAsideSwept(): Promise<void> {
    while (this.sweep.running) await this.sweep.running;
  }

  /** A set-aside record's refresh token goes back only to a configured OAuth provider for its issuer and client. */
  private readonly setAsideRevoker: Revoker = (binding) => {
    for (const { config, source } of this.entries.values()) {
      const bound =
        config.kind === 'oauth' && config.issuer === binding.issuer && (binding.clientId ?? config.clientId) === config.clientId;
      if (bound && source.revoke) return (token) => source.revoke!(token, 'refresh_token');
    }
    return undefined;
  };

  /** What renews a provider's sessions: its OAuth client at the issuer, or its declared endpoint. */
  private sourceFor(config: ProviderConfig): { client?: OAuthClient; source: OAuthSource | EndpointSource } {
    if (config.kind === 'endpoint' && config.endpoint) {
      const timeoutMs = Math.min(this.deps.requestTimeoutMs, ENDPOINT_RENEWAL_TIMEOUT_MS);
      const source = new EndpointSource({
        label: config.label,
        declaration: config.endpoint,
        fetch: this.deps.fetch,
        timeoutMs,
        now: this.deps.clock.now,
      });
      return { source };
    }
    const client = new OAuthClient({
      issuer: config.issuer,
      clientId: config.clientId,
      fetch: this.deps.fetch,
      timeoutMs: this.deps.requestTimeoutMs,
      now: this.deps.clock.now,
    });
    return { client, source: new OAuthSource(client) };
  }

  provider(id: string): SessionKeeperProvider | undefined {
    return this.entries.get(id)?.provider;
  }

  client(id: string): OAuthClient | undefined {
    return this.entries.get(id)?.client;
  }

  now(): number {
    return this.deps.clock.now();
  }

  primaryProviderId(): string | undefined {
    return this.entries.keys().next().value;
  }

  providers(): ProviderSummary[] {
    const now = this.now();
    return [...this.entries.values()].map(({ config }) =>
      summarizeProvider(config, this.deps.store.accounts(config.id), {
        now,
        activeAccountId: this.activeAccountId(config.id),
        isRefreshing: (id) => this.refresher.isRefreshing(id),
        heldUntil: (id) => this.refresher.heldUntil(id),
        leadMs: this.deps.policy.leadMs,
      }),
    );
  }

  /** Whether 127.0.0.1 is the user's computer where the extension runs (base/urls.ts). */
  loopbackIsLocal(): boolean {
    return this.deps.loopbackIsLocal?.() ?? true;
  }

  /** The discovery check of "Add Identity Provider…": the same OAuth client and rules as sign-in. */
  async checkIssuer(issuer: string, signal?: AbortSignal): Promise<{ ok: true } | { ok: false; message: string }> {
    const problem = issuerProblem(issuer, this.loopbackIsLocal());
    if (problem) return { ok: false, message: problem };
    try {
      await new OAuthClient({
        issuer,
        clientId: 'discovery-check',
        fetch: this.deps.fetch,
        timeoutMs: this.deps.requestTimeoutMs,
      }).metadata(signal);
      return { ok: true };
    } catch (err) {
      return { ok: false, message: userMessage(err) };
    }
  }

  async signIn(providerId: string): Promise<void> {
    const provider = this.requireProvider(providerId);
    const session = await provider.createSession([]);
    await this.switchAccount(providerId, session.account.id);
  }

  async signOut(providerId: string, accountId: string): Promise<void> {
    const provider = this.requireProvider(providerId);
    for (const account of this.deps.store.accounts(providerId).filter((a) => a.account.id === accountId)) {
      // A dormant account's tokens are not sent anywhere, revocation included: it is only forgotten.
      const bound = this.boundEntry(account) !== undefined;
      for (const s of account.sessions) await (bound ? provider.removeSession(s.id) : this.deps.store.removeSession(s.id));
    }
  }

  async switchAccount(providerId: string, accountId: string): Promise<void> {
    await this.active.set(providerId, accountId);
    const label = this.deps.store.accounts(providerId).find((a) => a.account.id === accountId)?.account.label ?? accountId;
    this.deps.logger.info(`Switched ${this.entries.get(providerId)?.config.label ?? providerId} to ${label}`);
    this.changed.fire();
  }

  async refreshNow(providerId: string, accountId?: string): Promise<void> {
    const accounts = this.boundAccounts(providerId).filter((a) => accountId === undefined || a.account.id === accountId);
    await Promise.all(accounts.flatMap((a) => a.sessions.map((s) => this.refresher.refresh(s.id))));
  }

  async setAutoRefresh(providerId: string, accountId: string, on: boolean): Promise<void> {
    for (const account of this.boundAccounts(providerId).filter((a) => a.account.id === accountId)) {
      for (const s of account.sessions) {
        await this.deps.store.updateSession(s.id, (x) => ({ ...x, refresh: { ...x.refresh, autoRefresh: on } }));
      }
      const label = `${account.account.label} at ${this.entries.get(providerId)?.config.label ?? providerId}`;
      this.deps.logger.info(`Auto-refresh ${on ? 'on' : 'off'} for ${label}`);
    }
  }

  /** The account the user chose, else the first one signed in. */
  activeAccountId(providerId: string): string | undefined {
    return this.active.get(
      providerId,
      this.boundAccounts(providerId).map((a) => a.account.id),
    );
  }

  dispose(): void {
    this.disposed = true;
    if (this.sweep.timer !== undefined) this.deps.clock.clearTimeout(this.sweep.timer);
    for (const d of this.subscriptions) d.dispose();
    for (const e of this.entries.values()) e.provider.dispose();
    this.entries.clear();
    this.refresher.dispose();
    this.changed.dispose();
  }

  /** The account's one-line summary, after each refresh attempt. */
  private logAccountLine(sessionId: string): void {
    const found = this.deps.store.find(sessionId);
    const config = found && this.entries.get(found.account.providerId)?.config;
    if (!found || !config) return;
    const summary = summarizeProvider(config, [found.account], {
      now: this.now(),
      isRefreshing: (id) => this.refresher.isRefreshing(id),
      heldUntil: (id) => this.refresher.heldUntil(id),
      leadMs: this.deps.policy.leadMs,
    }).accounts[0];
    this.deps.logger.info(`${config.label}: ${accountLine(summary, this.now())}`);
  }

  /** The provider entry an account's tokens may go to: its own, while it names their issuer and client. */
  private boundEntry(account: StoredAccount): Entry | undefined {
    const entry = this.entries.get(account.providerId);
    return entry && isBoundTo(account, entry.config) ? entry : undefined;
  }

  private boundAccounts(providerId: string): StoredAccount[] {
    return this.deps.store.accounts(providerId).filter((a) => this.boundEntry(a) !== undefined);
  }

  private requireProvider(id: string): SessionKeeperProvider {
    const p = this.entries.get(id)?.provider;
    if (!p) throw new Error(`No identity provider "${id}" is configured`);
    return p;
  }
}
