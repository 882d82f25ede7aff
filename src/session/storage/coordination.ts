// Coordination between VS Code windows through files every window shares (globalStorageUri).
// Each window has its own extension host; SecretStorage may or may not be shared between them
// (desktop shares it, code-server keeps a copy per window and rewrites the whole set on store).
// So: a lock file per account around every refresh, a global lock around every write, and a
// generation record per account (no token material) that tells a window its copy is stale.
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, readFile, readdir, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lock, type LockOptions } from 'proper-lockfile';
import { sleep, systemClock, type Clock } from '../base/clock';
import { ErrorCode, SessionKeeperError } from '../base/errors';
import * as l10n from '@vscode/l10n';

/** A lock whose holder stopped renewing it for this long was left by a window that died. */
export const LOCK_STALE_MS = 5_000;
/** Five renewals per stale period: a holder whose event loop stalls for up to ~4 s keeps its lock. */
export const LOCK_UPDATE_MS = 1_000;
/** Lock files of earlier versions are never renewed; they keep the two-minute rule they were written under. */
const LEGACY_STALE_MS = 2 * 60_000;

export interface GenerationRecord {
  readonly key: string;
  readonly generation: number;
  readonly removed: boolean;
  /** The window that wrote it. */
  readonly writer?: string;
}

/** How the store and refresher use cross-window coordination. `undefined` work means none. */
export interface Coordinator {
  /** This window's identity in generation records. */
  readonly id: string;
  /** Runs fn while holding the named lock across windows. */
  withLock<T>(name: string, fn: () => Promise<T>, waitMs?: number): Promise<T>;
  /** Every account's generation record. */
  generations(): Promise<GenerationRecord[]>;
  /** One account's generation record, if it has one. */
  generation(key: string): Promise<GenerationRecord | undefined>;
  /**
   * The change marker: written with every record, so a window that saw the same marker at its last
   * full check knows no record changed since, without reading them all. Undefined when there is none.
   */
  changeMarker(): Promise<ChangeMarker | undefined>;
  /** Writes an account's record and the change marker that announces it; returns that marker. */
  record(key: string, generation: number, removed: boolean): Promise<ChangeMarker>;
}

/** Names the last record write: a unique id, and the account and generation it wrote. */
export interface ChangeMarker {
  readonly id: string;
  readonly key: string;
  readonly generation: number;
}

/** The change marker's file, beside the generation records (not among them, which are read as a set). */
const MARKER_FILE = 'generations.marker.json';

function isRecord(r: unknown): r is GenerationRecord {
  const g = r as Partial<GenerationRecord> | null;
  return typeof g === 'object' && g !== null && typeof g.key === 'string' && typeof g.generation === 'number';
}

function toRecord(r: GenerationRecord): GenerationRecord {
  return { key: r.key, generation: r.generation, removed: r.removed === true, writer: typeof r.writer === 'string' ? r.writer : undefined };
}

/** A small JSON file, or undefined when it is missing or half-written. */
function readJsonSync(path: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

async function replaceFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

export function lockNameForAccount(key: string): string {
  return `account-${hash(key)}`;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

export interface FileCoordinatorOptions {
  /**
   * A held lock was taken over or removed by someone else (the holder stalled past the lease, or
   * the file vanished). The work under it still finishes; this only says it was not exclusive.
   */
  onLockCompromised?(message: string): void;
}

/** Where the owner of a lock ({host, pid}) is noted, next to the lock directory. */
function ownerPath(lockPath: string): string {
  return `${lockPath}.owner`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * The fs proper-lockfile works through. Taking a lock also notes its owner, in the same step so
 * that a window killed right after leaves a note as often as possible; removing one (release, or
 * takeover of a stale lock) removes the note too. A plain lock file of an earlier version is
 * removed only once it is past the rule that version follows.
 */
function lockFs(): typeof fs {
  const removeLegacy = (path: string, cb: (err: NodeJS.ErrnoException | null) => void) =>
    fs.stat(path, (err, s) => {
      if (err) return cb(err);
      if (Date.now() - s.mtimeMs >= LEGACY_STALE_MS) return fs.unlink(path, cb);
      cb(Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED' }));
    });
  const rmdirWithOwner = (path: fs.PathLike, cb: (err: NodeJS.ErrnoException | null) => void) =>
    fs.unlink(ownerPath(String(path)), () => fs.rmdir(path, (err) => (err?.code === 'ENOTDIR' ? removeLegacy(String(path), cb) : cb(err))));
  const rmdirWithOwnerSync = (path: fs.PathLike) => {
    fs.rmSync(ownerPath(String(path)), { force: true });
    fs.rmdirSync(path);
  };
  const mkdirWithOwner = (path: fs.PathLike, cb: (err: NodeJS.ErrnoException | null) => void) =>
    fs.mkdir(path, (err) => {
      if (err) return cb(err);
      // Without the note (a write that failed, or a window killed just now) only the lease applies.
      const owner = JSON.stringify({ host: hostname(), pid: process.pid, lock: randomUUID() });
      fs.writeFile(ownerPath(String(path)), owner, () => cb(null));
    });
  return { ...fs, mkdir: mkdirWithOwner, rmdir: rmdirWithOwner, rmdirSync: rmdirWithOwnerSync } as typeof fs;
}

export class FileCoordinator implements Coordinator {
  readonly id = `${hostname()}:${process.pid}:${randomUUID()}`;
  private ready?: Promise<void>;
  // One object per coordinator: proper-lockfile caches the file system's mtime precision on it.
  private readonly lockFs = lockFs();

  constructor(
    private readonly dir: string,
    private readonly clock: Clock = systemClock,
    /** Turns locking off; only for demonstrating what goes wrong without it. */
    private readonly locking = true,
    private readonly options: FileCoordinatorOptions = {},
  ) {}

  /**
   * Runs fn holding a lock directory that proper-lockfile keeps renewing (a lease). A window that
   * dies stops renewing it, so waiters take it over LOCK_STALE_MS later; at once when the owner
   * record says it was a process on this host that no longer exists.
   */
  async withLock<T>(name: string, fn: () => Promise<T>, waitMs = 45_000): Promise<T> {
    if (!this.locking) return fn();
    await this.ensureDirs();
    const target = join(this.dir, 'locks', name);
    const lockPath = `${target}.lock`;
    const options: LockOptions = {
      lockfilePath: lockPath,
      // Lock names are not files; there is nothing to resolve.
      realpath: false,
      // Waiting is done here, on this.clock and up to waitMs.
      retries: 0,
      stale: LOCK_STALE_MS,
      update: LOCK_UPDATE_MS,
      fs: this.lockFs,
      // The library's default throws from a timer, which would take the extension host down.
      onCompromised: (err) => {
        try {
          const message = `The cross-window lock ${name} was lost while held (${err.message}); the work under it went on`;
          this.options.onLockCompromised?.(message);
        } catch {
          // A reporting problem must not become a crash either.
        }
      },
    };
    const deadline = this.clock.now() + waitMs;
    let release: () => Promise<void>;
    for (;;) {
      try {
        release = await lock(target, options);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      }
      if (await this.breakIfOwnerDied(lockPath)) continue;
      if (this.clock.now() >= deadline) {
        throw new SessionKeeperError(
          ErrorCode.Timeout,
          l10n.t('Another VS Code window is still renewing this session; Session Keeper will try again.'),
        );
      }
      await sleep(this.clock, 20 + Math.floor(this.clock.random() * 80));
    }
    try {
      return await fn();
    } finally {
      // Fails when the lock was compromised meanwhile; it is no longer this window's to remove.
      await release().catch(() => undefined);
    }
  }

  async generations(): Promise<GenerationRecord[]> {
    await this.ensureDirs();
    const dir = join(this.dir, 'generations');
    const out: GenerationRecord[] = [];
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const r: unknown = JSON.parse(await readFile(join(dir, name), 'utf8'));
        if (isRecord(r)) out.push(toRecord(r));
      } catch {
        // Half-written by a window that died mid-write: the next write replaces it.
      }
    }
    return out;
  }

  async generation(key: string): Promise<GenerationRecord | undefined> {
    // A few hundred bytes on the local disk: read at once rather than in four thread-pool trips.
    const r = readJsonSync(join(this.dir, 'generations', `${hash(key)}.json`));
    return isRecord(r) && r.key === key ? toRecord(r) : undefined;
  }

  async changeMarker(): Promise<ChangeMarker | undefined> {
    const m = readJsonSync(join(this.dir, MARKER_FILE)) as Partial<ChangeMarker> | undefined;
    return m && typeof m.id === 'string' && typeof m.key === 'string' && typeof m.generation === 'number'
      ? { id: m.id, key: m.key, generation: m.generation }
      : undefined;
  }

  async record(key: string, generation: number, removed: boolean): Promise<ChangeMarker> {
    await this.ensureDirs();
    const file = join(this.dir, 'generations', `${hash(key)}.json`);
    const marker: ChangeMarker = { id: randomUUID(), key, generation };
    // Both written then renamed, so a reader never sees half of either. They go side by side: a
    // reader that sees the marker before the record counts that write as under way (SessionStore.ensureCurrent).
    await Promise.all([
      replaceFile(file, JSON.stringify({ key, generation, removed, writer: this.id })),
      replaceFile(join(this.dir, MARKER_FILE), JSON.stringify(marker)),
    ]);
    return marker;
  }

  /**
   * Takes over at once a lock whose owner was a process on this host that no longer exists.
   * Claimed by renaming the owner record: of several windows that saw the same dead owner, one
   * goes on and the others find no record. Left to the library's takeover in the last second of
   * the lease, so the two ways do not race each other.
   */
  private async breakIfOwnerDied(lockPath: string): Promise<boolean> {
    const record = ownerPath(lockPath);
    let seen: string;
    try {
      seen = await readFile(record, 'utf8');
      const owner = JSON.parse(seen) as { host?: unknown; pid?: unknown };
      if (owner.host !== hostname() || typeof owner.pid !== 'number' || isAlive(owner.pid)) return false;
      if (Date.now() - (await stat(lockPath)).mtimeMs > LOCK_STALE_MS - LOCK_UPDATE_MS) return false;
    } catch {
      // No record (yet), half a record, or no lock any more: the lease decides.
      return false;
    }
    const claimed = `${record}.${randomUUID()}.dead`;
    try {
      await rename(record, claimed);
    } catch {
      return false;
    }
    try {
      if ((await readFile(claimed, 'utf8')) !== seen) {
        // Someone took the lock over in between: that record is the new owner's; put it back.
        await rename(claimed, record).catch(() => undefined);
        return false;
      }
      await rmdir(lockPath).catch(() => undefined);
      return true;
    } finally {
      await unlink(claimed).catch(() => undefined);
    }
  }

  private ensureDirs(): Promise<void> {
    this.ready ??= Promise.all([
      mkdir(join(this.dir, 'locks'), { recursive: true }),
      mkdir(join(this.dir, 'generations'), { recursive: true }),
    ]).then(() => undefined);
    return this.ready;
  }
}
