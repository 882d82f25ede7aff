import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtDecode } from 'jwt-decode';
import * as vscode from 'vscode';
import { Breaches, configuredProvider, consumer } from './fixtures';
import { issuer, print, screenshot } from './ui';
import { waitFor, within } from './wait';

// Runs in phase 2 while alice is signed in (after the outage test, before sign-out). A cloned
// repository's .vscode/settings.json must not be able to point a configured provider id at
// another issuer: `sessionKeeper.providers` is an application-scoped setting.

/** A setting the test consumer contributes (window scope), to see when VS Code has read the file. */
const MARKER = 'sessionKeeperTests.workspaceMarker';

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * An HTTP server on 127.0.0.1 that looks like an issuer: it serves a discovery document naming
 * itself, answers everything else with 503 (so nothing ends alice's session by accident) and
 * records every request.
 */
async function startLookAlike(): Promise<{ issuer: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  let self = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const path = new URL(req.url ?? '/', self).pathname;
      if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            issuer: self,
            authorization_endpoint: `${self}/auth`,
            token_endpoint: `${self}/token`,
            revocation_endpoint: `${self}/token/revocation`,
            userinfo_endpoint: `${self}/me`,
            end_session_endpoint: `${self}/session/end`,
            jwks_uri: `${self}/jwks`,
            response_types_supported: ['code'],
            grant_types_supported: ['authorization_code', 'refresh_token'],
            code_challenge_methods_supported: ['S256'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
            token_endpoint_auth_methods_supported: ['none'],
            scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          }),
        );
      } else if (path === '/jwks') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [] }));
      } else {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: self,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What in a request would hand a credential to whoever runs the server. */
function credentialsIn(r: Recorded, knownTokens: Iterable<string>): string[] {
  const found: string[] = [];
  if (r.headers.authorization !== undefined) found.push('an Authorization header');
  const params = /(?:^|[?&])(refresh_token|access_token|token|id_token_hint|subject_token|code_verifier)=/g;
  for (const [, name] of r.url.matchAll(params)) found.push(`"${name}" in the query`);
  for (const [, name] of r.body.matchAll(params)) found.push(`"${name}" in the body`);
  for (const [, name] of r.body.matchAll(/"(refresh_token|access_token|token|id_token_hint|subject_token)"\s*:/g))
    found.push(`"${name}" in a JSON body`);
  const raw = `${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`;
  for (const token of knownTokens) if (raw.includes(token)) found.push("one of alice's access tokens");
  return found;
}

const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex');
const claimsOf = (token: string) => jwtDecode<{ iss?: string; exp: number }>(token);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('Workspace settings', () => {
  test("a workspace's settings cannot send a configured provider's tokens to another issuer", async function () {
    // ~5 s for the settings file, a Refresh Now, up to 40 s for a background renewal, ~5 s after removal.
    this.timeout(120_000);
    const provider = configuredProvider();
    const userEntry = (
      vscode.workspace.getConfiguration('sessionKeeper').inspect<Record<string, unknown>[]>('providers')?.globalValue ?? []
    ).find((p) => p.id === provider.id);
    assert.ok(userEntry, `the user settings configure no provider "${provider.id}"`);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the launcher opened no workspace folder');
    const settingsDir = vscode.Uri.joinPath(folder.uri, '.vscode');
    const settingsFile = vscode.Uri.joinPath(settingsDir, 'settings.json');
    const { api } = await consumer();

    const breaches = new Breaches();
    const tokens = new Map<string, string>(); // fingerprint -> token, to search the look-alike's requests
    /** Asks for alice's session; it must be there, unexpired, and issued by the real issuer. */
    const ask = async (when: string) => {
      let session: vscode.AuthenticationSession | undefined;
      try {
        session = await within(api.getSession(provider.id, ['openid'], { silent: true }), 'getSession', 15_000);
      } catch (e) {
        breaches.add(`getSession rejected ${when}`, e instanceof Error ? e.message : String(e));
        return undefined;
      }
      if (!session) {
        breaches.add(`getSession returned no session ${when}`);
        return undefined;
      }
      tokens.set(fingerprint(session.accessToken), session.accessToken);
      const claims = claimsOf(session.accessToken);
      if (claims.iss !== issuer)
        breaches.add(`the access token served ${when} was not issued by the configured issuer`, `iss ${JSON.stringify(claims.iss)}`);
      if (claims.exp * 1000 <= Date.now()) breaches.add(`the access token served ${when} had expired`);
      if (session.account.label !== 'alice') breaches.add(`the session served ${when} is not alice's`, session.account.label);
      return session;
    };

    const before = await ask('before the workspace settings were written');
    assert.ok(before, "alice's session must work before the test starts");

    const lookAlike = await startLookAlike();
    const marker = `look-alike-${Date.now()}`;
    try {
      await vscode.workspace.fs.createDirectory(settingsDir);
      await vscode.workspace.fs.writeFile(
        settingsFile,
        Buffer.from(
          JSON.stringify(
            {
              [MARKER]: marker,
              'sessionKeeper.providers': [{ ...userEntry, issuer: lookAlike.issuer }],
            },
            null,
            2,
          ),
        ),
      );
      // VS Code has read the file once the marker shows; Session Keeper gets a moment to react.
      await waitFor(() => vscode.workspace.getConfiguration().get(MARKER) === marker, 'VS Code to read the workspace settings', 15_000);
      await sleep(3_000);
      const effective = vscode.workspace.getConfiguration('sessionKeeper').get<{ id: string; issuer: string }[]>('providers') ?? [];
      print(
        `    the effective issuer of "${provider.id}" with the workspace file: ${effective.find((p) => p.id === provider.id)?.issuer === lookAlike.issuer ? 'the look-alike' : 'the configured one'}`,
      );
      await screenshot('workspace-settings-written');

      const afterWrite = await ask('after the workspace settings were written');

      // Refresh Now, as from the palette or the view: it must renew at the real issuer.
      await within(Promise.resolve(vscode.commands.executeCommand('sessionKeeper.refreshNow', provider.id)), 'Refresh Now', 20_000).catch(
        (e: Error) => breaches.add('Refresh Now failed', e.message),
      );
      const refreshed = await waitFor(
        async () => {
          const s = await within(api.getSession(provider.id, ['openid'], { silent: true }), 'getSession', 5_000).catch(() => undefined);
          return s && s.accessToken !== afterWrite?.accessToken && s.accessToken !== before.accessToken ? s : undefined;
        },
        'a new token after Refresh Now',
        15_000,
        500,
      ).catch(() => undefined);
      if (!refreshed) breaches.add('no new access token within 15 s of Refresh Now');
      const afterRefresh = await ask('after Refresh Now');

      // At least one background renewal (20 s tokens, renewed halfway): poll for a token newer still.
      const deadline = Date.now() + 40_000;
      let renewed = false;
      while (Date.now() < deadline && !renewed) {
        await sleep(1_000);
        const s = await ask('while waiting for a background renewal');
        renewed = !!s && s.accessToken !== afterRefresh?.accessToken && s.accessToken !== refreshed?.accessToken;
      }
      if (!renewed) breaches.add('no background renewal within 40 s with the workspace settings in place');

      for (const r of lookAlike.requests) {
        const leaks = credentialsIn(r, tokens.values());
        if (leaks.length)
          breaches.add(
            'a request to the look-alike issuer carried a credential',
            `${r.method} ${new URL(r.url, lookAlike.issuer).pathname}: ${leaks.join(', ')}`,
          );
      }
      print(
        `    the look-alike issuer received ${lookAlike.requests.length} request(s)${lookAlike.requests.length ? `: ${[...new Set(lookAlike.requests.map((r) => `${r.method} ${new URL(r.url, lookAlike.issuer).pathname}`))].join(', ')}` : ''}`,
      );

      // Without the file, everything is as before.
      await vscode.workspace.fs.delete(settingsFile);
      await waitFor(
        () => vscode.workspace.getConfiguration().get(MARKER) !== marker,
        'VS Code to notice the workspace settings are gone',
        15_000,
      );
      await sleep(3_000);
      await ask('after the workspace settings were removed');
      const accounts = (await within(api.getAccounts(provider.id), 'getAccounts', 15_000)).map((a) => a.label);
      if (!accounts.includes('alice'))
        breaches.add('getAccounts did not list alice after the workspace settings were removed', JSON.stringify(accounts));
      await screenshot('workspace-settings-removed');
    } finally {
      await vscode.workspace.fs.delete(settingsFile).then(undefined, () => undefined);
      await lookAlike.close();
    }
    breaches.assertNone("a workspace's settings redirected or disturbed the configured provider");
  });
});
