// Coordination between VS Code windows through files every window shares (globalStorageUri).
// Each window has its own extension host; SecretStorage may or may not be shared between them
// (desktop shares it, code-server keeps a copy per window and rewrites the whole set on store).
// So: a lock file per account around every refresh, a global lock around every write, and a
// generation record per account (no token material) that tells a window its copy is stale.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sleep, systemClock, type Clock } from './clock';
import { ErrorCode, SessionKeeperError } from './errors';
import { t } from './l10n';

/** A lock older than this was left by a window that died; no refresh holds a lock this long. */
export const STALE_LOCK_MS = 2 * 60_000;

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
  record(key: string, generation: number, removed: boolean): Promise<void>;
}

export function lockNameForAccount(key: string): string {
  return `account-${hash(key)}`;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

export class FileCoordinator implements Coordinator {
  readonly id = `${hostname()}:${process.pid}:${randomUUID()}`;
  private ready?: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly clock: Clock = systemClock,
    /** Turns locking off; only for demonstrating what goes wrong without it. */
    private readonly locking = true,
  ) {}

  async withLock<T>(name: string, fn: () => Promise<T>, waitMs = 45_000): Promise<T> {
    if (!this.locking) return fn();
    await this.ensureDirs();
    const path = join(this.dir, 'locks', `${name}.lock`);
    const deadline = this.clock.now() + waitMs;
    for (;;) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(JSON.stringify({ owner: this.id, at: this.clock.now() }));
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        await this.breakIfStale(path);
        if (this.clock.now() > deadline) {
          throw new SessionKeeperError(ErrorCode.Timeout, t('Another VS Code window is still renewing this session; Session Keeper will try again.'));
        }
        await sleep(this.clock, 10 + Math.floor(this.clock.random() * 40));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(path).catch(() => undefined);
    }
  }

  async generations(): Promise<GenerationRecord[]> {
    await this.ensureDirs();
    const dir = join(this.dir, 'generations');
    const out: GenerationRecord[] = [];
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const r = JSON.parse(await readFile(join(dir, name), 'utf8')) as GenerationRecord;
        if (typeof r.key === 'string' && typeof r.generation === 'number') {
          out.push({ key: r.key, generation: r.generation, removed: r.removed === true, writer: typeof r.writer === 'string' ? r.writer : undefined });
        }
      } catch {
        // Half-written by a window that died mid-write: the next write replaces it.
      }
    }
    return out;
  }

  async record(key: string, generation: number, removed: boolean): Promise<void> {
    await this.ensureDirs();
    const file = join(this.dir, 'generations', `${hash(key)}.json`);
    // Write then rename, so a reader never sees half a record.
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify({ key, generation, removed, writer: this.id }));
    await rename(tmp, file);
  }

  private async breakIfStale(path: string): Promise<void> {
    try {
      const s = await stat(path);
      if (this.clock.now() - s.mtimeMs < STALE_LOCK_MS) return;
      // Rename first: of several windows that saw the same stale lock, one wins the rename.
      const aside = `${path}.${randomUUID()}.stale`;
      await rename(path, aside);
      await unlink(aside);
    } catch {
      // Gone already, or another window broke it first.
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
