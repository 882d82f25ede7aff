import * as assert from 'node:assert/strict';
import { assertUsableAccessToken, configuredProvider, consumer, sessionKeeper } from './fixtures';
import { acceptSignInRequest, logInAtIdp, screenshot } from './ui';
import { waitFor } from './wait';

suite('Signing in for another extension', () => {
  test('Session Keeper is active and has registered the configured provider, with no accounts yet', async () => {
    const extension = await sessionKeeper();
    assert.ok(extension.isActive);
    const { api } = await consumer();
    // An unregistered provider id makes this time out instead ("Timed out waiting for authentication provider").
    assert.deepEqual(await api.getAccounts(configuredProvider().id), []);
  });

  test('a silent request shows a sign-in item in the Accounts menu; signing in there as alice gives the consumer her session', async () => {
    const provider = configuredProvider();
    const { extension, api } = await consumer();
    const changesBefore = api.sessionChangeCount(provider.id);

    assert.equal(await api.getSession(provider.id, ['openid'], { createIfNone: false }), undefined);
    await acceptSignInRequest(provider, extension);
    await logInAtIdp('alice');

    // The Accounts menu click both signed in and granted the consumer access.
    const session = await waitFor(
      () => api.getSession(provider.id, ['openid'], { createIfNone: false }),
      'the consumer to get a session after signing in',
      60_000,
    );
    assert.equal(session.account.label, 'alice');
    assertUsableAccessToken(session);

    const asked = await api.getSession(provider.id, ['openid'], { createIfNone: true });
    assert.equal(asked?.id, session.id, 'createIfNone returns the session that exists instead of signing in again');
    assert.deepEqual(
      (await api.getAccounts(provider.id)).map((a) => a.label),
      ['alice'],
    );
    await waitFor(() => api.sessionChangeCount(provider.id) > changesBefore, "the consumer's onDidChangeSessions to fire", 10_000);
    await screenshot('signed-in');
  });
});
