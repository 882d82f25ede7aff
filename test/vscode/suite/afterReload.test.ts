import * as assert from 'node:assert/strict';
import { assertUsableAccessToken, configuredProvider, consumer, idpStats, sessionKeeper } from './fixtures';
import { screenshot, signOutInAccountsMenu } from './ui';
import { waitFor } from './wait';

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

  test('signing alice out in the Accounts menu removes her session for every extension and revokes it at the IdP', async () => {
    const provider = configuredProvider();
    const { api } = await consumer();
    const revocationsBefore = (await idpStats()).revocations;
    const changesBefore = api.sessionChangeCount(provider.id);

    await signOutInAccountsMenu(provider, 'alice');

    await waitFor(async () => (await api.getAccounts(provider.id)).length === 0, 'alice to leave the accounts list');
    assert.equal(await api.getSession(provider.id, ['openid'], { createIfNone: false }), undefined);
    await waitFor(() => api.sessionChangeCount(provider.id) > changesBefore, "the consumer's onDidChangeSessions to fire");
    await waitFor(async () => (await idpStats()).revocations > revocationsBefore, 'the IdP to record a revocation');
    await screenshot('signed-out');
  });
});
