import * as assert from 'node:assert/strict';
import { assertUsableAccessToken, consumer, providerById, sessionKeeper } from './fixtures';
import { hasBrowserDriver } from './ui';

// Runs in a reloaded window after flows.test.ts signed in with a device code and a pasted token.
suite('After a window reload, sessions of other flows', () => {
  test('the device-code session is served silently (renewed if its token expired meanwhile)', async function () {
    if (!hasBrowserDriver) this.skip();
    await sessionKeeper();
    const { api } = await consumer();
    const session = await api.getSession(providerById('acme-device').id, ['openid'], { silent: true });
    assert.ok(session, 'no device-code session after the reload');
    assert.equal(session.account.label, 'alice');
    assertUsableAccessToken(session);
  });

  test('the pasted-token session is served silently', async () => {
    await sessionKeeper();
    const { api } = await consumer();
    const session = await api.getSession(providerById('acme-token').id, ['openid'], { silent: true });
    assert.ok(session, 'no pasted-token session after the reload');
    assert.equal(session.account.label, 'bob');
    assertUsableAccessToken(session);
  });
});
