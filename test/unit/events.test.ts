import assert from 'node:assert/strict';
import { Emitter, onListenerError } from '../../src/session/base/events';

describe('events', () => {
  it('a failing listener neither stops the others nor goes unreported', () => {
    const reported: unknown[] = [];
    const previous = onListenerError((err) => reported.push(err));
    try {
      const emitter = new Emitter<number>();
      const seen: number[] = [];
      emitter.event(() => {
        throw new Error('listener broke');
      });
      emitter.event((n) => seen.push(n));
      emitter.fire(7);
      assert.deepEqual(seen, [7]);
      assert.equal(reported.length, 1);
      assert.match(String(reported[0]), /listener broke/);
    } finally {
      onListenerError(previous);
    }
  });
});
