// refresh/: renewing sessions in the background, and the health derived from their state.
// The background refresher: one timer for the earliest due refresh, one in-flight refresh per
// session, a cap on concurrent refreshes, backoff for transient failures, and an end (with one
// notice per account) for terminal ones. It notices sleep and clock jumps and re-plans at once.
import { sleep, type Clock } from '../base/clock';
import { lockNameForAccount, type Coordinator } from '../storage/coordination';
import { ErrorCode, SessionKeeperError, findSessionKeeperError } from '../base/errors';
import { Emitter, type Disposable, type Event } from '../base/events';
import { canRefresh, isRenewable } from './health';
import * as l10n from '@vscode/l10n';
import pLimit, { type LimitFunction } from 'p-limit';
import { describeError } from '../base/errors';
import { type Logger } from '../base/log';
import { renewedSession } from '../storage/sessionRecord';
import type { SessionStore, StoredAccount, StoredSession } from '../storage/store';
import { PartialRenewal, type SessionSource } from './source';
import { backoffDelay, isServable, planRefresh, plannedAt, refreshLead, type RefreshPolicy } from './policy';

export { EXPIRY_MARGIN_MS, backoffDelay, defaultPolicy, expiryMargin, isServable, planRefresh, plannedAt, refreshLead } from './policy';
export type { RefreshPolicy } from './policy';

export interface RefreshOptions {
  /** Started by the plan: needs auto-refresh on, and first gives the window that renewed last a head start. */
  readonly planned?: boolean;
  /**
   * Tokens another window renewed since this window last looked stand for this refresh while they
   * are not due: the plan, a caller that needs a valid token, a probe. Not for Refresh Now, which
   * asked for a renewal; under the lock the newest refresh token is the one it presents.
   */
  readonly adopt?: boolean;
}

export interface RefresherDeps {
  readonly store: SessionStore;
  /**
   * What renews an account's sessions: its configured provider's source, and only while that
   * provider names the issuer and client (or the service origin) the account's tokens came from.
   */
  source(account: StoredAccount): SessionSource | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: RefreshPolicy;
  readonly coordinator?: Coordinator;
  /** How the log names an account, e.g. "alice at Corp SSO". */
  describe?(account: StoredAccount): string;
  /** Called once per account when its grant is gone for good. */
  readonly onSignInNeeded?: (account: StoredAccount, message: string) => void;
  /** Called once when this window cannot see another window's newer tokens. */
  readonly onStaleWindow?: (message: string) => void;
}

export interface SchedulerState {
  /** When the timer fires next, if armed. */
  readonly timerDueAt?: number;
  /** The earliest planned refresh over all sessions. */
  readonly nextRefreshAt?: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly timers: number;
  /** Sessions in the plan (refreshable, not in flight, not yet due). */
  readonly planned: number;
  /** How many times a session's due time has been worked out, since the refresher was made. */
  readonly replanned: number;
}

export class Refresher implements Disposable {
  private readonly inFlight = new Map<string, Promise<StoredSession | undefined>>();
  /** At most `maxConcurrent` renewals at once, across every account; the rest wait their turn. */
  private readonly limit: LimitFunction;
  private maxRunning = 0;
  private timer: unknown;
  private timerDueAt?: number;
  private lastTick?: { at: number; delay: number };
  private readonly notifiedAccounts = new Set<string>();
  /**
   * No planned refresh before this time, whatever the store says: a failure whose state could not
   * be written (this window may not write at all) must not turn into a busy loop.
   */
  private readonly holdUntil = new Map<string, number>();
  /** Sessions whose last attempt could not reach the issuer at all; a probe may end their wait early. */
  private readonly unreachable = new Set<string>();
  /** Why the last attempt of each session failed, also when that could not be written down. */
  private readonly lastFailure = new Map<string, string>();
  /** When each source's origin is next checked for being back, and whether a check is under way. */
  private readonly probes = new Map<SessionSource, { at: number; running: boolean }>();
  private staleNotified = false;
  private disposed = false;
  private readonly stateChanged = new Emitter<void>();
  readonly onDidChangeState: Event<void> = this.stateChanged.event;
  private readonly finished = new Emitter<string>();
  /** Fires with the session id when a refresh attempt ends, whatever its outcome. */
  readonly onDidFinishRefresh: Event<string> = this.finished.event;
  private readonly subscription: Disposable;
  /** When each session is next due, for those that may be refreshed, are not in flight, and are not due yet. */
  private readonly plan = new Map<string, { due: number; key: string }>();
  /** The sessions of each account (by secret key) in the plan. */
  private readonly planned = new Map<string, Set<string>>();
  /**
   * The plan's earliest entry, or undefined when it must be found again. At most about 1,000
   * sessions are planned, so a scan when the earliest leaves is simpler to keep right than a heap.
   */
  private earliest?: { id: string; due: number };
  private replanned = 0;

  constructor(private readonly deps: RefresherDeps) {
    this.limit = pLimit(deps.policy.maxConcurrent);
    this.subscription = deps.store.onDidChange((e) => (e.keys ? this.replan(e.keys) : this.replanAll()));
  }

  start(): void {
    this.replanAll();
  }

  isRefreshing(sessionId: string): boolean {
    return this.inFlight.has(sessionId);
  }

  /** No planned refresh of the session before this time: a hold placed after its last attempt. */
  heldUntil(sessionId: string): number | undefined {
    return this.holdUntil.get(sessionId);
  }

  state(): SchedulerState {
    return {
      timerDueAt: this.timerDueAt,
      nextRefreshAt: this.earliestDue(),
      inFlight: this.limit.activeCount,
      maxInFlight: this.maxRunning,
      timers: this.timer === undefined ? 0 : 1,
      planned: this.plan.size,
      replanned: this.replanned,
    };
  }

  /**
   * The session with a token that is valid now, renewed first if it expired or is about to.
   * Undefined when the account needs a new sign-in. Throws an Offline error when the token cannot
   * be renewed right now (issuer unreachable, in backoff, or slower than the inline wait): the
   * account is still signed in, and callers must be able to tell that from "signed out".
   * Callers never start more than one network attempt per backoff step.
   */
  async ensureFresh(sessionId: string): Promise<StoredSession | undefined> {
    const found = this.deps.store.find(sessionId);
    if (!found || found.session.refresh.needsSignIn) return undefined;
    const usable = (s: StoredSession | undefined) => (s && isServable(s, this.deps.clock.now()) ? s : undefined);
    if (usable(found.session)) return found.session;
    if (!isRenewable(found.session)) return undefined;
    if (!found.session.refresh.autoRefresh) {
      throw new SessionKeeperError(
        ErrorCode.AutoRefreshOff,
        l10n.t(
          'Auto-refresh is off for {0}, and its token has expired. Use Refresh Now, or turn auto-refresh on.',
          found.account.account.label,
        ),
      );
    }
    if (!this.inFlight.has(sessionId) && this.waitingOut(found.session)) throw this.offline(found.session);
    let timer: unknown;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.deps.clock.setTimeout(() => resolve('timeout'), this.deps.policy.inlineWaitMs);
    });
    try {
      const result = await Promise.race([this.refresh(sessionId, { adopt: true }), timeout]);
      const now = this.deps.store.find(sessionId)?.session;
      if (!now || now.refresh.needsSignIn) return undefined;
      const fresh = usable(result === 'timeout' ? now : result);
      if (fresh) return fresh;
      throw this.offline(now);
    } finally {
      this.deps.clock.clearTimeout(timer);
    }
  }

  /** The token expired and cannot be renewed right now; the account is still signed in. */
  private offline(s: StoredSession): SessionKeeperError {
    const why = this.lastFailure.get(s.id) ?? s.refresh.lastError ?? l10n.t('The identity provider did not answer in time.');
    return new SessionKeeperError(ErrorCode.Offline, why);
  }

  /** Whether a session is waiting out a backoff step after a failed attempt. */
  private waitingOut(s: StoredSession): boolean {
    if (s.refresh.consecutiveFailures === 0) return false;
    const now = this.deps.clock.now();
    const hold = this.holdUntil.get(s.id);
    return (hold !== undefined && hold > now) || (s.refresh.nextRefreshAt !== undefined && s.refresh.nextRefreshAt > now);
  }

  /**
   * Refreshes one session; concurrent callers share the same refresh. A planned refresh first
   * gives the window that renewed last a head start, so windows do not race for the same token.
   * Without options (Refresh Now) it renews, whatever another window did meanwhile.
   */
  refresh(sessionId: string, options: RefreshOptions = {}): Promise<StoredSession | undefined> {
    let p = this.inFlight.get(sessionId);
    if (!p) {
      p = this.runRefresh(sessionId, options).finally(() => {
        this.inFlight.delete(sessionId);
        // An attempt that leaves the session due (whatever the reason) waits for the heartbeat,
        // so no path can turn into a loop that starves the extension host.
        const after = this.deps.store.find(sessionId)?.session;
        if (after && this.isDue(after)) this.holdUntil.set(sessionId, this.deps.clock.now() + this.deps.policy.heartbeatMs);
        this.stateChanged.fire();
        this.finished.fire(sessionId);
        const key = this.deps.store.find(sessionId)?.key;
        if (key !== undefined) this.replan([key]);
        else this.arm();
      });
      this.unplan(sessionId);
      this.inFlight.set(sessionId, p);
      this.stateChanged.fire();
    }
    return p;
  }

  dispose(): void {
    this.disposed = true;
    this.subscription.dispose();
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stateChanged.dispose();
    this.finished.dispose();
  }

  /** Re-plans every session: at start, after a configuration change, a reload, or sleep. */
  private replanAll(woke = false): void {
    if (this.disposed) return;
    this.plan.clear();
    this.planned.clear();
    this.earliest = undefined;
    for (const [key] of [...this.deps.store.entries()]) this.planAccount(key, woke);
    this.arm();
  }

  /** Re-plans the sessions of the accounts that changed, and nothing else. */
  private replan(keys: Iterable<string>): void {
    if (this.disposed) return;
    for (const key of keys) this.planAccount(key, false);
    this.arm();
  }

  /** Starts the account's due refreshes and puts its other sessions in the plan. */
  private planAccount(key: string, woke: boolean): void {
    for (const id of this.planned.get(key) ?? []) this.dropFromPlan(id);
    this.planned.delete(key);
    const account = this.deps.store.account(key);
    if (!account) return;
    // An account signed in again may end again later, and then deserves a new notice.
    if (!account.sessions.some((s) => s.refresh.needsSignIn)) this.notifiedAccounts.delete(`${account.providerId}/${account.account.id}`);
    // Only with the source of the issuer and client the tokens came from; the others wait.
    if (!this.deps.source(account)) return;
    const now = this.deps.clock.now();
    const ids = new Set<string>();
    for (const s of account.sessions) {
      if (this.inFlight.has(s.id) || !canRefresh(s)) continue;
      const due = this.dueAt(s, woke);
      if (due === undefined) continue;
      this.replanned++;
      if (due <= now) {
        void this.refresh(s.id, { planned: true, adopt: true }).catch(() => undefined);
        continue;
      }
      this.dropFromPlan(s.id);
      this.plan.set(s.id, { due, key });
      if (this.earliest && due < this.earliest.due) this.earliest = { id: s.id, due };
      ids.add(s.id);
    }
    if (ids.size) this.planned.set(key, ids);
  }

  /** Takes a session out of the plan (its refresh starts). */
  private unplan(sessionId: string): void {
    const entry = this.plan.get(sessionId);
    if (!entry) return;
    this.dropFromPlan(sessionId);
    this.planned.get(entry.key)?.delete(sessionId);
  }

  /** Removes a session from the plan, and forgets the cached earliest if it was that one. */
  private dropFromPlan(sessionId: string): void {
    this.plan.delete(sessionId);
    if (this.earliest?.id === sessionId) this.earliest = undefined;
  }

  /** The earliest planned refresh, found by one scan of the plan when the cached one left. */
  private earliestEntry(): { id: string; due: number } | undefined {
    if (!this.earliest) for (const [id, { due }] of this.plan) if (!this.earliest || due < this.earliest.due) this.earliest = { id, due };
    return this.earliest;
  }

  private earliestDue(): number | undefined {
    return this.earliestEntry()?.due;
  }

  /**
   * Sets the one timer for the earliest planned refresh or probe, at most a heartbeat away. A timer
   * already set to fire no later stays: firing early only re-plans, and its drift check still holds.
   */
  private arm(): void {
    if (this.disposed) return;
    const now = this.deps.clock.now();
    let next = this.earliestDue();
    // One reachability check per unreachable origin, on the same timer.
    const probing = new Set<SessionSource>();
    for (const id of this.unreachable) {
      const entry = this.plan.get(id);
      const account = entry && this.deps.store.account(entry.key);
      const source = account && this.deps.source(account);
      if (source) probing.add(source);
    }
    for (const source of [...this.probes.keys()]) if (!probing.has(source)) this.probes.delete(source);
    for (const source of probing) {
      const probe = this.probes.get(source) ?? { at: now + this.deps.policy.probeIntervalMs, running: false };
      this.probes.set(source, probe);
      if (probe.running) continue;
      if (probe.at <= now) void this.probe(source);
      else if (next === undefined || probe.at < next) next = probe.at;
    }
    const wait = next === undefined || !Number.isFinite(next) ? Infinity : next - now;
    const delay = Math.max(0, Math.min(this.deps.policy.heartbeatMs, wait));
    if (this.timer !== undefined && this.timerDueAt !== undefined && this.timerDueAt <= now + delay) return;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timerDueAt = now + delay;
    this.lastTick = { at: now, delay };
    this.timer = this.deps.clock.setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDueAt = undefined;
    const now = this.deps.clock.now();
    const planned = this.lastTick ? this.lastTick.at + this.lastTick.delay : now;
    // Timers stop while the machine sleeps; the wall clock does not. Either direction is a jump.
    const drift = now - planned;
    if (Math.abs(drift) > this.deps.policy.wakeThresholdMs) {
      this.deps.logger.info(
        `The clock moved ${Math.round(drift / 1000)} s past the plan (sleep or clock change); re-evaluating every session`,
      );
      this.replanAll(true);
      return;
    }
    for (let next = this.earliestEntry(); next !== undefined && next.due <= now; next = this.earliestEntry()) {
      const { id } = next;
      this.unplan(id);
      void this.refresh(id, { planned: true, adopt: true }).catch(() => undefined);
    }
    this.arm();
  }

  /** Checks, without any token, whether an origin answers again; if so its waiting sessions renew at once. */
  private async probe(source: SessionSource): Promise<void> {
    const probe = this.probes.get(source);
    if (!probe) return;
    probe.running = true;
    const back = await source.reachable();
    probe.running = false;
    probe.at = this.deps.clock.now() + this.deps.policy.probeIntervalMs;
    if (this.disposed) return;
    if (back) {
      this.probes.delete(source);
      for (const id of [...this.unreachable]) {
        const found = this.deps.store.find(id);
        if (!found || this.deps.source(found.account) !== source) continue;
        this.unreachable.delete(id);
        this.holdUntil.delete(id);
        const label = this.deps.describe?.(found.account) ?? found.account.account.label;
        this.deps.logger.info(`${source.origin} answers again; renewing the session of ${label} now`);
        void this.refresh(id, { adopt: true }).catch(() => undefined);
      }
    }
    this.arm();
  }

  private dueAt(s: StoredSession, woke: boolean): number | undefined {
    // After a wake-up, a session waiting out a backoff is retried at once.
    if (woke && s.refresh.consecutiveFailures > 0) {
      this.holdUntil.delete(s.id);
      return this.deps.clock.now();
    }
    return plannedAt(s, this.deps.policy.leadMs, this.holdUntil.get(s.id));
  }

  private async runRefresh(sessionId: string, options: RefreshOptions): Promise<StoredSession | undefined> {
    if (options.planned) await this.yieldToLastWriter(sessionId);
    return this.limit(() => {
      this.maxRunning = Math.max(this.maxRunning, this.limit.activeCount);
      return this.refreshLocked(sessionId, options);
    });
  }

  private async refreshLocked(sessionId: string, { planned = false, adopt = false }: RefreshOptions): Promise<StoredSession | undefined> {
    const { store, coordinator, logger, clock } = this.deps;
    // A planned refresh needs auto-refresh on; an explicit one (Refresh Now, a caller) only a way to renew.
    const may = planned ? canRefresh : isRenewable;
    const found = store.find(sessionId);
    if (!found || !may(found.session)) return found?.session;
    const source = this.deps.source(found.account);
    if (!source) return found.session;
    const { key } = found;
    const label = this.deps.describe?.(found.account) ?? `${found.account.account.label} (${found.account.providerId})`;
    const work = async (): Promise<StoredSession | undefined> => {
      // Another window may have renewed this session since this window last looked.
      await store.syncWithOtherWindows();
      const current = store.find(sessionId);
      if (!current || !may(current.session)) return current?.session;
      // The configuration may have changed while this refresh waited: the binding is checked again.
      if (this.deps.source(current.account) !== source) return current.session;
      if (adopt && renewedElsewhere(found.session, current.session) && !this.isDue(current.session)) {
        const next = current.session.refresh.nextRefreshAt;
        const when = next === undefined ? 'no renewal planned' : `next renewal in ${Math.round((next - clock.now()) / 1000)} s`;
        logger.info(`Took the tokens another window renewed for ${label} instead of renewing them again; ${when}`);
        return current.session;
      }
      const started = clock.now();
      const tokens = await source.renew(current.session, current.account);
      const failuresBefore = current.session.refresh.consecutiveFailures;
      const nextRefreshAt = planRefresh(started, tokens.expiresAt, this.deps.policy.leadMs, clock.random);
      const next = await store.updateSession(sessionId, (s) => renewedSession(s, tokens, started, nextRefreshAt));
      this.holdUntil.delete(sessionId);
      this.unreachable.delete(sessionId);
      this.lastFailure.delete(sessionId);
      const validity = tokens.expiresAt ? `valid for ${Math.round((tokens.expiresAt - clock.now()) / 1000)} s` : 'no expiry given';
      if (failuresBefore > 0) logger.info(`Renewed the session of ${label} again after ${failuresBefore} failed attempt(s); ${validity}`);
      else logger.info(`Refreshed the session of ${label}; ${validity}`);
      return next;
    };
    try {
      return await (coordinator ? coordinator.withLock(lockNameForAccount(key), work) : work());
    } catch (err) {
      return this.failed(sessionId, label, found.account, err);
    }
  }

  private async yieldToLastWriter(sessionId: string): Promise<void> {
    const { coordinator, store, clock, policy } = this.deps;
    const found = store.find(sessionId);
    if (!coordinator || !found || found.session.expiresAt === undefined) return;
    const { key } = found;
    const record = await coordinator.generation(key).catch(() => undefined);
    if (!record?.writer || record.writer === coordinator.id) return;
    const lifetime = found.session.expiresAt - (found.session.refresh.lastRefreshAt ?? found.session.createdAt);
    const lead = refreshLead(lifetime, policy.leadMs);
    // Well before expiry: the other window has a quarter of the lead time to do it first.
    const delay = Math.min(policy.followerDelayMs, lead / 4, Math.max(0, found.session.expiresAt - clock.now() - lead / 2));
    if (delay > 0) await sleep(clock, delay);
  }

  private isDue(s: StoredSession): boolean {
    const due = this.dueAt(s, false);
    return due !== undefined && due <= this.deps.clock.now();
  }

  private async failed(sessionId: string, label: string, account: StoredAccount, err: unknown): Promise<StoredSession | undefined> {
    const { store, logger, clock, policy } = this.deps;
    const e = findSessionKeeperError(err);
    this.lastFailure.set(sessionId, e?.message ?? describeError(err));
    if (e?.code === ErrorCode.StaleWindow) {
      // Looked at again on the heartbeat: desktop windows catch up once SecretStorage tells them.
      this.holdUntil.set(sessionId, clock.now() + policy.heartbeatMs);
      logger.warn(`Not refreshing ${label}: ${e.message}`);
      if (!this.staleNotified) {
        this.staleNotified = true;
        this.deps.onStaleWindow?.(e.message);
      }
      return store.find(sessionId)?.session;
    }
    const message = e?.message ?? describeError(err);
    // Only a refused grant ends a session; anything else (an outage, a gateway, an unexpected or
    // unreadable answer, an error of our own) keeps it and is retried.
    const transient = e ? e.transient : true;
    try {
      if (transient) {
        const before = store.find(sessionId)?.session.refresh;
        const failures = (before?.consecutiveFailures ?? 0) + 1;
        const delay = backoffDelay(failures, policy, clock.random, e?.retryAfterSeconds);
        this.holdUntil.set(sessionId, clock.now() + delay);
        if (e?.network) this.unreachable.add(sessionId);
        else this.unreachable.delete(sessionId);
        // One line per change of state, not per attempt: a long outage is not a wall of warnings.
        const line = `Refreshing ${label} failed (${message}); keeping the session, attempt ${failures}, next in ${Math.round(delay / 1000)} s`;
        if (failures === 1 || before?.lastError !== message) logger.warn(line);
        else logger.debug(line);
        // What the origin already replaced (a rotated cookie) is kept: the old values are dead there.
        const kept = e instanceof PartialRenewal ? { endpoint: e.endpoint, ...(e.accessToken && { accessToken: e.accessToken }) } : {};
        return await store.updateSession(sessionId, (s) => ({
          ...s,
          ...kept,
          refresh: { ...s.refresh, consecutiveFailures: failures, lastError: message, nextRefreshAt: clock.now() + delay },
        }));
      }
      this.holdUntil.set(sessionId, clock.now() + policy.maxBackoffMs);
      logger.error(`Refreshing ${label} failed for good (${message}); that session needs a new sign-in`);
      const ended = await store.updateSession(sessionId, (s) => ({
        ...s,
        refresh: {
          ...s.refresh,
          needsSignIn: true,
          lastError: message,
          nextRefreshAt: undefined,
          consecutiveFailures: s.refresh.consecutiveFailures + 1,
        },
      }));
      const accountId = `${account.providerId}/${account.account.id}`;
      if (!this.notifiedAccounts.has(accountId)) {
        this.notifiedAccounts.add(accountId);
        this.deps.onSignInNeeded?.(account, message);
      }
      return ended;
    } catch (writeErr) {
      logger.warn(`Could not record the refresh failure of ${label}: ${describeError(writeErr)}`);
      return store.find(sessionId)?.session;
    }
  }
}

/** Whether another window renewed the session since `before` was read: its renewal credential changed. */
function renewedElsewhere(before: StoredSession, now: StoredSession): boolean {
  if (now.refreshToken !== before.refreshToken) return true;
  return now.endpoint !== undefined && (now.refresh.lastRefreshAt ?? 0) > (before.refresh.lastRefreshAt ?? 0);
}
