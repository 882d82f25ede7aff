import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { configuredProvider, consumer, idpStats } from './fixtures';
import { runInTerminal } from './terminal';
import { screenshot, signOutInAccountsMenu } from './ui';
import { waitFor } from './wait';

// Runs last, in the reloaded window, once alice's session has served its purpose.
suite('Signing out', () => {
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

  test('after sign-out the terminal command fails at once with a clear message and exit code 5', async () => {
    const provider = configuredProvider();
    // Signed out whatever became of the test before (or when run alone): this one checks the terminal.
    const { api } = await consumer();
    if ((await api.getAccounts(provider.id)).some((a) => a.label === 'alice')) {
      await vscode.commands.executeCommand('_signOutOfAccount', { providerId: provider.id, accountLabel: 'alice' });
      await waitFor(async () => (await api.getAccounts(provider.id)).length === 0, 'alice to leave the accounts list');
    }
    const result = await runInTerminal(`session-keeper --provider ${provider.id} --format header`);
    assert.equal(result.code, 5, `stderr: ${result.stderr.trim()}`);
    assert.match(result.stderr, /No account is signed in to Acme SSO/);
    assert.equal(result.stdout, '');
  });
});
