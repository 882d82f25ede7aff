import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { consumer, sessionKeeperId, sessionKeeperTestApi } from './fixtures';
import { print, screenshot } from './ui';

suite('Test harness', () => {
  test('Session Keeper runs beside the test consumer, which is installed and active', async () => {
    assert.ok(vscode.extensions.getExtension(sessionKeeperId), `${sessionKeeperId} is not loaded from extensionDevelopmentPath`);
    const { extension, api } = await consumer();
    assert.ok(extension.isActive);
    assert.equal(typeof api.getSession, 'function');
  });

  test('the browser driver performs UI steps in the page', async function () {
    if (process.env.SK_TEST_UI === 'commands') {
      print('    skipped: desktop runs (electron.mjs) have no browser driver');
      this.skip();
    }
    await screenshot('workbench-started');
  });

  // A test that fails before its sign-in asks for input leaves its answers queued (see index.ts).
  test('a test may leave answers for input boxes unused', async () => {
    (await sessionKeeperTestApi()).inputs.push('an answer for the test before');
  });

  test('the next test starts without them', async () => {
    assert.equal((await sessionKeeperTestApi()).inputs.pending, false, "an earlier test's answers would answer this test's input boxes");
  });
});
