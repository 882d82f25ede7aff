// When sessions renew: the policy, the planned time of the next refresh, backoff, and whether a token may be served.
import type { StoredSession } from '../storage/store';

export interface RefreshPolicy {
  /** Refresh when less than max(leadMs, 20% of the lifetime) remains. */
  readonly leadMs: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxConcurrent: number;
  /** How long getSessions waits for an inline refresh before answering without the session. */
  readonly inlineWaitMs: number;
  /** The longest the timer sleeps, so sleep and clock jumps are noticed within this time. */
  readonly heartbeatMs: number;
  /** A timer this late, or a clock this far off, means the machine slept or the clock jumped. */
  readonly wakeThresholdMs: number;
  /** The longest a window waits, at a planned refresh, for the window that last renewed to do it. */
  readonly followerDelayMs: number;
  /**
   * While an issuer cannot be reached, how often a request without any token checks whether it is
   * back, so renewal resumes within this time instead of at the end of a long backoff.
   */
  readonly probeIntervalMs: number;
}

export const defaultPolicy: RefreshPolicy = {
  leadMs: 5 * 60_000,
  baseBackoffMs: 2_000,
  maxBackoffMs: 5 * 60_000,
  maxConcurrent: 4,
  inlineWaitMs: 10_000,
  heartbeatMs: 60_000,
  wakeThresholdMs: 30_000,
  followerDelayMs: 15_000,
  probeIntervalMs: 10_000,
};

/** A token this close to expiry is not handed out; callers would fail with it mid-request. */
export const EXPIRY_MARGIN_MS = 30_000;

/** The margin, scaled down for tokens whose whole life is shorter than a few margins. */
export function expiryMargin(s: StoredSession): number {
  if (s.expiresAt === undefined) return 0;
  return Math.min(EXPIRY_MARGIN_MS, Math.max(0, (s.expiresAt - (s.refresh.lastRefreshAt ?? s.createdAt)) / 4));
}

/** Whether the access token may still be handed out at `now`. */
export function isServable(s: StoredSession, now: number): boolean {
  return !s.refresh.needsSignIn && (s.expiresAt === undefined || s.expiresAt - expiryMargin(s) > now);
}

/** How long before expiry a token is renewed, and never earlier than halfway through its life. */
export function refreshLead(lifetimeMs: number, leadMs: number): number {
  return Math.round(Math.min(Math.max(leadMs, 0.2 * lifetimeMs), 0.5 * lifetimeMs));
}

/** The next planned refresh of tokens issued at `issuedAt`, with jitter so sessions spread out. */
export function planRefresh(issuedAt: number, expiresAt: number | undefined, leadMs: number, random: () => number): number | undefined {
  if (expiresAt === undefined) return undefined;
  const lifetime = Math.max(0, expiresAt - issuedAt);
  const jitter = random() * Math.min(30_000, 0.05 * lifetime);
  return Math.round(expiresAt - refreshLead(lifetime, leadMs) - jitter);
}

/** Exponential backoff with full jitter in its upper half; Retry-After wins when longer; never past the cap. */
export function backoffDelay(failures: number, policy: RefreshPolicy, random: () => number, retryAfterSeconds?: number): number {
  const exp = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** Math.min(40, Math.max(0, failures - 1)));
  const delay = exp / 2 + random() * (exp / 2);
  const asked = Number.isFinite(retryAfterSeconds) ? (retryAfterSeconds ?? 0) * 1000 : 0;
  return Math.min(policy.maxBackoffMs, Math.max(delay, asked));
}

/**
 * When a session's next background refresh is planned: the time the store holds, else the lead
 * before expiry; never before `holdUntil`, a hold the refresher placed after an attempt.
 */
export function plannedAt(s: StoredSession, leadMs: number, holdUntil?: number): number | undefined {
  const planned =
    s.refresh.nextRefreshAt ??
    (s.expiresAt === undefined ? undefined : s.expiresAt - refreshLead(s.expiresAt - (s.refresh.lastRefreshAt ?? s.createdAt), leadMs));
  if (planned === undefined || !Number.isFinite(planned)) return undefined;
  return holdUntil === undefined ? planned : Math.max(planned, holdUntil);
}
