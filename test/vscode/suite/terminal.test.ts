import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { jwtDecode } from 'jwt-decode';
import type { TestApi } from '../../../src/extension';
import type { Grant } from '../../../src/terminal/consent';
import { configuredProvider, sessionKeeperTestApi } from './fixtures';
import { CONSENT_MESSAGE, runInTerminal } from './terminal';
import { hasBrowserDriver, issuer, notification, screenshot, testDir } from './ui';
import { waitFor } from './wait';

// Runs while alice is signed in (phase 2, before "Signing out"). Every command runs in a real
// integrated terminal, found on PATH the way a user finds it; tokens never reach the test output.
// The user's answers are clicks on notifications (the browser driver's), as nothing else grants.
const whoami = `${issuer}/__test/whoami`;
const API_RESOURCE = 'urn:session-keeper:test-api';

let testApi: TestApi | undefined;

suite('Tokens in the terminal', () => {
  suiteSetup(async function () {
    // Access is granted only by a click on the question, which needs the browser driver.
    if (!hasBrowserDriver) return this.skip();
    testApi = await sessionKeeperTestApi();
    const tools = await runInTerminal('command -v curl && command -v git');
    assert.equal(tools.code, 0, `curl and git must be installed for these tests (found: ${tools.stdout.trim() || 'neither'})`);
  });

  test("the first request fails at once; the question names the folder and the calling program; after the user's Allow, curl reaches the API as alice", async () => {
    const provider = configuredProvider();
    const first = await runInTerminal(`session-keeper --provider ${provider.id} --format header`);
    assert.equal(first.code, 4, `exit code (stderr: ${first.stderr.trim()})`);
    assert.match(first.stderr, CONSENT_MESSAGE);
    assert.equal(first.stdout, '');
    assert.ok(first.ms < 5_000, `the refusal took ${first.ms} ms; a non-interactive tool must not wait for the user`);

    // The user reads the question and clicks Allow on it.
    const folder = vscode.workspace.workspaceFolders![0];
    const question = await notification(`Allow programs in the workspace folder "${folder.name}"`, 'Allow');
    assert.match(question, /asks for the token of alice at Acme SSO/);
    // The caller as Linux describes it: the test's shell script (its command line) in the folder.
    assert.match(
      question,
      new RegExp(`It started as "/bin/sh [^"]*\\.sh" in ${escape(realpathSync(folder.uri.fsPath))} and says it is shell`),
    );
    await waitFor(() => allowed(provider.id, folder.uri.toString()), 'the grant for the workspace folder');

    const curl = await runInTerminal(`curl -sf -H "$(session-keeper --provider ${provider.id} --format header)" '${whoami}'`);
    assert.equal(curl.code, 0, `curl failed (stderr: ${curl.stderr.trim()})`);
    const claims = JSON.parse(curl.stdout) as { sub: string; preferred_username: string; email: string };
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.email, 'alice@example.test');
    await screenshot('terminal-allowed');
  });

  test('git credential fill gets alice as username and a working token as password', async () => {
    const provider = configuredProvider();
    // The credential stays in shell variables; only the API's answer and the username are printed.
    const git = await runInTerminal(
      [
        `creds=$(printf 'protocol=https\\nhost=example.test\\n\\n' | GIT_TERMINAL_PROMPT=0 git -c credential.helper= -c 'credential.helper=!session-keeper --provider ${provider.id} --format git' credential fill) || exit 10`,
        `printf '%s\\n' "$creds" | grep '^username=' >&2`,
        `token=$(printf '%s\\n' "$creds" | sed -n 's/^password=//p')`,
        `[ -n "$token" ] || exit 11`,
        `curl -sf -H "Authorization: Bearer $token" '${whoami}'`,
      ].join('\n'),
    );
    assert.equal(git.code, 0, `git credential fill or curl failed (exit ${git.code}, stderr: ${git.stderr.trim()})`);
    assert.match(git.stderr, /^username=alice$/m);
    assert.equal((JSON.parse(git.stdout) as { sub: string }).sub, 'alice');
  });

  test("the kubectl format is an ExecCredential whose expiry is the token's own, and json says the same", async () => {
    const provider = configuredProvider();
    const kube = await runInTerminal(`session-keeper --provider ${provider.id} --format kubectl --tool kubectl`);
    assert.equal(kube.code, 0, `stderr: ${kube.stderr.trim()}`);
    const credential = JSON.parse(kube.stdout) as {
      apiVersion: string;
      kind: string;
      status: { token: string; expirationTimestamp: string };
    };
    assert.deepEqual(Object.keys(credential).sort(), ['apiVersion', 'kind', 'status']);
    assert.equal(credential.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(credential.kind, 'ExecCredential');
    assert.deepEqual(Object.keys(credential.status).sort(), ['expirationTimestamp', 'token']);
    assert.match(credential.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const jwt = jwtDecode<{ sub: string; aud: string | string[]; exp: number }>(credential.status.token);
    assert.equal(jwt.sub, 'alice');
    assert.ok([jwt.aud].flat().includes(API_RESOURCE));
    assert.ok(jwt.exp * 1000 > Date.now(), 'kubectl was handed an expired token');
    assert.equal(Date.parse(credential.status.expirationTimestamp), jwt.exp * 1000);

    const json = await runInTerminal(`session-keeper --provider ${provider.id} --format json`);
    assert.equal(json.code, 0, `stderr: ${json.stderr.trim()}`);
    const out = JSON.parse(json.stdout) as { token: string; expiresAt: string; account: string };
    assert.equal(out.account, 'alice');
    assert.ok(Date.parse(out.expiresAt) > Date.now());
  });

  test('a terminal with a wrong window or folder secret is refused, and one without the channel says VS Code is unreachable', async () => {
    const provider = configuredProvider();
    const wrong = await runInTerminal(`SESSION_KEEPER_SECRET=not-the-secret session-keeper --provider ${provider.id}`);
    assert.equal(wrong.code, 7, `stderr: ${wrong.stderr.trim()}`);
    assert.equal(wrong.stdout, '');
    const folder = await runInTerminal(`SESSION_KEEPER_FOLDER_SECRET=another-folder session-keeper --provider ${provider.id}`);
    assert.equal(folder.code, 7, `stderr: ${folder.stderr.trim()}`);
    assert.equal(folder.stdout, '');
    const gone = await runInTerminal(`SESSION_KEEPER_IPC=/nonexistent/ipc.sock session-keeper --provider ${provider.id}`);
    assert.equal(gone.code, 3, `stderr: ${gone.stderr.trim()}`);
    assert.match(gone.stderr, /VS Code is not running/);
  });

  test("a program of another project, run from this window's terminal, is asked about again", async () => {
    const provider = configuredProvider();
    // A repository cloned next to the workspace, whose Makefile or npm postinstall asks for the token.
    const other = path.join(testDir, 'other-project');
    fs.mkdirSync(other, { recursive: true });
    const cloned = await runInTerminal(`sh -c 'session-keeper --provider ${provider.id} --tool kubectl --format bare'`, {
      cwd: vscode.Uri.file(other),
    });
    assert.equal(cloned.code, 4, `stderr: ${cloned.stderr.trim()}`);
    assert.equal(cloned.stdout, '');
    assert.match(cloned.stderr, new RegExp(`is not allowed in ${escape(realpathSync(other))} yet`));
    const question = await notification(`Allow programs running in ${realpathSync(other)}`);
    assert.match(question, /says it is kubectl/);
    // The workspace folder's grant is untouched.
    const inFolder = await runInTerminal(`session-keeper --provider ${provider.id} --format bare >/dev/null`);
    assert.equal(inFolder.code, 0, `stderr: ${inFolder.stderr.trim()}`);
  });

  test('Revoke removes the grant and says so; Allow Terminal Access called with ids grants nothing without the user', async () => {
    const provider = configuredProvider();
    const folder = vscode.workspace.workspaceFolders![0];
    const grant = allowed(provider.id, folder.uri.toString());
    assert.ok(grant, 'the grant of the first test');
    await vscode.commands.executeCommand('sessionKeeper.revokeTerminalAccess', {
      providerId: provider.id,
      accountId: 'alice',
      grantId: grant.id,
    });
    const said = await notification(`Terminal access for alice at Acme SSO in the workspace folder "${folder.name}" was revoked`);
    assert.match(said, /Programs there are asked again/);
    const after = await runInTerminal(`session-keeper --provider ${provider.id} --format bare`);
    assert.equal(after.code, 4, `stderr: ${after.stderr.trim()}`);
    assert.match(after.stderr, CONSENT_MESSAGE);
    assert.equal(after.stdout, '');

    // As another extension would call it: the modal question it must show is refused in test mode, so nothing is granted.
    await vscode.commands.executeCommand('sessionKeeper.allowTerminalAccess', { providerId: provider.id, accountId: 'alice' });
    assert.equal(allowed(provider.id, folder.uri.toString()), undefined);
    const still = await runInTerminal(`session-keeper --provider ${provider.id} --format bare`);
    assert.equal(still.code, 4, `stderr: ${still.stderr.trim()}`);
    assert.equal(still.stdout, '');
  });
});

/** alice's live Allow for the folder, as the Accounts view lists it. */
function allowed(providerId: string, folderUri: string): Grant | undefined {
  const grants = testApi?.terminalGrants(providerId).get('alice') ?? [];
  return grants.find((g) => g.folder === folderUri && g.dir === undefined && g.decision === 'allowed' && g.expiresAt > Date.now());
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
