// Which terminal programs may take an account's token. A grant holds for one account, one terminal
// workspace folder (or, for a command run outside it, that one directory) and a work day; a
// program elsewhere, or after the expiry, is asked about again. Kept in globalState (ids, folder
// URIs and paths, times, and the asking program as the OS described it, never a token), listed in
// the Accounts view and revocable there one by one. Pure: the memento is passed in.
import { createHash } from 'node:crypto';
import { Emitter, type Event } from '../session/base/events';
import type { MementoLike } from '../session/storage/store';
import { isInside, type TerminalFolder } from './folders';
import { FORMATS, type OutputFormat } from './protocol';

/** How long an Allow (or a Deny) holds: a working day, so a grant made in the morning lasts until evening. */
export const GRANT_LIFETIME_MS = 10 * 60 * 60_000;
/** Grants remembered per account; the oldest decision goes first. */
export const MAX_GRANTS_PER_ACCOUNT = 32;
/** Expired grants stay listed (as expired) this long, then are forgotten. */
export const EXPIRED_KEPT_MS = 24 * 60 * 60_000;

export type Decision = 'allowed' | 'denied';
/** How a request under a grant ended. */
export type Outcome = 'served' | 'failed';

/** Where a request runs, as consent sees it. */
export interface Scope {
  /** The URI of the terminal's workspace folder; '' for a terminal of a window without one. */
  readonly folder: string;
  /** The folder's name and path, for people; absent without a folder. */
  readonly folderName?: string;
  readonly folderPath?: string;
  /** Set when the command runs outside its terminal's folder: exactly the directory it runs in. */
  readonly dir?: string;
}

/**
 * What asked. `command` and `cwd` are what the OS reports of the program that ran the command
 * (Linux: /proc/<ppid>), `tool` is what it calls itself: shown to the user, never trusted.
 */
export interface Program {
  readonly tool: string;
  readonly command?: string;
  readonly cwd?: string;
}

export interface LastUse {
  readonly at: number;
  readonly outcome: Outcome;
  readonly tool: string;
  readonly format: OutputFormat;
}

export interface Grant extends Scope {
  /** Stable for the scope: one grant per account and scope. */
  readonly id: string;
  readonly decision: Decision;
  readonly decidedAt: number;
  readonly expiresAt: number;
  /** The program whose request the user answered; absent when the user allowed the folder beforehand. */
  readonly program?: Program;
  readonly lastUse?: LastUse;
}

type Stored = { v: 2; providers: Record<string, Record<string, Grant[]>> };

/**
 * The scope of a request from a terminal of `folder` (undefined: a terminal without one) whose
 * command runs in `cwd`: the folder when `cwd` is in it, else exactly `cwd`, still tied to the
 * terminal's folder. Changing directory can narrow a request's scope, never widen it to another folder.
 */
export function scopeOf(folder: TerminalFolder | undefined, cwd: string, platform: NodeJS.Platform = process.platform): Scope {
  const named = folder ? { folder: folder.uri, folderName: folder.name, folderPath: folder.path } : { folder: '' };
  return folder && isInside(cwd, folder.path, platform) ? named : { ...named, dir: cwd };
}

export function grantId(scope: Scope): string {
  return createHash('sha256')
    .update(JSON.stringify([scope.folder, scope.dir ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

export function isLive(grant: Grant, now: number): boolean {
  return now < grant.expiresAt;
}

export class TerminalAccess {
  private readonly pending = new Set<string>();
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;

  constructor(
    private readonly memento: MementoLike,
    private readonly key: string,
  ) {}

  /** Read on every use: another window may have decided meanwhile (globalState is shared). */
  private get data(): Stored {
    return sanitize(this.memento.get<unknown>(this.key));
  }

  /** The grant for the scope while it holds; undefined when there is none or it expired. */
  lookup(providerId: string, accountId: string, scope: Scope, now: number): Grant | undefined {
    const grant = this.get(providerId, accountId, grantId(scope));
    return grant && isLive(grant, now) ? grant : undefined;
  }

  get(providerId: string, accountId: string, id: string): Grant | undefined {
    return this.data.providers[providerId]?.[accountId]?.find((g) => g.id === id);
  }

  /** Every account's grants, most recent decision first, for the view. */
  grants(providerId: string): ReadonlyMap<string, readonly Grant[]> {
    return new Map(Object.entries(this.data.providers[providerId] ?? {}));
  }

  /** Records the user's answer for the scope, holding from `at` for GRANT_LIFETIME_MS. */
  async decide(
    providerId: string,
    accountId: string,
    scope: Scope,
    decision: Decision,
    program: Program | undefined,
    at: number,
  ): Promise<Grant> {
    this.pending.delete(pendingKey(providerId, accountId, scope));
    const id = grantId(scope);
    const grant: Grant = {
      id,
      folder: scope.folder,
      ...(scope.folderName !== undefined && { folderName: scope.folderName }),
      ...(scope.folderPath !== undefined && { folderPath: scope.folderPath }),
      ...(scope.dir !== undefined && { dir: scope.dir }),
      decision,
      decidedAt: at,
      expiresAt: at + GRANT_LIFETIME_MS,
      ...(program && { program }),
    };
    await this.put(providerId, accountId, at, (grants) => [grant, ...grants.filter((g) => g.id !== id)]);
    return grant;
  }

  /** Forgets the grant: the next request from its scope asks again. Returns what was revoked. */
  async revoke(providerId: string, accountId: string, id: string, now: number): Promise<Grant | undefined> {
    const before = this.get(providerId, accountId, id);
    if (before) await this.put(providerId, accountId, now, (grants) => grants.filter((g) => g.id !== id));
    return before;
  }

  async recordUse(providerId: string, accountId: string, id: string, use: LastUse): Promise<void> {
    if (!this.get(providerId, accountId, id)) return;
    await this.put(providerId, accountId, use.at, (grants) => grants.map((g) => (g.id === id ? { ...g, lastUse: use } : g)));
  }

  /** True for the first caller while no answer is pending for the scope: that caller asks the user. */
  beginAsking(providerId: string, accountId: string, scope: Scope): boolean {
    const key = pendingKey(providerId, accountId, scope);
    if (this.pending.has(key)) return false;
    this.pending.add(key);
    return true;
  }

  /** The question went away unanswered: the next request asks again. */
  endAsking(providerId: string, accountId: string, scope: Scope): void {
    this.pending.delete(pendingKey(providerId, accountId, scope));
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async put(providerId: string, accountId: string, now: number, change: (grants: Grant[]) => Grant[]): Promise<void> {
    const { providers } = this.data;
    const grants = change(providers[providerId]?.[accountId] ?? [])
      .filter((g) => g.expiresAt + EXPIRED_KEPT_MS > now)
      .sort((a, b) => b.decidedAt - a.decidedAt)
      .slice(0, MAX_GRANTS_PER_ACCOUNT);
    const accounts = { ...providers[providerId] };
    if (grants.length) accounts[accountId] = grants;
    else delete accounts[accountId];
    const next: Stored = { v: 2, providers: { ...providers, [providerId]: accounts } };
    const written = this.memento.update(this.key, next);
    this.changed.fire();
    await written;
  }
}

function pendingKey(providerId: string, accountId: string, scope: Scope): string {
  return JSON.stringify([providerId, accountId, grantId(scope)]);
}

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const time = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * What another version or a damaged profile stored is kept only where it has the expected shape.
 * Records of version 1 (one decision per account, forever) grant nothing.
 */
function sanitize(raw: unknown): Stored {
  const out: Stored = { v: 2, providers: {} };
  if (typeof raw !== 'object' || raw === null || (raw as Stored).v !== 2) return out;
  const providers = (raw as Stored).providers;
  if (typeof providers !== 'object' || providers === null) return out;
  for (const [providerId, accounts] of Object.entries(providers)) {
    if (typeof accounts !== 'object' || accounts === null) continue;
    for (const [accountId, list] of Object.entries(accounts)) {
      if (!Array.isArray(list)) continue;
      const grants = list.flatMap((g: Partial<Grant> | null): Grant[] => {
        if (typeof g !== 'object' || g === null || !str(g.folder, 8192)) return [];
        if (g.decision !== 'allowed' && g.decision !== 'denied') return [];
        if (!time(g.decidedAt) || !time(g.expiresAt) || g.expiresAt - g.decidedAt > GRANT_LIFETIME_MS) return [];
        if (g.dir !== undefined && !str(g.dir, 8192)) return [];
        const scope: Scope = { folder: g.folder, ...(g.dir !== undefined && { dir: g.dir }) };
        // The id is derived again: a stored one cannot make a grant cover another scope.
        if (g.id !== grantId(scope)) return [];
        const p = g.program;
        if (p !== undefined && (typeof p !== 'object' || p === null || !str(p.tool, 64))) return [];
        const u = g.lastUse;
        const lastUse =
          typeof u === 'object' &&
          u !== null &&
          time(u.at) &&
          (u.outcome === 'served' || u.outcome === 'failed') &&
          str(u.tool, 64) &&
          (FORMATS as readonly string[]).includes(u.format)
            ? { at: u.at, outcome: u.outcome, tool: u.tool, format: u.format }
            : undefined;
        return [
          {
            id: g.id,
            ...scope,
            ...(str(g.folderName, 1024) && { folderName: g.folderName }),
            ...(str(g.folderPath, 8192) && { folderPath: g.folderPath }),
            decision: g.decision,
            decidedAt: g.decidedAt,
            expiresAt: g.expiresAt,
            ...(p && {
              program: {
                tool: p.tool,
                ...(str(p.command, 2048) && { command: p.command }),
                ...(str(p.cwd, 8192) && { cwd: p.cwd }),
              },
            }),
            ...(lastUse && { lastUse }),
          },
        ];
      });
      if (grants.length) (out.providers[providerId] ??= {})[accountId] = grants.slice(0, MAX_GRANTS_PER_ACCOUNT);
    }
  }
  return out;
}
