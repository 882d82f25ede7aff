import * as assert from 'node:assert/strict';
import { assertUsableAccessToken, configuredProvider, consumer, sessionKeeper } from './fixtures';

// Runs in a reloaded window after signIn.test.ts signed alice in (see index.ts).
suite('After a window reload', () => {
  test("the consumer gets alice's session silently, without signing in again", async () => {
    const provider = configuredProvider();
    await sessionKeeper();
    const { api } = await consumer();
    // Once Session Keeper is active, the first request must already see the stored session.
    const session = await api.getSession(provider.id, ['openid'], { silent: true });
    assert.ok(session, 'no session after the reload');
    assert.equal(session.account.label, 'alice');
    assertUsableAccessToken(session);
  });
});
