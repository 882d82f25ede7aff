import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { consumer, providerById, sessionKeeperTestApi } from './fixtures';
import { acceptSignInRequest, hasBrowserDriver, readPage, screenshot } from './ui';
import { waitFor } from './wait';
import {
  ENDPOINT_ACCOUNT,
  ENDPOINT_PROVIDER_ID,
  SIDEBAR_ROWS,
  lateRenewals,
  renewalRequests,
  rotationBreaks,
  serviceStats,
  watchTokens,
} from './service';

// An endpoint session ("dash": cookies pasted, renewed at the JSON service, 20 s tokens). The next
// phase (endpointAfterReload.test.ts) reloads the window, watches it renew on, then ends it.
suite('An endpoint session: pasted cookies, renewed at the service', () => {
  test('the user pastes the Cookie header and names the account; the consumer gets the token the service issued for it', async () => {
    const provider = providerById(ENDPOINT_PROVIDER_ID);
    const { extension, api } = await consumer();
    const before = await serviceStats();
    assert.equal(before.issued.length, 0, 'the service renewed a session before anyone signed in');
    // The test workbench refuses input boxes: the Cookie header the browser sends, then the account name.
    const testApi = await sessionKeeperTestApi();
    testApi.inputs.push(`sid=${before.current.sid}; theme=dark`, ENDPOINT_ACCOUNT);
    assert.equal(await api.getSession(provider.id, [], { createIfNone: false }), undefined);
    await acceptSignInRequest(provider, extension);
    const session = await waitFor(
      () => api.getSession(provider.id, [], { createIfNone: false }),
      'the consumer to get a session after pasting the Cookie header',
      60_000,
    );
    assert.equal(testApi.inputs.pending, false, 'the sign-in left answers unused');
    assert.equal(session.account.label, ENDPOINT_ACCOUNT);
    const stats = await serviceStats();
    // One renewal checked the pasted values; its token is what the consumer got (or one renewed since).
    assert.equal(stats.issued[0]?.sentSid, before.current.sid, 'the first renewal did not carry the pasted sid');
    assert.ok(
      stats.issued.some((r) => r.token === session.accessToken),
      'the consumer got a token the service never issued',
    );
    assert.equal(stats.refused, 0);
  });

  test('renews in the background before expiry: the consumer gets each new token and never an expired one, and every renewal carried the rotated cookie', async () => {
    const { api } = await consumer();
    const start = await serviceStats();
    assert.ok(start.issued.length > 0, 'not signed in');
    const changesBefore = api.sessionChangeCount(ENDPOINT_PROVIDER_ID);
    // Tokens live 20 s and renew about halfway: two renewals come within about 25 s.
    const { seen, stats } = await watchTokens(
      () => api.getSession(ENDPOINT_PROVIDER_ID, [], { createIfNone: false }),
      (s, tokens) => s.issued.length >= start.issued.length + 2 && tokens.includes(s.issued[s.issued.length - 1].token),
      'two background renewals to reach the consumer',
      120_000,
    );
    assert.ok(seen.length >= 3, `the consumer saw ${seen.length} tokens`);
    assert.ok(
      api.sessionChangeCount(ENDPOINT_PROVIDER_ID) >= changesBefore + 2,
      "the consumer's onDidChangeSessions did not fire per renewal",
    );
    assert.deepEqual(rotationBreaks(stats.issued), []);
    assert.deepEqual(lateRenewals(stats.issued, 1), []);
    assert.equal(stats.refused, 0, 'a renewal carried an old sid');
    // The other pasted cookie travels with every renewal.
    const renewals = renewalRequests(stats);
    assert.deepEqual(
      renewals.filter((r) => r.cookies.theme !== 'dark').map((r) => r.url),
      [],
      'renewals without the pasted theme cookie',
    );
  });

  test('the Accounts view lists the endpoint account beside the identity providers, and the status bar still shows', async function () {
    // Reading the page needs the browser driver; the engine's view of the account is checked in the tests above and after the reload.
    if (!hasBrowserDriver) this.skip();
    const summary = (await sessionKeeperTestApi()).providers().find((p) => p.id === ENDPOINT_PROVIDER_ID);
    assert.deepEqual(
      summary?.accounts.map((a) => [a.label, a.health.state === 'signInNeeded']),
      [[ENDPOINT_ACCOUNT, false]],
    );
    await vscode.commands.executeCommand('sessionKeeper.accounts.focus');
    const rows = await waitFor(
      async () => {
        const texts = await readPage(SIDEBAR_ROWS);
        return texts.some((t) => t.startsWith('Dash')) && texts.some((t) => t.startsWith(ENDPOINT_ACCOUNT)) && texts;
      },
      'the Accounts view to list Dash and its account',
      60_000,
      1_000,
    );
    assert.ok(
      rows.some((t) => t.startsWith('Acme SSO')),
      `rows: ${rows.join(' | ')}`,
    );
    assert.match(rows.find((t) => t.startsWith(ENDPOINT_ACCOUNT)) ?? '', /expires in|renewing/);
    const [status] = await readPage('.statusbar-item[aria-label^="Session Keeper"]', 'aria-label');
    assert.match(status, /^Session Keeper/);
    await screenshot('endpoint-account-in-view');
  });
});
