// What the views and commands see of the engine: snapshots without token material, and the
// actions a user can take. Views never read tokens or SecretStorage.
import type { Event } from './base/events';
import type { ProviderConfig } from './config';
import { canRefresh, sessionHealth, type Health, type HealthState } from './refresh/health';
import { plannedAt, refreshLead } from './refresh/policy';
import { isBoundTo, type RefreshState, type StoredAccount } from './storage/store';

export interface SessionInfo {
  readonly id: string;
  readonly scopes: readonly string[];
  readonly createdAt: number;
  readonly expiresAt?: number;
  /** Holds what renews it (a refresh token, or an endpoint session's values). */
  readonly renewable: boolean;
  /** When it renews next in the background, if it does. */
  readonly renewsAt?: number;
  readonly refresh: Readonly<RefreshState>;
  readonly health: Health;
}

export interface AccountSummary {
  readonly providerId: string;
  readonly id: string;
  readonly label: string;
  /** The account the status bar shows and callers get first. */
  readonly active: boolean;
  /** Signed in at another issuer or client than the settings now name: kept, but not used. */
  readonly dormant: boolean;
  readonly sessions: readonly SessionInfo[];
  /** Whether its renewable sessions renew in the background (true when it has none). */
  readonly autoRefresh: boolean;
  /** The worst health among its sessions. */
  readonly health: Health;
}

export interface ProviderSummary {
  readonly id: string;
  readonly label: string;
  readonly issuer: string;
  readonly accounts: readonly AccountSummary[];
}

export interface SessionKeeperModel {
  /** Fires when anything a view shows may have changed (sessions, refresh state, settings). */
  readonly onDidChange: Event<void>;
  now(): number;
  providers(): ProviderSummary[];
  /** The provider the status bar follows: the first configured one. */
  primaryProviderId(): string | undefined;
  /** Interactive sign-in of a (possibly additional) account. */
  signIn(providerId: string): Promise<void>;
  /** Ends every session of the account, locally first, then revokes at the issuer. */
  signOut(providerId: string, accountId: string): Promise<void>;
  switchAccount(providerId: string, accountId: string): Promise<void>;
  /** Refreshes the account's sessions now (all accounts of the provider when accountId is omitted). */
  refreshNow(providerId: string, accountId?: string): Promise<void>;
  /** Turns background renewal of the account's sessions on or off (off: only Refresh Now renews). */
  setAutoRefresh(providerId: string, accountId: string, on: boolean): Promise<void>;
}

const severity: Record<HealthState, number> = { dormant: -1, healthy: 0, refreshing: 1, expiring: 2, offline: 3, signInNeeded: 4 };

/** The health that needs attention first, for an account or a provider row. */
export function worstHealth(healths: readonly Health[]): Health {
  return healths.reduce<Health>((worst, h) => (severity[h.state] > severity[worst.state] ? h : worst), healths[0] ?? { state: 'healthy' });
}

/** A provider and its stored accounts as the views see them: no token material, health derived now. */
export function summarizeProvider(
  config: ProviderConfig,
  stored: readonly StoredAccount[],
  at: {
    now: number;
    activeAccountId?: string;
    isRefreshing: (sessionId: string) => boolean;
    /** The refresher's hold on a session, which its next refresh waits for. */
    heldUntil?: (sessionId: string) => number | undefined;
    leadMs: number;
  },
): ProviderSummary {
  const accounts = stored.map((a): AccountSummary => {
    const dormant = !isBoundTo(a, config);
    const sessions = a.sessions.map((s): SessionInfo => {
      const issuedAt = s.refresh.lastRefreshAt ?? s.createdAt;
      const lead = s.expiresAt === undefined ? at.leadMs : refreshLead(s.expiresAt - issuedAt, at.leadMs);
      return {
        id: s.id,
        scopes: s.scopes,
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
        renewable: s.refreshToken !== undefined || s.endpoint !== undefined,
        renewsAt: dormant || !canRefresh(s) ? undefined : plannedAt(s, at.leadMs, at.heldUntil?.(s.id)),
        refresh: { ...s.refresh },
        health: sessionHealth(s, at.isRefreshing(s.id), at.now, lead, dormant),
      };
    });
    return {
      providerId: config.id,
      id: a.account.id,
      label: a.account.label,
      active: !dormant && a.account.id === at.activeAccountId,
      dormant,
      sessions,
      autoRefresh: sessions.every((s) => !s.renewable || s.refresh.autoRefresh),
      health: worstHealth(sessions.map((s) => s.health)),
    };
  });
  return { id: config.id, label: config.label, issuer: config.issuer, accounts };
}

const stateWords: Record<HealthState, string> = {
  healthy: 'valid',
  expiring: 'expiring',
  refreshing: 'renewing',
  offline: 'offline',
  signInNeeded: 'sign-in needed',
  dormant: 'not in use',
};

/** One line per account for the log, e.g. `alice · valid · renews in 4m · refreshed 12× · last error none`. */
export function accountLine(a: AccountSummary, now: number): string {
  const h = a.health;
  const state = h.state === 'healthy' && h.expiresAt !== undefined && h.expiresAt <= now ? 'expired' : stateWords[h.state];
  const next = a.sessions.flatMap((s) => (s.renewsAt === undefined ? [] : [s.renewsAt]));
  const renews = !a.sessions.some((s) => s.renewable)
    ? 'not renewable'
    : !a.autoRefresh
      ? 'auto-refresh off'
      : next.length
        ? `renews in ${shortDuration(Math.min(...next) - now)}`
        : 'no renewal planned';
  const count = a.sessions.reduce((n, s) => n + s.refresh.refreshCount, 0);
  const error = a.sessions.find((s) => s.refresh.lastError)?.refresh.lastError;
  return `${a.label} · ${state} · ${renews} · refreshed ${count}× · last error ${error ?? 'none'}`;
}

function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m` : `${Math.round(m / 60)}h`;
}
