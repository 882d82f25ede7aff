// storage/: sessions in SecretStorage, and coordination between windows through shared files.
// Session storage in SecretStorage: one secret per account plus an index of account keys.
// Records are versioned, unknown fields survive a rewrite, corrupt records are set aside, and
// every change goes through one queue so concurrent sign-ins lose nothing.
import { createHash } from 'node:crypto';
import { STORAGE_PREFIX } from '../../contributions';
import type { ChangeMarker, Coordinator, GenerationRecord } from './coordination';
import { ErrorCode, SessionKeeperError } from '../base/errors';
import { Emitter, type Event } from '../base/events';
import * as l10n from '@vscode/l10n';
import { describeError } from '../base/errors';
import { redactor } from '../base/redact';
import { type Logger } from '../base/log';
import { normalizeScopes } from '../base/scopes';
import type { EndpointValues } from '../kinds/endpoint/declaration';

/** The subset of vscode.SecretStorage the store uses. */
export interface SecretStorageLike {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
  /** Every key, in hosts that can list them; absent in older ones. */
  keys?(): PromiseLike<string[]>;
}

/** The subset of vscode.Memento used to mirror the index (account keys only, never tokens). */
export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const SCHEMA_VERSION = 2;
const PREFIX = STORAGE_PREFIX;
export const INDEX_KEY = `${PREFIX}.index`;
const MIRROR_KEY = `${PREFIX}.accountKeys`;
const QUARANTINE_PREFIX = `${PREFIX}.quarantine`;
/** The records set aside, with when and whether their revocation is settled (keys only, never token material). */
const SET_ASIDE_KEY = `${PREFIX}.setAside`;

/** A record the store set aside as damaged, as the list in global state knows it. */
export interface SetAsideEntry {
  /** Its secret key: `sessionKeeper.quarantine/<epoch ms>/<the key it had>`. */
  readonly key: string;
  /** When it was set aside (epoch ms). */
  readonly at: number;
  /** Its refresh tokens were revoked, or there was nothing to revoke or nowhere to revoke it. */
  readonly settled: boolean;
}

/** What can still be read from a set-aside record: where it came from, and the refresh tokens it holds. */
export interface SetAsideContent {
  readonly binding?: { readonly issuer: string; readonly clientId?: string; readonly kind?: unknown };
  /** The account (subject) it held, when readable. */
  readonly accountId?: string;
  readonly refreshTokens: readonly string[];
}

export interface RefreshState {
  lastRefreshAt?: number;
  nextRefreshAt?: number;
  refreshCount: number;
  consecutiveFailures: number;
  /** Redacted, user-readable. */
  lastError?: string;
  autoRefresh: boolean;
  /** The issuer refused the refresh token for good; only a new sign-in helps. */
  needsSignIn?: boolean;
}

export interface StoredSession {
  readonly id: string;
  /** Granted scopes, normalized. */
  readonly scopes: string[];
  readonly accessToken: string;
  readonly tokenType: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Epoch ms; undefined when the issuer did not say. */
  readonly expiresAt?: number;
  readonly createdAt: number;
  readonly refresh: RefreshState;
  /** An endpoint session's values and cookies (all secret); absent for OAuth sessions. */
  readonly endpoint?: EndpointValues;
  readonly [unknown: string]: unknown;
}

/** The kinds of session a record holds (schema 2); version 1 records were all OAuth. */
export type SessionKind = 'oauth' | 'endpoint';

export interface StoredAccount {
  readonly v: number;
  readonly kind: SessionKind;
  readonly providerId: string;
  /** The issuer and client the tokens came from: the only place they are ever sent back to. */
  readonly issuer: string;
  /** Absent in records written before sessions were bound to their client; those match by issuer. */
  readonly clientId?: string;
  readonly account: { readonly id: string; readonly label: string };
  readonly sessions: readonly StoredSession[];
  /** Increases with every write of this record. */
  readonly generation: number;
  readonly [unknown: string]: unknown;
}

/** Migrations from version N to N+1, applied in order on read. */
export type Migrations = Record<number, (record: Record<string, unknown>) => Record<string, unknown>>;

export const defaultMigrations: Migrations = {
  // 1 → 2: records say which kind of session they hold; every version 1 record was OAuth.
  1: (record) => ({ ...record, kind: 'oauth' }),
};

export interface StoreChange {
  readonly providerIds: ReadonlySet<string>;
  /** The accounts (secret keys) that changed; undefined when any may have (a reload). */
  readonly keys?: ReadonlySet<string>;
}

/** A window checks every generation record at least this often, even when the change marker says nothing changed. */
export const FULL_CHECK_MS = 60_000;

/** Where a session may be used: the issuer and client that issued it. */
export interface Binding {
  readonly issuer: string;
  readonly clientId: string;
}

/**
 * Whether an account's tokens belong to this issuer and client (and so may be sent there). With a
 * kind, the account must hold that kind of session too: an OAuth grant is never offered to an
 * endpoint at the same origin, nor a kind this version does not know to either.
 */
export function isBoundTo(account: StoredAccount, binding: Binding & { readonly kind?: SessionKind }): boolean {
  return (
    account.issuer === binding.issuer &&
    (account.clientId === undefined || account.clientId === binding.clientId) &&
    (binding.kind === undefined || account.kind === binding.kind)
  );
}

/**
 * The secret key of an account. The same subject at another issuer or client is another account,
 * so the binding is part of the key; records written before that keep their shorter key.
 */
export function accountKey(providerId: string, accountId: string, binding?: Binding): string {
  const base = `${PREFIX}.account/${encodeURIComponent(providerId)}/${encodeURIComponent(accountId)}`;
  return binding ? `${base}/${bindingTag(binding)}` : base;
}

function bindingTag(binding: Binding): string {
  return createHash('sha256').update(`${binding.issuer}\n${binding.clientId}`).digest('hex').slice(0, 16);
}

export class SessionStore {
  private records = new Map<string, StoredAccount>();
  /** Which account holds each session, so a lookup by session id does not scan every account. */
  private sessionKeys = new Map<string, string>();
  /** The change marker at this window's last full check that found it current, while nothing changed since. */
  private seenMarker?: ChangeMarker;
  private lastFullCheck = -Infinity;
  /** Keys whose secret could not be read this time; they stay in the index. */
  private unreadable = new Set<string>();
  /** What this window last wrote or read under each key, to tell its own changes from others'. */
  private readonly written = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly changed = new Emitter<StoreChange>();
  readonly onDidChange: Event<StoreChange> = this.changed.event;

  constructor(
    private readonly secrets: SecretStorageLike,
    private readonly mirror: MementoLike,
    private readonly logger: Logger,
    private readonly options: {
      now?: () => number;
      migrations?: Migrations;
      schemaVersion?: number;
      onQuarantine?: (message: string) => void;
      /** Cross-window locks and generation records; without it the store trusts it is alone. */
      coordinator?: Coordinator;
    } = {},
  ) {}

  /** True once another window changed sessions this window cannot see; writes are refused then. */
  stale = false;

  private get version(): number {
    return this.options.schemaVersion ?? SCHEMA_VERSION;
  }

  /** Reads the index and every account. Bad records are set aside; unreadable ones skipped for now. */
  load(): Promise<void> {
    return this.exclusive(() => this.loadNow());
  }

  /**
   * Reads everything into new maps and swaps them in at once: a caller asking in between still sees
   * the previous state, never a half-loaded store (where a signed-in account would look signed out).
   */
  private async loadNow(): Promise<void> {
    const keys = await this.readIndex();
    const records = new Map<string, StoredAccount>();
    const unreadable = new Set<string>();
    for (const key of keys) {
      const record = await this.readAccount(key, unreadable);
      if (record) records.set(key, record);
    }
    const providers = new Set<string>();
    for (const [key, record] of records) if (this.records.get(key) !== record) providers.add(record.providerId);
    for (const [key, record] of this.records) if (!records.has(key)) providers.add(record.providerId);
    this.records = records;
    this.sessionKeys = new Map();
    for (const [key, record] of records) for (const s of record.sessions) this.sessionKeys.set(s.id, key);
    this.unreadable = unreadable;
    if (providers.size) this.changed.fire({ providerIds: providers });
  }

  /**
   * Another window (desktop VS Code shares SecretStorage) may have changed this key: reloads
   * unless the stored value is the one this window wrote.
   */
  secretChanged(key: string): Promise<void> {
    return this.exclusive(async () => {
      if (key !== INDEX_KEY && !key.startsWith(`${PREFIX}.account/`)) return;
      let raw: string | undefined;
      try {
        raw = await this.secrets.get(key);
      } catch {
        raw = undefined;
      }
      if (raw !== undefined && raw === this.written.get(key)) return;
      await this.loadNow();
    });
  }

  /**
   * Makes sure this window has seen every other window's writes, re-reading SecretStorage if
   * not (desktop shares it between windows). Throws StaleWindow when the host keeps a separate
   * copy per window and another window is ahead: then this window must not refresh or write.
   */
  syncWithOtherWindows(): Promise<void> {
    return this.exclusive(async () => {
      await this.ensureCurrent();
    });
  }

  /**
   * Cheap when nothing changed: one read of the change marker. When it changed (or the last full
   * check is FULL_CHECK_MS old), every generation record is read and compared.
   */
  private async ensureCurrent(force = false): Promise<void> {
    const coordinator = this.options.coordinator;
    if (!coordinator) return;
    const marker = await coordinator.changeMarker();
    const now = this.now();
    if (!force && marker && marker.id === this.seenMarker?.id && now - this.lastFullCheck < FULL_CHECK_MS) return;
    this.seenMarker = undefined;
    let records = await coordinator.generations();
    if (this.behind(records)) {
      await this.loadNow();
      records = await coordinator.generations();
      if (this.behind(records)) {
        if (!this.stale) {
          this.stale = true;
          this.logger.warn(
            'Another window changed sessions that this window cannot read; this window stops refreshing and writing until it is reloaded',
          );
          this.changed.fire({ providerIds: new Set([...this.records.values()].map((r) => r.providerId)) });
        }
        throw staleWindowError();
      }
      this.stale = false;
    }
    // The marker read before the scan stands for it only if the write it announces had landed by
    // then; otherwise that write was under way (or its window died), and the next call looks again.
    const announced = marker && records.find((r) => r.key === marker.key);
    if (marker && announced && announced.generation >= marker.generation) {
      this.seenMarker = marker;
      this.lastFullCheck = now;
    }
  }

  /**
   * Before writing one account: its own generation record, read alone. Newer than what this
   * window holds means another window wrote it: a full check, which reloads or refuses. Returns
   * the generation the record has reached (a removed account's too), the floor for the next one.
   */
  private async generationFloor(key: string): Promise<number> {
    const coordinator = this.options.coordinator;
    if (!coordinator) return 0;
    const record = await coordinator.generation(key);
    if (record && this.behind([record])) {
      await this.ensureCurrent(true);
      return Math.max(record.generation, (await coordinator.generation(key))?.generation ?? 0);
    }
    return record?.generation ?? 0;
  }

  /** Writes a generation record; a window that was current before it still is after it (the write lock is held). */
  private async recordGeneration(key: string, generation: number, removed: boolean): Promise<void> {
    const coordinator = this.options.coordinator;
    if (!coordinator) return;
    const current = this.seenMarker !== undefined;
    this.seenMarker = undefined;
    const marker = await coordinator.record(key, generation, removed);
    if (current) this.seenMarker = marker;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private behind(records: readonly GenerationRecord[]): boolean {
    return records.some((g) => {
      if (this.unreadable.has(g.key)) return false;
      const held = this.records.get(g.key);
      return g.removed ? held !== undefined && held.generation < g.generation : (held?.generation ?? 0) < g.generation;
    });
  }

  /** Runs a write with the cross-window write lock held and this window known to be current. */
  private write<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      const run = async () => {
        await this.ensureCurrent();
        return fn();
      };
      return this.options.coordinator ? this.options.coordinator.withLock('store', run) : run();
    });
  }

  accounts(providerId?: string): StoredAccount[] {
    return [...this.records.values()].filter((r) => providerId === undefined || r.providerId === providerId);
  }

  /** Finds a session by id, with its account and the account's secret key. */
  find(sessionId: string): { key: string; account: StoredAccount; session: StoredSession } | undefined {
    const key = this.sessionKeys.get(sessionId);
    const account = key === undefined ? undefined : this.records.get(key);
    const session = account?.sessions.find((s) => s.id === sessionId);
    return session && { key: key!, account: account!, session };
  }

  /** A session by id (find without the account). */
  session(sessionId: string): StoredSession | undefined {
    const key = this.sessionKeys.get(sessionId);
    const sessions = key === undefined ? undefined : this.records.get(key)?.sessions;
    if (sessions) for (const s of sessions) if (s.id === sessionId) return s;
    return undefined;
  }

  /** Every account with its secret key. */
  entries(): IterableIterator<[string, StoredAccount]> {
    return this.records.entries();
  }

  /** An account by its secret key. */
  account(key: string): StoredAccount | undefined {
    return this.records.get(key);
  }

  /**
   * Saves a session for an account. A session of the same account with the same granted scopes
   * is replaced (a new sign-in supersedes it); returns the replaced session, if any.
   */
  putSession(
    providerId: string,
    /** The issuer and client the tokens came from; a bare issuer leaves the record unbound to a client. */
    where: Binding | string,
    account: { id: string; label: string },
    session: StoredSession,
  ): Promise<StoredSession | undefined> {
    const binding = typeof where === 'string' ? { issuer: where, clientId: undefined } : where;
    const heldKey = () => {
      const held = [...this.records].find(
        ([, r]) =>
          r.providerId === providerId &&
          r.account.id === account.id &&
          r.issuer === binding.issuer &&
          (r.clientId === undefined || r.clientId === binding.clientId),
      );
      return (
        held?.[0] ??
        accountKey(providerId, account.id, binding.clientId === undefined ? undefined : { ...binding, clientId: binding.clientId })
      );
    };
    return this.write(async () => {
      let key = heldKey();
      let floor = await this.generationFloor(key);
      // A reload may have brought in the account under another key.
      if (heldKey() !== key) {
        key = heldKey();
        floor = await this.generationFloor(key);
      }
      const existing = this.records.get(key);
      const scopes = normalizeScopes(session.scopes).join(' ');
      const replaced = existing?.sessions.find((s) => normalizeScopes(s.scopes).join(' ') === scopes);
      const sessions = [...(existing?.sessions ?? []).filter((s) => s !== replaced), session];
      const record: StoredAccount = {
        ...existing,
        v: Math.max(existing?.v ?? 0, this.version),
        kind: session.endpoint ? 'endpoint' : 'oauth',
        providerId,
        issuer: binding.issuer,
        ...(binding.clientId === undefined ? {} : { clientId: binding.clientId }),
        account: { ...existing?.account, id: account.id, label: account.label },
        sessions,
        // Generations only grow, also across a sign-out and a new sign-in of the same account.
        generation: Math.max(existing?.generation ?? 0, floor) + 1,
      };
      await this.writeAccount(key, record);
      if (!existing) await this.writeIndex({ add: key });
      this.changed.fire({ providerIds: new Set([providerId]), keys: new Set([key]) });
      return replaced;
    });
  }

  /** A session as it stands once this window has caught up with its account's generation record. */
  private async findCurrent(sessionId: string): Promise<ReturnType<SessionStore['find']>> {
    const before = this.find(sessionId);
    if (!before) return undefined;
    await this.generationFloor(before.key);
    return this.find(sessionId);
  }

  /** Rewrites one session (after a refresh, or to record refresh state). */
  updateSession(sessionId: string, update: (s: StoredSession) => StoredSession): Promise<StoredSession | undefined> {
    return this.write(async () => {
      const found = await this.findCurrent(sessionId);
      if (!found) return undefined;
      const next = update(found.session);
      const { key } = found;
      const record: StoredAccount = {
        ...found.account,
        sessions: found.account.sessions.map((s) => (s.id === sessionId ? next : s)),
        generation: found.account.generation + 1,
      };
      await this.writeAccount(key, record);
      this.changed.fire({ providerIds: new Set([found.account.providerId]), keys: new Set([key]) });
      return next;
    });
  }

  /** Removes a session; the account's secret goes when its last session does. */
  removeSession(sessionId: string): Promise<StoredSession | undefined> {
    return this.write(async () => {
      const found = await this.findCurrent(sessionId);
      if (!found) return undefined;
      const { key } = found;
      const sessions = found.account.sessions.filter((s) => s.id !== sessionId);
      if (sessions.length) {
        await this.writeAccount(key, { ...found.account, sessions, generation: found.account.generation + 1 });
      } else {
        await this.secrets.delete(key);
        this.written.delete(key);
        this.records.delete(key);
        this.sessionKeys.delete(sessionId);
        await this.recordGeneration(key, found.account.generation + 1, true);
        await this.writeIndex({ remove: key });
      }
      this.changed.fire({ providerIds: new Set([found.account.providerId]), keys: new Set([key]) });
      return found.session;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readIndex(): Promise<string[]> {
    const mirrored = this.mirror.get<string[]>(MIRROR_KEY) ?? [];
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(INDEX_KEY);
    } catch (err) {
      this.logger.warn(`The session index could not be read from the keychain (${describeError(err)}); using the last known account list`);
      return mirrored;
    }
    if (raw === undefined) return mirrored;
    try {
      const parsed = JSON.parse(raw) as { v?: unknown; accounts?: unknown };
      if (!Array.isArray(parsed.accounts) || parsed.accounts.some((k) => typeof k !== 'string')) throw new Error('no account list');
      // Keys known from either side: a window that wrote only one of them loses nothing.
      return [...new Set([...(parsed.accounts as string[]), ...mirrored])];
    } catch (err) {
      await this.quarantine(INDEX_KEY, raw, describeError(err));
      return mirrored;
    }
  }

  private async readAccount(key: string, unreadable: Set<string>): Promise<StoredAccount | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.secrets.get(key);
    } catch (err) {
      // Unreadable is not corrupt: a locked keychain may open later. Keep it listed.
      this.logger.warn(`An account could not be read from the keychain (${describeError(err)}); it is kept and retried later`);
      unreadable.add(key);
      return undefined;
    }
    if (raw === undefined) return undefined;
    this.written.set(key, raw);
    try {
      const record = repairTimes(this.migrate(JSON.parse(raw)));
      validateAccount(record);
      for (const s of record.sessions) {
        redactor.add(s.accessToken);
        redactor.add(s.refreshToken);
        redactor.add(s.idToken);
        for (const value of endpointSecrets(s)) redactor.add(value);
      }
      return record;
    } catch (err) {
      await this.quarantine(key, raw, describeError(err));
      return undefined;
    }
  }

  private migrate(value: unknown): StoredAccount {
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    let record = value as Record<string, unknown>;
    let v = typeof record.v === 'number' ? record.v : 0;
    const migrations = this.options.migrations ?? defaultMigrations;
    while (v < this.version) {
      const step = migrations[v];
      if (!step) throw new Error(`no migration from schema version ${v}`);
      record = { ...step(record), v: v + 1 };
      v++;
    }
    return record as unknown as StoredAccount;
  }

  /**
   * Moves a bad record aside under its own key, and says so once. It stays there for a bounded time
   * (storage/setAside.ts revokes what it holds where it can, then removes it).
   */
  private async quarantine(key: string, raw: string, reason: string): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const aside = `${QUARANTINE_PREFIX}/${now}/${key}`;
    try {
      await this.secrets.store(aside, raw);
      await this.mirror.update(SET_ASIDE_KEY, [
        ...this.setAsideList().filter((e) => e.key !== aside),
        { key: aside, at: now, settled: false },
      ]);
      await this.secrets.delete(key);
    } catch (err) {
      this.logger.error(`Could not set aside a damaged record: ${describeError(err)}`);
    }
    this.logger.warn(`A damaged record was set aside as ${aside} (${reason}); other accounts are unaffected`);
    this.options.onQuarantine?.(
      key === INDEX_KEY
        ? l10n.t('Session Keeper found its account list damaged and rebuilt it. No account was removed.')
        : l10n.t(
            'Session Keeper found a damaged saved sign-in for {0} and set it aside. Sign in to that account again; other accounts are unaffected.',
            describeKey(key),
          ),
    );
  }

  /**
   * Every record set aside: those the list in global state names, and (where SecretStorage can list
   * its keys) those an earlier version set aside without one.
   */
  setAside(): Promise<SetAsideEntry[]> {
    return this.exclusive(async () => {
      const entries = new Map(this.setAsideList().map((e) => [e.key, e]));
      let keys: string[] = [];
      try {
        keys = (await this.secrets.keys?.()) ?? [];
      } catch {
        // Listing is a bonus; the list in global state still holds what this version set aside.
      }
      for (const key of keys) {
        const at = setAsideTime(key);
        if (at !== undefined && !entries.has(key)) entries.set(key, { key, at, settled: false });
      }
      return [...entries.values()].sort((x, y) => x.at - y.at);
    });
  }

  /** Where a set-aside record came from and the refresh tokens it holds, as far as it can still be read. */
  readSetAside(key: string): Promise<SetAsideContent | undefined> {
    return this.exclusive(async () => {
      const raw = await this.secrets.get(key);
      return raw === undefined ? undefined : setAsideContent(raw);
    });
  }

  /** Notes that a set-aside record's revocation is settled, so it is not attempted again. */
  settleSetAside(key: string, at: number): Promise<void> {
    return this.exclusive(async () => {
      await this.mirror.update(SET_ASIDE_KEY, [...this.setAsideList().filter((e) => e.key !== key), { key, at, settled: true }]);
    });
  }

  /** Deletes a set-aside record for good. */
  removeSetAside(key: string): Promise<void> {
    return this.exclusive(async () => {
      await this.secrets.delete(key);
      await this.mirror.update(
        SET_ASIDE_KEY,
        this.setAsideList().filter((e) => e.key !== key),
      );
    });
  }

  private setAsideList(): SetAsideEntry[] {
    const list = this.mirror.get<unknown>(SET_ASIDE_KEY);
    if (!Array.isArray(list)) return [];
    return list.flatMap((e: unknown) => {
      const { key, at, settled } = (e ?? {}) as Record<string, unknown>;
      return typeof key === 'string' && key.startsWith(`${QUARANTINE_PREFIX}/`) && isTime(at)
        ? [{ key, at, settled: settled === true }]
        : [];
    });
  }

  private async writeAccount(key: string, record: StoredAccount): Promise<void> {
    const raw = JSON.stringify(record);
    this.written.set(key, raw);
    await this.secrets.store(key, raw);
    for (const s of this.records.get(key)?.sessions ?? []) this.sessionKeys.delete(s.id);
    this.records.set(key, record);
    for (const s of record.sessions) this.sessionKeys.set(s.id, key);
    await this.recordGeneration(key, record.generation, false);
  }

  /** Applies one change to the stored index, so keys another window added are kept. */
  private async writeIndex(change: { add?: string; remove?: string }): Promise<void> {
    let stored: string[] = [];
    try {
      const parsed = JSON.parse((await this.secrets.get(INDEX_KEY)) ?? '{}') as { accounts?: unknown };
      if (Array.isArray(parsed.accounts)) stored = parsed.accounts.filter((k): k is string => typeof k === 'string');
    } catch {
      // Unreadable or damaged: rebuilt from what this window holds.
    }
    const keys = new Set([...stored, ...this.records.keys(), ...this.unreadable]);
    if (change.add) keys.add(change.add);
    if (change.remove) keys.delete(change.remove);
    const list = [...keys].sort();
    const raw = JSON.stringify({ v: this.version, accounts: list });
    this.written.set(INDEX_KEY, raw);
    await this.secrets.store(INDEX_KEY, raw);
    await this.mirror.update(MIRROR_KEY, list);
  }
}

function staleWindowError(): SessionKeeperError {
  return new SessionKeeperError(
    ErrorCode.StaleWindow,
    l10n.t(
      'Another VS Code window changed your sign-ins and this window cannot see the change. Reload this window (Developer: Reload Window) to continue here.',
    ),
  );
}

/** When a record was set aside, from its key. */
function setAsideTime(key: string): number | undefined {
  if (!key.startsWith(`${QUARANTINE_PREFIX}/`)) return undefined;
  const at = Number(key.slice(QUARANTINE_PREFIX.length + 1).split('/')[0]);
  return Number.isFinite(at) && at > 0 ? at : undefined;
}

/**
 * A damaged record read as far as it goes: its issuer binding when those fields are intact, and
 * every refresh token it still holds. Each token joins the redactor before anyone can log it.
 */
function setAsideContent(raw: string): SetAsideContent {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return { refreshTokens: [] };
    record = parsed as Record<string, unknown>;
  } catch {
    // Not JSON at all: nothing in it can be told apart.
    return { refreshTokens: [] };
  }
  const refreshTokens = (Array.isArray(record.sessions) ? record.sessions : []).flatMap((s: unknown) => {
    const token = (s as { refreshToken?: unknown } | null)?.refreshToken;
    return typeof token === 'string' && token ? [token] : [];
  });
  for (const t of refreshTokens) redactor.add(t);
  const { issuer, clientId, kind, account } = record;
  const binding =
    isString(issuer) && issuer && isOptional(clientId, isString)
      ? { issuer, ...(clientId === undefined ? {} : { clientId: clientId as string }), kind }
      : undefined;
  const accountId = (account as { id?: unknown } | null)?.id;
  return { ...(binding && { binding }), ...(isString(accountId) && { accountId }), refreshTokens: [...new Set(refreshTokens)] };
}

function describeKey(key: string): string {
  const [, provider, account] = key.split('/');
  return `${decodeURIComponent(account ?? '?')} (${decodeURIComponent(provider ?? '?')})`;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Times that cannot be right (null, NaN, Infinity, as a damaged or older record may hold) are
 * dropped rather than setting the whole account aside: an unknown expiry is renewed on demand.
 */
function repairTimes(record: StoredAccount): StoredAccount {
  if (!Array.isArray(record.sessions)) return record;
  const sessions = record.sessions.map((s) => {
    if (typeof s !== 'object' || s === null) return s;
    const fixed: Record<string, unknown> = { ...s };
    if (!isTime(fixed.expiresAt)) delete fixed.expiresAt;
    const refresh = typeof s.refresh === 'object' && s.refresh !== null ? { ...s.refresh } : s.refresh;
    if (refresh && typeof refresh === 'object') {
      for (const field of ['lastRefreshAt', 'nextRefreshAt'] as const) if (!isTime(refresh[field])) delete refresh[field];
      fixed.refresh = refresh;
    }
    return fixed as StoredSession;
  });
  return { ...record, sessions };
}
const isOptional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);

function validateAccount(r: StoredAccount): void {
  const fail = (what: string) => {
    throw new Error(`invalid ${what}`);
  };
  if (!isString(r.providerId) || !r.providerId) fail('providerId');
  // A kind a newer version added is kept as it is; no provider of this version is bound to it.
  if (!isString(r.kind)) fail('kind');
  if (!isString(r.issuer)) fail('issuer');
  if (!isOptional(r.clientId, isString)) fail('clientId');
  if (typeof r.account !== 'object' || r.account === null || !isString(r.account.id) || !isString(r.account.label)) fail('account');
  if (typeof r.generation !== 'number') fail('generation');
  if (!Array.isArray(r.sessions)) fail('sessions');
  for (const s of r.sessions) {
    if (typeof s !== 'object' || s === null) fail('session');
    if (!isString(s.id) || !isString(s.accessToken) || !s.accessToken || !isString(s.tokenType)) fail('session fields');
    if (!Array.isArray(s.scopes) || !s.scopes.every(isString)) fail('session scopes');
    if (!isOptional(s.refreshToken, isString) || !isOptional(s.idToken, isString)) fail('session tokens');
    if (!isOptional(s.expiresAt, isTime) || !isTime(s.createdAt)) fail('session times');
    if (typeof s.refresh !== 'object' || s.refresh === null) fail('session refresh state');
    if (s.endpoint !== undefined && !isEndpointValues(s.endpoint)) fail('endpoint session values');
  }
}

function isEndpointValues(v: unknown): v is EndpointValues {
  if (typeof v !== 'object' || v === null) return false;
  const { values, cookies } = v as Record<string, unknown>;
  const isMap = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m);
  if (!isMap(values) || !Object.values(values).every(isString)) return false;
  if (!isMap(cookies)) return false;
  return Object.values(cookies).every(
    (c) =>
      typeof c === 'object' &&
      c !== null &&
      isString((c as { value?: unknown }).value) &&
      isOptional((c as { expiresAt?: unknown }).expiresAt, isTime),
  );
}

/** Every secret an endpoint session holds: its values and cookie values. */
export function endpointSecrets(s: StoredSession): string[] {
  if (!s.endpoint) return [];
  return [...Object.values(s.endpoint.values), ...Object.values(s.endpoint.cookies).map((c) => c.value)];
}

/** The refresh state of a session that was just issued. */
export function freshRefreshState(autoRefresh: boolean): RefreshState {
  return { refreshCount: 0, consecutiveFailures: 0, autoRefresh };
}
