// A clock whose time only moves when a test says so. Timers fire in order as time advances,
// with pending promise callbacks run between them.
import type { Clock } from '../../src/session/base/clock';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private timers: Timer[] = [];
  private nextId = 1;
  private seed = 1;
  constructor(public current = 1_700_000_000_000) {}

  now = () => this.current;

  /** Deterministic pseudo-random numbers, so jitter is reproducible. */
  random = () => {
    this.seed = (this.seed * 16807) % 2147483647;
    return (this.seed - 1) / 2147483646;
  };

  setTimeout = (fn: () => void, ms: number) => {
    const t = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(t);
    return t.id;
  };

  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      await flush();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = end;
    await flush();
  }

  /** The wall clock jumps (sleep, or a clock change) while timers stand still. */
  jump(ms: number): void {
    this.current += ms;
    for (const t of this.timers) t.at += ms;
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
