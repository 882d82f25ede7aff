// Assertions the protocol tests share: a rejection with a given error code, and a sign-in that left nothing behind.
import assert from 'node:assert/strict';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import type { SessionStore } from '../../src/session/storage/store';
import type { MemorySecrets } from './fakes';

/** Awaits `p`, which must reject with a SessionKeeperError of `code` (and a message matching `message`). */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<SessionKeeperError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SessionKeeperError, `not a SessionKeeperError: ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return err;
}

/** No account in the store and nothing in the secret storage. */
export function assertNothingStored(ctx: { readonly store: SessionStore; readonly secrets: MemorySecrets }): void {
  assert.equal(ctx.store.accounts().length, 0, 'an account was stored');
  assert.equal(ctx.secrets.data.size, 0, `something was written to the secret storage: ${[...ctx.secrets.data.keys()].join(', ')}`);
}
