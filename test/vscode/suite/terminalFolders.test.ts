import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { consumer, providerById, sessionKeeperTestApi } from './fixtures';
import { runInTerminal } from './terminal';
import { hasBrowserDriver, notification, screenshot } from './ui';
import { waitFor } from './wait';

// Runs in a window with two workspace folders (phase 5), while bob's pasted-token session of
// phase 3 is signed in. Terminal access allowed for one workspace folder is not access for another:
// each folder's terminals carry their own folder secret, and the window asks again.
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

suite('Terminal access per workspace folder', () => {
  suiteSetup(function () {
    // Built by the launcher's reload into the two-folder workspace; the user's click needs the browser driver.
    if (!hasBrowserDriver || (vscode.workspace.workspaceFolders?.length ?? 0) < 2) this.skip();
  });

  test('allowed in workspace folder A, a terminal of workspace folder B is asked again', async () => {
    const provider = providerById('acme-token');
    const [a, b] = vscode.workspace.workspaceFolders!;
    const testApi = await sessionKeeperTestApi();
    const { api } = await consumer();
    const session = await api.getSession(provider.id, ['openid'], { silent: true });
    assert.ok(session, "bob's pasted-token session of phase 3");

    // The two folders' terminals are told apart by a secret VS Code gives each one (compared as hashes here).
    const secretOf = async (folder: vscode.WorkspaceFolder) => {
      const r = await runInTerminal(
        `[ -n "$SESSION_KEEPER_FOLDER_SECRET" ] || exit 9; printf %s "$SESSION_KEEPER_FOLDER_SECRET" | sha256sum`,
        {
          cwd: folder.uri,
        },
      );
      assert.equal(r.code, 0, `no folder secret in a terminal of ${folder.name}`);
      return r.stdout.trim();
    };
    assert.notEqual(await secretOf(a), await secretOf(b), 'both folders got the same secret');

    const askA = await runInTerminal(`session-keeper --provider ${provider.id} --format bare`, { cwd: a.uri });
    assert.equal(askA.code, 4, `stderr: ${askA.stderr.trim()}`);
    assert.match(askA.stderr, new RegExp(`Terminal access for bob at Acme Token is not allowed in the workspace folder "${a.name}" yet`));
    await notification(`Allow programs in the workspace folder "${a.name}"`, 'Allow');
    await waitFor(
      () =>
        testApi
          .terminalGrants(provider.id)
          .get('bob')
          ?.some((g) => g.folder === a.uri.toString() && g.decision === 'allowed'),
      `the grant for ${a.name}`,
    );

    const servedA = await runInTerminal(
      `t=$(session-keeper --provider ${provider.id} --format bare) || exit $?; printf %s "$t" | sha256sum`,
      {
        cwd: a.uri,
      },
    );
    assert.equal(servedA.code, 0, `stderr: ${servedA.stderr.trim()}`);
    assert.equal(servedA.stdout.split(' ')[0], sha256(session.accessToken), "folder A's terminal got bob's token");

    const askB = await runInTerminal(`session-keeper --provider ${provider.id} --format bare`, { cwd: b.uri });
    assert.equal(askB.code, 4, `stderr: ${askB.stderr.trim()}`);
    assert.equal(askB.stdout, '');
    assert.match(askB.stderr, new RegExp(`Terminal access for bob at Acme Token is not allowed in the workspace folder "${b.name}" yet`));
    const question = await notification(`Allow programs in the workspace folder "${b.name}"`);
    assert.match(question, /asks for the token of bob at Acme Token/);
    await screenshot('terminal-folder-b-asked');
    assert.deepEqual(
      testApi
        .terminalGrants(provider.id)
        .get('bob')
        ?.map((g) => g.folderName),
      [a.name],
      'only folder A is allowed',
    );
  });
});
