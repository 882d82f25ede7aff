// Model snapshots for view tests, and a fake model with a hand-driven clock.
import { Emitter } from '../../../src/session/base/events';
import type { Health } from '../../../src/session/refresh/health';
import {
  worstHealth,
  type AccountSummary,
  type ProviderSummary,
  type SessionInfo,
  type SessionKeeperModel,
} from '../../../src/session/model';
import type { RefreshState } from '../../../src/session/storage/store';

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const MIN = 60_000;
/** "expires in 42 min" at NOW, half a minute from the next change. */
export const EXPIRES = NOW + 42 * MIN + 30_000;

/** Deterministic in any time zone. */
export const formatTime = (ms: number) => new Date(ms).toISOString();

export function refreshState(over: Partial<RefreshState> = {}): RefreshState {
  return { refreshCount: 0, consecutiveFailures: 0, autoRefresh: true, ...over };
}

export function session(over: Partial<SessionInfo> = {}): SessionInfo {
  const expiresAt = 'expiresAt' in over ? over.expiresAt : EXPIRES;
  return {
    id: 'session-1',
    scopes: ['openid', 'profile'],
    createdAt: NOW - 18 * MIN,
    expiresAt,
    renewable: true,
    refresh: refreshState(),
    health: { state: 'healthy', expiresAt },
    ...over,
  };
}

export function account(over: Partial<AccountSummary> = {}): AccountSummary {
  const sessions = over.sessions ?? [session()];
  return {
    providerId: 'acme',
    id: 'alice-sub',
    label: 'alice',
    active: true,
    dormant: false,
    sessions,
    autoRefresh: true,
    health: worstHealth(sessions.map((s) => s.health)),
    ...over,
  };
}

export function provider(over: Partial<ProviderSummary> = {}): ProviderSummary {
  return { id: 'acme', label: 'Acme SSO', issuer: 'https://login.acme.test/realms/dev', accounts: [account()], ...over };
}

/** One account whose only session has the given health. */
export function withHealth(health: Health, over: Partial<SessionInfo> = {}, accountOver: Partial<AccountSummary> = {}): ProviderSummary {
  return provider({ accounts: [account({ sessions: [session({ health, expiresAt: health.expiresAt, ...over })], ...accountOver })] });
}

export class FakeModel implements SessionKeeperModel {
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    public state: ProviderSummary[],
    public clock = NOW,
  ) {}

  set(state: ProviderSummary[]): void {
    this.state = state;
    this.changed.fire();
  }

  now(): number {
    return this.clock;
  }
  providers(): ProviderSummary[] {
    return this.state;
  }
  primaryProviderId(): string | undefined {
    return this.state[0]?.id;
  }
  // The views only read; the actions are for the commands, which need the editor to test.
  async signIn(): Promise<void> {}
  async signOut(): Promise<void> {}
  async switchAccount(): Promise<void> {}
  async refreshNow(): Promise<void> {}
  async setAutoRefresh(): Promise<void> {}
}
