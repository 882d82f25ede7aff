import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import type { Health } from '../../../src/session/refresh/health';
import { describeHealth } from '../../../src/views/healthText';
import { CountdownTimer, earliest, nextCountdownChange, nextHealthTextChange } from '../../../src/views/countdown';
import { MIN, NOW } from './fixtures';

const S = 1000;

describe('countdown: when a description next changes', () => {
  it('"expires in 42 min" holds until the remaining time drops below 42 minutes, then reads 41 min', () => {
    const h: Health = { state: 'healthy', expiresAt: NOW + 42 * MIN + 30 * S };
    const next = nextHealthTextChange(h, NOW)!;
    assert.equal(describeHealth(h, NOW), 'expires in 42 min');
    assert.equal(describeHealth(h, next - 1), 'expires in 42 min');
    assert.equal(describeHealth(h, next), 'expires in 41 min');
    assert.ok(next - NOW > 30 * S, 'no tick while the minute count stays the same');
  });

  it('hours and minutes change once a minute, never every second', () => {
    const h: Health = { state: 'healthy', expiresAt: NOW + 3 * 60 * MIN + 5 * MIN + 10 * S };
    const next = nextHealthTextChange(h, NOW)!;
    assert.equal(describeHealth(h, NOW), 'expires in 3 h 5 min');
    assert.equal(describeHealth(h, next), 'expires in 3 h 4 min');
    assert.ok(next - NOW >= 10 * S);
  });

  it('one minute left switches to seconds, then counts every second', () => {
    const h: Health = { state: 'healthy', expiresAt: NOW + 60 * S };
    const first = nextHealthTextChange(h, NOW)!;
    assert.equal(describeHealth(h, first), 'expires in 59 s');
    const second = nextHealthTextChange(h, first)!;
    assert.equal(second - first, S);
    assert.equal(describeHealth(h, second), 'expires in 58 s');
  });

  it('an offline session counts down "retry in 30 s" by the second, then reads "retrying" at the retry instant', () => {
    const h: Health = { state: 'offline', nextRefreshAt: NOW + 30 * S, expiresAt: NOW + 40 * MIN };
    const next = nextHealthTextChange(h, NOW)!;
    assert.equal(describeHealth(h, NOW), 'offline, retry in 30 s');
    assert.equal(describeHealth(h, next), 'offline, retry in 29 s');
    assert.ok(next - NOW <= S);

    const last = nextHealthTextChange(h, NOW + 29_600)!;
    assert.equal(last, h.nextRefreshAt);
    assert.equal(describeHealth(h, last), 'offline, retrying');
  });

  it('the expiry instant itself is a change, so health can turn to "sign-in needed" on time', () => {
    const h: Health = { state: 'expiring', expiresAt: NOW + 400 };
    assert.equal(nextHealthTextChange(h, NOW), NOW + 400);
    assert.equal(nextHealthTextChange(h, NOW + 400), undefined);
  });

  it('never changes the text before the computed instant, and always by then (any offset up to a day)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) {
      const target = NOW + Math.floor(random() * 24 * 60 * MIN);
      for (const h of [
        { state: 'healthy', expiresAt: target },
        { state: 'offline', nextRefreshAt: target },
      ] as Health[]) {
        const now = NOW + Math.floor(random() * 1000);
        const next = nextHealthTextChange(h, now);
        if (target <= now) {
          assert.equal(next, undefined);
          continue;
        }
        assert.ok(next !== undefined && next > now && next <= target, `next change after ${now} for ${target}`);
        assert.equal(describeHealth(h, next - 1), describeHealth(h, now), `text before ${next} for target ${target}`);
        if (next < target) assert.notEqual(describeHealth(h, next), describeHealth(h, now), `text at ${next} for target ${target}`);
      }
    }
  });

  it('refreshing, sign-in needed and sessions without expiry never tick', () => {
    assert.equal(nextHealthTextChange({ state: 'refreshing', expiresAt: NOW + MIN }, NOW), undefined);
    assert.equal(nextHealthTextChange({ state: 'signInNeeded', expiresAt: NOW + MIN }, NOW), undefined);
    assert.equal(nextHealthTextChange({ state: 'healthy' }, NOW), undefined);
    assert.equal(nextHealthTextChange({ state: 'offline' }, NOW), undefined);
  });

  it('a countdown whose target has passed never changes again', () => {
    assert.equal(nextCountdownChange(NOW, NOW), undefined);
    assert.equal(nextCountdownChange(NOW - S, NOW), undefined);
  });

  it('earliest picks the soonest instant and ignores the ones that never come', () => {
    assert.equal(earliest([undefined, NOW + 5, NOW + 2, undefined]), NOW + 2);
    assert.equal(earliest([undefined]), undefined);
  });
});

describe('countdown timer', () => {
  function setup(plan: Array<number | undefined>) {
    const clock = FakeTimers.createClock(NOW);
    const renders: number[] = [];
    const host = { now: () => clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout };
    const timer = new CountdownTimer(host, () => {
      renders.push(clock.now);
      return plan.shift();
    });
    return { clock, renders, timer };
  }

  it('renders at once, then exactly at each instant it was given, with one timer at a time', () => {
    const { clock, renders, timer } = setup([NOW + MIN, NOW + MIN + S, undefined]);
    timer.run();
    assert.equal(clock.countTimers(), 1);
    clock.tick(MIN - 1);
    assert.deepEqual(renders, [NOW]);
    clock.tick(1);
    assert.deepEqual(renders, [NOW, NOW + MIN]);
    assert.equal(clock.countTimers(), 1);
    clock.tick(10 * MIN);
    assert.deepEqual(renders, [NOW, NOW + MIN, NOW + MIN + S]);
    assert.equal(clock.countTimers(), 0, 'nothing left to count down');
  });

  it('a model change re-renders now and replaces the pending timer instead of adding one', () => {
    const { clock, renders, timer } = setup([NOW + MIN, NOW + 2 * MIN]);
    timer.run();
    clock.tick(S);
    timer.run();
    assert.equal(clock.countTimers(), 1);
    assert.deepEqual(renders, [NOW, NOW + S]);
  });

  it('a hidden view stops ticking and catches up as soon as it is shown', () => {
    const { clock, renders, timer } = setup([NOW + MIN, NOW + 5 * MIN, undefined]);
    timer.run();
    timer.pause();
    assert.equal(clock.countTimers(), 0);
    clock.tick(3 * MIN);
    assert.deepEqual(renders, [NOW]);
    timer.resume();
    assert.deepEqual(renders, [NOW, NOW + 3 * MIN]);
    assert.equal(clock.countTimers(), 1);
  });

  it('an instant weeks away does not overflow setTimeout into an immediate tick', () => {
    const { clock, renders, timer } = setup([NOW + 60 * 24 * 60 * MIN]);
    timer.run();
    clock.tick(S);
    assert.deepEqual(renders, [NOW]);
  });
});
