// Text from the identity provider in a real notification: an account name and an error_description
// that carry command links, a forged log line, ANSI and bidi codes reach the "session has ended"
// notice as plain text, with no link in the notification's DOM. The test adds its own IdP user and
// signs it in with a pasted token; it takes the account, the IdP fault and the notification away again.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { mintAccessToken, providerById, sessionKeeperTestApi } from './fixtures';
import { hasBrowserDriver, issuer, readPage, screenshot } from './ui';
import { waitFor } from './wait';

const LOGIN = 'mallory';
/** The IdP's preferred_username for the account. */
const HOSTILE_NAME = '\u202e[Open](command:workbench.action.quit)\n2026-01-01 12:00:00.000 [info] \u001b[31madmin\u001b[0m\u2066';
/** The account's label, as Session Keeper makes it from that claim. */
const ACCOUNT_LABEL = '[Open](command:workbench.action.quit) 2026-01-01 12:00:00.000 [info] admin';
/** The IdP's error_description when it refuses the refresh token. */
const HOSTILE_DESCRIPTION = 'Revoked. [Install](command:workbench%2Eextensions%2EinstallExtension?%5B%22evil.pwn%22%5D) \u202egnp.exe';

/** POST <issuer>/__test/<path>, with `body` as JSON. */
async function idpControl(path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${issuer}/__test/${path}`, { method: 'POST', ...(body !== undefined && { body: JSON.stringify(body) }) });
  assert.equal(response.status, 200, `POST /__test/${path}: ${await response.text()}`);
}

suite('Text from the identity provider in notifications', () => {
  test('a hostile account name and error_description show in the "session has ended" notification as plain text, with no link', async function () {
    // Reading the notification needs the browser driver.
    if (!hasBrowserDriver) this.skip();
    const provider = providerById('acme-token');
    const testApi = await sessionKeeperTestApi();
    const accountOf = () =>
      testApi
        .providers()
        .find((p) => p.id === provider.id)
        ?.accounts.find((a) => a.id === LOGIN);
    await idpControl(`add-user?login=${LOGIN}`, { name: 'Mallory', email: 'mallory@example.test', preferred_username: HOSTILE_NAME });
    try {
      // The test workbench refuses input boxes: the token, a refresh token the IdP never issued, a lifetime.
      testApi.inputs.push(await mintAccessToken(LOGIN), `RT${randomBytes(24).toString('hex')}`, 3_600_000);
      await vscode.commands.executeCommand('sessionKeeper.signIn', provider.id);
      const account = await waitFor(accountOf, `${LOGIN} to be signed in to ${provider.label}`, 30_000);
      assert.equal(account.label, ACCOUNT_LABEL);

      // The IdP refuses that refresh token (invalid_grant) with the hostile description: the session ends.
      await idpControl('fault?path=/token&kind=error-description', { description: HOSTILE_DESCRIPTION });
      const before = testApi.signInNotices.length;
      await vscode.commands.executeCommand('sessionKeeper.refreshNow', { providerId: provider.id, accountId: LOGIN });
      const notice = await waitFor(
        () => testApi.signInNotices.slice(before).find((n) => n.providerId === provider.id),
        'the "session has ended" notice',
        30_000,
      );
      assert.equal(notice.accountLabel, ACCOUNT_LABEL);

      // In the notification center it stays up however long a toast would.
      await vscode.commands.executeCommand('notifications.showList');
      const message = `.notifications-center .notification-list-item:has-text("at ${provider.label} has ended") .notification-list-item-message`;
      const [text] = await readPage(message);
      await screenshot('hostile-text-notification');
      // The message element and anything in it with an href: only the message, which has none.
      const hrefs = await readPage(`${message}, ${message} a, ${message} [href]`, 'href');
      assert.deepEqual(hrefs, [''], `the notification has links: ${hrefs.filter(Boolean).join(' ')}`);
      // And the text reads as the IdP wrote it, made plain.
      assert.ok(text.startsWith(`Your session for ${ACCOUNT_LABEL.replace('](', '] (')} at ${provider.label} has ended:`), text);
      assert.ok(text.includes('[Install] (command:workbench%2Eextensions%2EinstallExtension?%5B%22evil.pwn%22%5D)'), text);
      assert.ok(!text.includes(']('), text);
    } finally {
      await idpControl('clear-faults');
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('notifications.hideList');
      if (accountOf()) await testApi.signOut(provider.id, LOGIN);
      await idpControl(`remove-user?login=${LOGIN}`);
    }
    assert.equal(accountOf(), undefined, `${LOGIN} is still signed in`);
  });
});
