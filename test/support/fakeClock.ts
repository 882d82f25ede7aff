// A clock whose time only moves when a test says so, on @sinonjs/fake-timers. Timers fire in order
// as time advances, with pending promise callbacks run between them.
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../src/session/base/clock';

export class FakeClock implements Clock {
  private readonly clock: FakeTimers.Clock;
  private seed = 1;
  constructor(start = 1_700_000_000_000) {
    this.clock = FakeTimers.createClock(start);
  }

  now = () => this.clock.now;

  /** Deterministic pseudo-random numbers, so jitter is reproducible. */
  random = () => {
    this.seed = (this.seed * 16807) % 2147483647;
    return (this.seed - 1) / 2147483646;
  };

  setTimeout = (fn: () => void, ms: number): unknown => this.clock.setTimeout(fn, ms);

  clearTimeout = (id: unknown) => {
    this.clock.clearTimeout(id as FakeTimers.TimerId);
  };

  get pendingTimers(): number {
    return this.clock.countTimers();
  }

  /** Moves time forward, firing due timers in order (by due time, then by when they were set). */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now + ms;
    for (;;) {
      await flush();
      // A marker due at `end`, set after every timer there is: `next()` fires it only when no
      // other timer is due by `end`. Timers the fired ones set are found on the next round.
      let reachedEnd = false;
      const marker = this.clock.setTimeout(() => (reachedEnd = true), end - this.clock.now);
      try {
        this.clock.next();
      } finally {
        if (!reachedEnd) this.clock.clearTimeout(marker);
      }
      if (reachedEnd) break;
    }
    await flush();
  }

  /** The wall clock jumps (sleep, or a clock change) while timers stand still. */
  jump(ms: number): void {
    this.clock.setSystemTime(this.clock.now + ms);
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
