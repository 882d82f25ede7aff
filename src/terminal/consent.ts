// Which accounts terminal tools may use, and which tools asked for which account and when. Kept in
// globalState (account ids, tool names, times: never tokens or labels), shown in the Accounts view,
// revocable there like VS Code's trusted extensions. Pure: the memento is passed in.
import { Emitter, type Event } from '../session/base/events';
import type { MementoLike } from '../session/storage/store';
import { FORMATS, type OutputFormat } from './protocol';

export type Decision = 'allowed' | 'denied';
/** How a request ended, as the Accounts view shows it. */
export type Outcome = 'served' | 'notAllowed' | 'failed';

export interface ToolUse {
  readonly tool: string;
  readonly format: OutputFormat;
  readonly lastUsedAt: number;
  readonly outcome: Outcome;
}

export interface AccountAccess {
  /** Undefined: never decided, or revoked; the next request asks again. */
  readonly decision?: Decision;
  readonly decidedAt?: number;
  /** Most recent first. */
  readonly uses: readonly ToolUse[];
}

type Stored = { v: 1; providers: Record<string, Record<string, AccountAccess>> };

/** Tools remembered per account; the oldest is forgotten first. */
export const MAX_TOOLS_PER_ACCOUNT = 16;

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

  get(providerId: string, accountId: string): AccountAccess | undefined {
    return this.data.providers[providerId]?.[accountId];
  }

  decision(providerId: string, accountId: string): Decision | undefined {
    return this.get(providerId, accountId)?.decision;
  }

  /** Every account with a record, for the view. */
  accounts(providerId: string): ReadonlyMap<string, AccountAccess> {
    return new Map(Object.entries(this.data.providers[providerId] ?? {}));
  }

  async decide(providerId: string, accountId: string, decision: Decision, at: number): Promise<void> {
    this.pending.delete(pendingKey(providerId, accountId));
    const before = this.get(providerId, accountId);
    await this.put(providerId, accountId, { decision, decidedAt: at, uses: before?.uses ?? [] });
  }

  /** Forgets the decision; the tools that asked stay listed, and the next request asks again. */
  async revoke(providerId: string, accountId: string): Promise<void> {
    const before = this.get(providerId, accountId);
    if (!before) return;
    await this.put(providerId, accountId, { uses: before.uses });
  }

  async recordUse(providerId: string, accountId: string, use: ToolUse): Promise<void> {
    const before = this.get(providerId, accountId);
    const uses = [use, ...(before?.uses ?? []).filter((u) => u.tool !== use.tool || u.format !== use.format)].slice(
      0,
      MAX_TOOLS_PER_ACCOUNT,
    );
    await this.put(providerId, accountId, { ...before, uses });
  }

  /** True for the first caller while no answer is pending: that caller asks the user. */
  beginAsking(providerId: string, accountId: string): boolean {
    const key = pendingKey(providerId, accountId);
    if (this.pending.has(key)) return false;
    this.pending.add(key);
    return true;
  }

  /** The question went away unanswered: the next request asks again. */
  endAsking(providerId: string, accountId: string): void {
    this.pending.delete(pendingKey(providerId, accountId));
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async put(providerId: string, accountId: string, access: AccountAccess): Promise<void> {
    const { providers } = this.data;
    const next: Stored = { v: 1, providers: { ...providers, [providerId]: { ...providers[providerId], [accountId]: access } } };
    const written = this.memento.update(this.key, next);
    this.changed.fire();
    await written;
  }
}

function pendingKey(providerId: string, accountId: string): string {
  return JSON.stringify([providerId, accountId]);
}

/** What another version or a damaged profile stored is kept only where it has the expected shape. */
function sanitize(raw: unknown): Stored {
  const out: Stored = { v: 1, providers: {} };
  if (typeof raw !== 'object' || raw === null || (raw as Stored).v !== 1) return out;
  const providers = (raw as Stored).providers;
  if (typeof providers !== 'object' || providers === null) return out;
  for (const [providerId, accounts] of Object.entries(providers)) {
    if (typeof accounts !== 'object' || accounts === null) continue;
    for (const [accountId, a] of Object.entries(accounts)) {
      if (typeof a !== 'object' || a === null) continue;
      const decision = a.decision === 'allowed' || a.decision === 'denied' ? a.decision : undefined;
      const uses = (Array.isArray(a.uses) ? a.uses : []).filter(
        (u): u is ToolUse =>
          typeof u?.tool === 'string' &&
          (FORMATS as readonly string[]).includes(u.format) &&
          typeof u.lastUsedAt === 'number' &&
          ['served', 'notAllowed', 'failed'].includes(u.outcome),
      );
      (out.providers[providerId] ??= {})[accountId] = {
        ...(decision && { decision, decidedAt: typeof a.decidedAt === 'number' ? a.decidedAt : 0 }),
        uses: uses.slice(0, MAX_TOOLS_PER_ACCOUNT),
      };
    }
  }
  return out;
}
