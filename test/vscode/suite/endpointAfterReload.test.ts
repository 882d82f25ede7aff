import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { consumer, sessionKeeper, sessionKeeperTestApi } from './fixtures';
import {
  ENDPOINT_ACCOUNT,
  ENDPOINT_PROVIDER_ID,
  SIDEBAR_ROWS,
  lateRenewals,
  renewalRequests,
  rotationBreaks,
  serviceMode,
  serviceStats,
  watchTokens,
} from './service';
import { hasBrowserDriver, readPage, screenshot } from './ui';
import { waitFor } from './wait';

// Runs in a reloaded window after endpoint.test.ts signed in to "dash" and watched it renew.
suite('After a window reload, the endpoint session', () => {
  test('is served silently with a valid token, and renews on in the background with the rotated cookie', async () => {
    await sessionKeeper();
    const { api } = await consumer();
    const start = await serviceStats();
    assert.ok(start.issued.length >= 3, `the service renewed ${start.issued.length} times before the reload`);
    // The first renewal may come late (no extension host ran during the reload); the ones after it must not.
    const { stats } = await watchTokens(
      () => api.getSession(ENDPOINT_PROVIDER_ID, [], { silent: true }),
      (s, tokens) => s.issued.length >= start.issued.length + 2 && tokens.includes(s.issued[s.issued.length - 1].token),
      'two renewals in the reloaded window to reach the consumer',
      120_000,
    );
    const session = await api.getSession(ENDPOINT_PROVIDER_ID, [], { silent: true });
    assert.equal(session?.account.label, ENDPOINT_ACCOUNT);
    assert.deepEqual(rotationBreaks(stats.issued), [], 'the rotation broke across the reload');
    assert.deepEqual(lateRenewals(stats.issued, start.issued.length + 1), []);
    assert.equal(stats.refused, 0, 'a renewal carried an old sid');
  });

  test('when the service ends the session: one Sign In Again notice, no session for the consumer, the account kept as needing sign-in', async () => {
    const testApi = await sessionKeeperTestApi();
    const { api } = await consumer();
    const notices = () => testApi.signInNotices.filter((n) => n.providerId === ENDPOINT_PROVIDER_ID);
    assert.deepEqual(notices(), []);
    assert.ok(await api.getSession(ENDPOINT_PROVIDER_ID, [], { silent: true }), 'not signed in before the session ended');
    const before = await serviceStats();
    await serviceMode({ kind: 'end', status: 401 });
    // The next background renewal (within about 10 s of the last) meets the 401.
    await waitFor(() => notices().length > 0, 'a Sign In Again notice', 60_000);
    assert.equal(await api.getSession(ENDPOINT_PROVIDER_ID, [], { createIfNone: false }), undefined);
    // Longer than a renewal period: callers keep asking, and nothing is retried or notified again.
    const quietUntil = Date.now() + 15_000;
    while (Date.now() < quietUntil) {
      assert.equal(await api.getSession(ENDPOINT_PROVIDER_ID, [], { silent: true }), undefined, 'a session was served after the end');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(notices().length, 1, `notices: ${JSON.stringify(notices())}`);
    assert.equal(notices()[0].accountLabel, ENDPOINT_ACCOUNT);
    assert.match(notices()[0].message, /Dash ended the session \(HTTP 401\)/);
    const after = await serviceStats();
    assert.equal(
      renewalRequests({ ...after, requests: after.requests.slice(before.requests.length) }).length,
      1,
      'the session should end at the first refusal, with no request after it',
    );
    const summary = testApi.providers().find((p) => p.id === ENDPOINT_PROVIDER_ID);
    assert.deepEqual(
      summary?.accounts.map((a) => [a.label, a.health.state]),
      [[ENDPOINT_ACCOUNT, 'signInNeeded']],
    );
  });

  test('the notice is on screen with its Sign In Again button, and the Accounts view shows the account as needing sign-in', async function () {
    // Reading the page needs the browser driver; the notice itself is counted in the test above.
    if (!hasBrowserDriver) this.skip();
    await vscode.commands.executeCommand('notifications.showList');
    try {
      const rows = await waitFor(
        async () =>
          (await readPage('.notifications-center .monaco-list-row')).filter((t) =>
            t.includes(`Your session for ${ENDPOINT_ACCOUNT} at Dash`),
          ),
        'the notice in the notification center',
        60_000,
        1_000,
      );
      // The workbench merges identical notifications, so this sees one either way; the count is the test API's.
      assert.equal(rows.length, 1, rows.join(' | '));
      assert.match(rows[0], /Sign In Again/);
      await screenshot('endpoint-sign-in-again');
    } finally {
      await vscode.commands.executeCommand('notifications.hideList');
    }
    await vscode.commands.executeCommand('sessionKeeper.accounts.focus');
    await waitFor(
      async () => (await readPage(SIDEBAR_ROWS)).some((t) => t.startsWith(ENDPOINT_ACCOUNT) && t.includes('sign-in needed')),
      'the Accounts view to show the account as needing sign-in',
      60_000,
      1_000,
    );
  });
});
