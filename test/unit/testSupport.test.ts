// The shared test helpers fail when they should: a helper that always passes would make every test that uses it pass.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { silentLogger } from '../../src/session/base/log';
import { SessionStore } from '../../src/session/storage/store';
import { assertNothingStored, rejectsWith } from '../support/assert';
import { FakeClock } from '../support/fakeClock';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { freePort } from '../support/net.mjs';
import { waitFor } from '../support/wait.mjs';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected the helper to fail'),
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );

describe('shared test helpers', () => {
  it('rejectsWith returns the error of the code asked for, and fails on a resolve, another code, another message or another error', async () => {
    const err = new SessionKeeperError(ErrorCode.Timeout, 'the issuer did not answer in time');
    assert.equal(await rejectsWith(Promise.reject(err), ErrorCode.Timeout, /in time/), err);
    assert.equal(await rejectsWith(Promise.reject(err), ErrorCode.Timeout), err);
    assert.match(await failure(rejectsWith(Promise.resolve('ok'), ErrorCode.Timeout)), /^expected Timeout$/);
    assert.match(await failure(rejectsWith(Promise.reject(err), ErrorCode.Cancelled)), /in time/);
    assert.ok(await failure(rejectsWith(Promise.reject(err), ErrorCode.Timeout, /declined/)));
    assert.match(
      await failure(rejectsWith(Promise.reject(new Error('plain')), ErrorCode.Timeout)),
      /not a SessionKeeperError: Error: plain/,
    );
  });

  it('assertNothingStored fails on a stored account or on any secret written', async () => {
    const secrets = new MemorySecrets();
    const store = new SessionStore(secrets, new MemoryMemento(), silentLogger);
    assertNothingStored({ store, secrets });
    await secrets.store('sessionKeeper.stray', 'x');
    assert.match(
      await failure(Promise.resolve().then(() => assertNothingStored({ store, secrets }))),
      /secret storage: sessionKeeper\.stray/,
    );
  });

  it('waitFor returns what the probe found, asks again after a throw, and gives up naming what it waited for and the last error', async () => {
    let calls = 0;
    const found = await waitFor(
      () => {
        calls++;
        if (calls === 1) throw new Error('not yet');
        return calls === 3 && { calls };
      },
      'the third call',
      30_000,
      1,
    );
    assert.deepEqual(found, { calls: 3 });
    const message = await failure(
      waitFor(
        () => {
          throw new Error('still down');
        },
        'a service that never comes',
        0,
        1,
      ),
    );
    assert.equal(message, 'timed out after 0 s waiting for a service that never comes (last error: still down)');
  });

  it('FakeClock fires timers in due order (ties in the order set) up to the end, timers they set included, and a jump leaves timers their wait', async () => {
    const clock = new FakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => {
      fired.push(`c@${clock.now()}`);
      clock.setTimeout(() => fired.push(`e@${clock.now()}`), 10);
      void Promise.resolve().then(() => clock.setTimeout(() => fired.push(`f@${clock.now()}`), 20));
    }, 20);
    const cancelled = clock.setTimeout(() => fired.push('never'), 5);
    clock.clearTimeout(cancelled);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 41);
    await clock.advance(40);
    assert.deepEqual(fired, ['a@1010', 'b@1020', 'c@1020', 'e@1030', 'f@1040']);
    assert.equal(clock.now(), 1_040);
    assert.equal(clock.pendingTimers, 1);
    clock.jump(3_600_000);
    assert.equal(clock.now(), 3_601_040);
    await clock.advance(0);
    assert.equal(fired.length, 5, 'the jump fired nothing');
    await clock.advance(1);
    assert.deepEqual(fired.slice(5), ['late@3601041']);
    assert.equal(clock.pendingTimers, 0);
  });

  it('freePort gives a port nothing listens on', async () => {
    const port = await freePort();
    const socket = connect(port, '127.0.0.1');
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      socket.once('error', resolve);
      socket.once('connect', () => reject(new Error(`something listens on ${port}`)));
    });
    assert.equal(error.code, 'ECONNREFUSED');
  });
});
