// What the views and commands see of the engine: snapshots without token material, and the
// actions a user can take. Views never read tokens or SecretStorage.
import type { Event } from './base/events';
import type { Health, HealthState } from './refresh/health';
import type { RefreshState } from './storage/store';

export interface SessionInfo {
  readonly id: string;
  readonly scopes: readonly string[];
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly hasRefreshToken: boolean;
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
}

const severity: Record<HealthState, number> = { dormant: -1, healthy: 0, refreshing: 1, expiring: 2, offline: 3, signInNeeded: 4 };

/** The health that needs attention first, for an account or a provider row. */
export function worstHealth(healths: readonly Health[]): Health {
  return healths.reduce<Health>((worst, h) => (severity[h.state] > severity[worst.state] ? h : worst), healths[0] ?? { state: 'healthy' });
}
