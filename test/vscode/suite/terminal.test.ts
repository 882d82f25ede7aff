import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { jwtDecode } from 'jwt-decode';
import { configuredProvider, sessionKeeper } from './fixtures';
import { CONSENT_MESSAGE, runInTerminal } from './terminal';
import { issuer, screenshot } from './ui';

// Runs while alice is signed in (phase 2, before "Signing out"). Every command runs in a real
// integrated terminal, found on PATH the way a user finds it; tokens never reach the test output.
const whoami = `${issuer}/__test/whoami`;
const API_RESOURCE = 'urn:session-keeper:test-api';

suite('Tokens in the terminal', () => {
  suiteSetup(async function () {
    await sessionKeeper();
    const tools = await runInTerminal('command -v curl && command -v git');
    assert.equal(tools.code, 0, `curl and git must be installed for these tests (found: ${tools.stdout.trim() || 'neither'})`);
  });

  test('the first request fails at once with a clear message; once allowed, curl reaches the API as alice', async () => {
    const provider = configuredProvider();
    const first = await runInTerminal(`session-keeper --provider ${provider.id} --format header`);
    assert.equal(first.code, 4, `exit code (stderr: ${first.stderr.trim()})`);
    assert.match(first.stderr, CONSENT_MESSAGE);
    assert.equal(first.stdout, '');
    assert.ok(first.ms < 5_000, `the refusal took ${first.ms} ms; a non-interactive tool must not wait for the user`);

    await vscode.commands.executeCommand('sessionKeeper.allowTerminalAccess', { providerId: provider.id, accountId: 'alice' });

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

  test('a terminal with a wrong secret is refused, and one without the channel says VS Code is unreachable', async () => {
    const provider = configuredProvider();
    const wrong = await runInTerminal(`SESSION_KEEPER_SECRET=not-the-secret session-keeper --provider ${provider.id}`);
    assert.equal(wrong.code, 7, `stderr: ${wrong.stderr.trim()}`);
    assert.equal(wrong.stdout, '');
    const gone = await runInTerminal(`SESSION_KEEPER_IPC=/nonexistent/ipc.sock session-keeper --provider ${provider.id}`);
    assert.equal(gone.code, 3, `stderr: ${gone.stderr.trim()}`);
    assert.match(gone.stderr, /VS Code is not running/);
  });

  test('after revoking terminal access, the next request fails at once with the same message', async () => {
    const provider = configuredProvider();
    await vscode.commands.executeCommand('sessionKeeper.revokeTerminalAccess', { providerId: provider.id, accountId: 'alice' });
    const after = await runInTerminal(`session-keeper --provider ${provider.id} --format bare`);
    assert.equal(after.code, 4, `stderr: ${after.stderr.trim()}`);
    assert.match(after.stderr, CONSENT_MESSAGE);
    assert.equal(after.stdout, '');
    // Allowed again for the check after signing out, which must fail for the sign-out, not for consent.
    await vscode.commands.executeCommand('sessionKeeper.allowTerminalAccess', { providerId: provider.id, accountId: 'alice' });
  });
});
