import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { assertUsableAccessToken, configuredProvider, consumer, mintAccessToken, providerById, sessionKeeperTestApi } from './fixtures';
import { acceptSignInRequest, enterDeviceCodeAtIdp, hasBrowserDriver, openInBrowser, screenshot } from './ui';
import { waitFor } from './wait';

// Sign-in flows other than the loopback redirect, in a web workbench (code-server): the device code,
// a pasted token, and what the URI handler receives there. The next phase reloads the window.
suite('Signing in without a loopback redirect', () => {
  test('device code: the user enters the code VS Code shows on the issuer page, and the consumer gets the session', async function () {
    if (!hasBrowserDriver) this.skip();
    const provider = providerById('acme-device');
    const { extension, api } = await consumer();
    assert.equal(await api.getSession(provider.id, ['openid'], { createIfNone: false }), undefined);
    await acceptSignInRequest(provider, extension);
    await enterDeviceCodeAtIdp('alice');
    const session = await waitFor(
      () => api.getSession(provider.id, ['openid'], { createIfNone: false }),
      'the consumer to get a session after the device code was entered',
      60_000,
    );
    assert.equal(session.account.label, 'alice');
    assertUsableAccessToken(session);
    await screenshot('signed-in-with-device-code');
  });

  test('pasted token: an API token from the issuer is checked at userinfo, and the consumer gets it as a session', async () => {
    const provider = providerById('acme-token');
    const { extension, api } = await consumer();
    const token = await mintAccessToken('bob');
    // The test workbench refuses input boxes: the token, no refresh token, and a lifetime of an hour.
    (await sessionKeeperTestApi()).inputs.push(token, '', 3_600_000);
    assert.equal(await api.getSession(provider.id, ['openid'], { createIfNone: false }), undefined);
    await acceptSignInRequest(provider, extension);
    const session = await waitFor(
      () => api.getSession(provider.id, ['openid'], { createIfNone: false }),
      'the consumer to get a session after pasting a token',
      60_000,
    );
    assert.equal(session.account.label, 'bob');
    assert.ok(session.accessToken === token, 'the session serves the pasted token');
  });

  test("URI handler: a response at the host's external callback URI reaches the handler; one no sign-in waits for is refused and stores nothing", async function () {
    if (!hasBrowserDriver) this.skip();
    const testApi = await sessionKeeperTestApi();
    const callback = vscode.Uri.parse(`${vscode.env.uriScheme}://session-keeper.session-keeper/callback`);
    const external = (await vscode.env.asExternalUri(callback)).toString(true);
    const separator = external.includes('?') ? '&' : '?';
    const received = new Promise<URL>((resolve) => {
      const subscription = testApi.uriHandler.listen((uri) => {
        subscription.dispose();
        resolve(uri);
      });
    });
    await openInBrowser(`${external}${separator}code=test-code&state=test-state`);
    const uri = await Promise.race([
      received,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the URI handler received nothing within 30 s')), 30_000)),
    ]);
    assert.equal(uri.pathname, '/callback');
    assert.equal(uri.searchParams.get('code'), 'test-code');
    assert.equal(uri.searchParams.get('state'), 'test-state');

    // With no sign-in waiting, a response is refused with a message.
    const refusedBefore = testApi.uriHandler.refused;
    const accountsBefore = await consumer().then(({ api }) => api.getAccounts(configuredProvider().id));
    const again = (await vscode.env.asExternalUri(callback)).toString(true);
    await openInBrowser(`${again}${again.includes('?') ? '&' : '?'}code=forged-code&state=forged-state`);
    await waitFor(() => testApi.uriHandler.refused > refusedBefore, 'the URI handler to refuse the response', 30_000);
    const { api } = await consumer();
    assert.deepEqual(await api.getAccounts(configuredProvider().id), accountsBefore);
    await screenshot('uri-handler-refused');
  });
});
