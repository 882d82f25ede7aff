// When does a countdown's text change next? Views ask this so that they set one timer for the
// next visible change instead of re-rendering every second. No vscode import: unit-tested in Node.
import type { Health } from '../session/refresh/health';
import { RENEWING_SHOWN_MS } from './healthText';
import { wholeSeconds } from './duration';

/**
 * The first millisecond after `now` at which a countdown to `target` reads differently: whole
 * minutes from two minutes up, whole seconds below, and the target itself (where the state behind
 * the countdown changes). Undefined once the target has passed.
 */
export function nextCountdownChange(target: number, now: number): number | undefined {
  if (target <= now) return undefined;
  const s = wholeSeconds(target - now);
  // The text holds while the rounded seconds stay at or above this floor.
  const floor = s >= 120 ? s - (s % 60) : s;
  if (floor === 0) return target;
  // Math.round(x) drops below `floor` once x < floor - 0.5, i.e. remaining < floor * 1000 - 500.
  return Math.min(target, Math.floor(target - floor * 1000 + 500) + 1);
}

/** The next instant describeHealth(h, ·) can read differently, or the state behind it can change. */
export function nextHealthTextChange(h: Health, now: number): number | undefined {
  switch (h.state) {
    case 'offline':
      return h.nextRefreshAt === undefined ? undefined : nextCountdownChange(h.nextRefreshAt, now);
    case 'healthy':
    case 'expiring': {
      const renewingEnds =
        h.lastRefreshAt !== undefined && h.lastRefreshAt + RENEWING_SHOWN_MS > now ? h.lastRefreshAt + RENEWING_SHOWN_MS : undefined;
      return earliest([renewingEnds, h.expiresAt === undefined ? undefined : nextCountdownChange(h.expiresAt, now)]);
    }
    case 'refreshing':
    case 'signInNeeded':
    case 'dormant':
      return undefined;
  }
}

/** The next instant an "N s ago" / "N min ago" text for an event at `since` reads differently. */
export function nextElapsedChange(since: number, now: number): number | undefined {
  const s = wholeSeconds(now - since);
  if (s < 120) return since + s * 1000 + 500;
  const m = Math.floor(s / 60);
  return m < 60 ? since + (m + 1) * 60_000 - 500 : undefined;
}

/** The earliest of several instants, ignoring the ones that never come. */
export function earliest(instants: Iterable<number | undefined>): number | undefined {
  let min: number | undefined;
  for (const i of instants) if (i !== undefined && (min === undefined || i < min)) min = i;
  return min;
}

export interface TimerHost {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

// setTimeout fires at once for delays beyond 2^31 - 1 ms.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Runs `update` now and again at each instant it returns, with at most one timer pending.
 * `update` re-renders and answers when its output next changes (undefined: never).
 */
export class CountdownTimer {
  private handle: unknown;
  private active = true;

  constructor(
    private readonly host: TimerHost,
    private readonly update: () => number | undefined,
  ) {}

  /** Renders now and re-arms; call it whenever the inputs change. */
  run(): void {
    this.clear();
    const next = this.update();
    if (!this.active || next === undefined) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, next - this.host.now()));
    this.handle = this.host.setTimeout(() => {
      this.handle = undefined;
      this.run();
    }, delay);
  }

  /** Stops ticking (the view is hidden) until the next resume(). */
  pause(): void {
    this.active = false;
    this.clear();
  }

  resume(): void {
    this.active = true;
    this.run();
  }

  dispose(): void {
    this.pause();
  }

  private clear(): void {
    if (this.handle !== undefined) this.host.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
