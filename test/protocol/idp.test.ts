// The test identity provider is a real OpenID Provider: these tests drive it with
// oauth4webapi as the client, with no extension code involved.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import * as oauth from 'oauth4webapi';

import { API_RESOURCE, startIdp, type Idp, type IdpOptions } from '../idp/idp.mjs';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const client: oauth.Client = { client_id: 'session-keeper' };
const redirectUri = 'http://127.0.0.1:54321/callback';
const idpScript = path.resolve(__dirname, '../idp/idp.mjs');

async function discover(idp: Idp): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(idp.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
}

async function authorizationRequest(as: oauth.AuthorizationServer, { prompt = 'consent' }: { prompt?: string | null } = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    ...(prompt && { prompt }),
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url, verifier, state, nonce };
}

async function exchange(as: oauth.AuthorizationServer, request: Awaited<ReturnType<typeof authorizationRequest>>, callback: string) {
  const params = oauth.validateAuthResponse(as, client, new URL(callback), request.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, request.verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: request.nonce });
}

async function signIn(idp: Idp, as: oauth.AuthorizationServer, login = 'alice') {
  const request = await authorizationRequest(as);
  return exchange(as, request, await idp.login(request.url, { login }));
}

async function refresh(as: oauth.AuthorizationServer, refreshToken: string) {
  return oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, insecure),
  );
}

async function assertInvalidGrant(promise: Promise<unknown>) {
  await assert.rejects(promise, (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant');
}

/** RS256 check against the issuer's JWKS (oauth4webapi does not verify ID token signatures). */
async function signatureValid(as: oauth.AuthorizationServer, jwt: string) {
  const { keys } = (await (await fetch(as.jwks_uri!)).json()) as { keys: (JsonWebKey & { kid: string })[] };
  const [header, payload, signature] = jwt.split('.');
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
  const key = createPublicKey({ key: keys.find((k) => k.kid === kid)!, format: 'jwk' });
  return verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
}

const jwtPayload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/** Forwards /proxy/<port>/<path> to 127.0.0.1:<port>/<path> keeping its own Host, as code-server does. */
async function startProxy() {
  const server = http.createServer((req, res) => {
    const [, port, rest] = /^\/proxy\/(\d+)(\/.*)$/.exec(req.url ?? '') ?? [];
    if (!port) return void res.writeHead(404).end();
    const upstream = http.request(
      { host: '127.0.0.1', port: Number(port), path: rest, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    via: (url: string | URL) => {
      const u = new URL(url);
      return `http://127.0.0.1:${port}/proxy/${u.port}${u.pathname}${u.search}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('test identity provider (oidc-provider)', function () {
  let idp: Idp;
  let as: oauth.AuthorizationServer;
  const extra: Idp[] = [];

  async function another(options: IdpOptions) {
    const started = await startIdp(options);
    extra.push(started);
    return started;
  }

  before(async function () {
    idp = await startIdp();
    as = await discover(idp);
  });
  beforeEach(function () {
    idp.resetStats();
    idp.clearFaults();
  });
  afterEach(async function () {
    await Promise.all(extra.splice(0).map((i) => i.close()));
  });
  after(async function () {
    await idp?.close();
  });

  it('publishes discovery for 127.0.0.1 with S256 PKCE, revocation and introspection', async function () {
    assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(as.issuer, idp.issuer);
    assert.equal(as.token_endpoint, `${idp.issuer}/token`);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.equal(as.revocation_endpoint, `${idp.issuer}/token/revocation`);
    assert.equal(as.introspection_endpoint, `${idp.issuer}/token/introspection`);
    assert.deepEqual([...as.scopes_supported!].sort(), ['email', 'offline_access', 'openid', 'profile']);
  });

  it('signs alice in with PKCE and returns access, refresh and signed ID tokens', async function () {
    const tokens = await signIn(idp, as);
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.expires_in, 300);
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    assert.equal(claims.iss, idp.issuer);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.preferred_username, 'alice');
    assert.equal(claims.email, 'alice@example.test');
    assert.equal(claims.name, 'Alice Example');
    assert.ok(await signatureValid(as, tokens.id_token!));
    assert.equal(idp.stats().authorizationCodesIssued, 1);
    assert.equal(idp.stats().tokensIssued, 1);
  });

  it('requires PKCE from the public client', async function () {
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 's',
    }).toString();
    const callback = new URL(await idp.login(url));
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    assert.match(callback.searchParams.get('error_description') ?? '', /PKCE/);
  });

  it('issues no refresh token without prompt=consent, even for offline_access', async function () {
    const request = await authorizationRequest(as, { prompt: null });
    const tokens = await exchange(as, request, await idp.login(request.url));
    assert.ok(tokens.access_token);
    assert.equal(tokens.refresh_token, undefined);
    assert.doesNotMatch(String(tokens.scope), /offline_access/);
  });

  it('rotates refresh tokens; reusing an old one revokes the whole grant', async function () {
    const first = await signIn(idp, as);
    const second = await refresh(as, first.refresh_token!);
    assert.ok(second.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.access_token, first.access_token);
    assert.equal(oauth.getValidatedIdTokenClaims(second)?.sub, 'alice');

    await assertInvalidGrant(refresh(as, first.refresh_token!));
    await assertInvalidGrant(refresh(as, second.refresh_token));
    assert.deepEqual(idp.stats(), {
      authorizationCodesIssued: 1,
      tokensIssued: 2,
      refreshes: 1,
      refreshTokenReuse: 1,
      grantsRevoked: 1,
      revocations: 0,
      invalidGrant: 2,
    });
  });

  it('revokes a refresh token at the revocation endpoint, ending its grant', async function () {
    const tokens = await signIn(idp, as);
    const introspect = async (token: string) =>
      oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, oauth.None(), token, insecure));
    assert.equal((await introspect(tokens.access_token)).active, true);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, oauth.None(), tokens.refresh_token!, insecure));
    await assertInvalidGrant(refresh(as, tokens.refresh_token!));
    assert.equal((await introspect(tokens.access_token)).active, false);
    assert.equal(idp.stats().revocations, 1);
    assert.equal(idp.stats().grantsRevoked, 1);
  });

  it('rejects an unknown login name and reports a refused consent as access_denied', async function () {
    const request = await authorizationRequest(as);
    await assert.rejects(idp.login(request.url, { login: 'mallory' }), /"mallory" was rejected: Unknown user/);
    const refused = new URL(await idp.login(request.url, { consent: false }));
    assert.equal(refused.origin + refused.pathname, redirectUri);
    assert.equal(refused.searchParams.get('error'), 'access_denied');
    assert.equal(refused.searchParams.get('state'), request.state);
  });

  it('revokeGrantsOf ends only that account', async function () {
    const alice = await signIn(idp, as, 'alice');
    const bob = await signIn(idp, as, 'bob');
    assert.equal(oauth.getValidatedIdTokenClaims(bob)?.email, 'bob@example.test');
    const revoked = await idp.revokeGrantsOf('alice');
    assert.ok(revoked >= 1);
    await assertInvalidGrant(refresh(as, alice.refresh_token!));
    assert.ok((await refresh(as, bob.refresh_token!)).access_token);
    assert.equal(idp.stats().grantsRevoked, revoked);
  });

  it('issues JWT access tokens in jwt format, also on refresh without a resource parameter', async function () {
    const jwtIdp = await another({ accessTokenFormat: 'jwt', accessTokenTtl: 120 });
    const jwtAs = await discover(jwtIdp);
    const tokens = await signIn(jwtIdp, jwtAs);
    const payload = jwtPayload(tokens.access_token);
    assert.equal(payload.aud, API_RESOURCE);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.exp - payload.iat, 120);
    assert.ok(await signatureValid(jwtAs, tokens.access_token));
    const refreshed = await refresh(jwtAs, tokens.refresh_token!);
    assert.equal(jwtPayload(refreshed.access_token).aud, API_RESOURCE);

    const opaque = await signIn(idp, as);
    assert.equal(opaque.access_token.split('.').length, 1);
  });

  it('autoLogin completes sign-in without any page', async function () {
    const auto = await another({ autoLogin: 'bob' });
    const autoAs = await discover(auto);
    const request = await authorizationRequest(autoAs);
    const first = await fetch(request.url, { redirect: 'manual' });
    assert.equal(first.status, 303);
    const interaction = await fetch(first.headers.get('location')!, {
      redirect: 'manual',
      headers: {
        cookie: first.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; '),
      },
    });
    assert.equal(interaction.status, 303, 'the interaction answers with a redirect, not a page');
    const tokens = await exchange(autoAs, request, await auto.login(request.url, { login: 'alice' }));
    assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, 'bob');
    assert.ok(tokens.refresh_token);
  });

  it("finishes sign-in started through code-server's /proxy/<port>/: absolute redirects, issuer URLs", async function () {
    const proxy = await startProxy();
    try {
      const discovery = await (await fetch(proxy.via(`${idp.issuer}/.well-known/openid-configuration`))).json();
      assert.equal(discovery.authorization_endpoint, `${idp.issuer}/auth`, "URLs are not built from the proxy's Host");
      const request = await authorizationRequest(as);
      const first = await fetch(proxy.via(request.url), { redirect: 'manual' });
      assert.equal(first.status, 303);
      assert.match(first.headers.get('location')!, new RegExp(`^${idp.issuer}/interaction/[\\w-]+$`));
      const page = await fetch(first.headers.get('location')!, {
        headers: {
          cookie: first.headers
            .getSetCookie()
            .map((c) => c.split(';')[0])
            .join('; '),
        },
      });
      const body = await page.text();
      assert.match(body, new RegExp(`<form[^>]*action="${idp.issuer}/interaction/[\\w-]+"`));
      assert.match(body, /placeholder="alice or bob"/);
      const tokens = await exchange(as, request, await idp.login(proxy.via(request.url)));
      assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, 'alice');
    } finally {
      await proxy.close();
    }
  });

  describe('faults', function () {
    const discoveryPath = '/.well-known/openid-configuration';
    const discoveryUrl = () => idp.issuer + discoveryPath;

    it('html answers 502 with an HTML page', async function () {
      idp.setFault('/.well-known', 'html');
      const res = await fetch(discoveryUrl());
      assert.equal(res.status, 502);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      assert.match(await res.text(), /<html>/);
    });

    it('html200 answers 200 with an HTML page', async function () {
      idp.setFault(discoveryPath, 'html200');
      const res = await fetch(discoveryUrl());
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      await assert.rejects(discover(idp));
    });

    it('status answers the given status and headers, for `times` requests', async function () {
      idp.setFault('/token', 'status', {
        status: 503,
        headers: { 'retry-after': '7' },
        body: { error: 'temporarily_unavailable' },
        times: 1,
      });
      const res = await fetch(`${idp.issuer}/token`, { method: 'POST' });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.deepEqual(await res.json(), { error: 'temporarily_unavailable' });
      const next = await fetch(`${idp.issuer}/token`, { method: 'POST' });
      assert.equal(next.status, 400, 'oidc-provider answers again once the fault is used up');
    });

    it('hang never answers', async function () {
      idp.setFault(discoveryPath, 'hang');
      await assert.rejects(fetch(discoveryUrl(), { signal: AbortSignal.timeout(150) }), { name: 'TimeoutError' });
      idp.clearFaults();
      assert.equal((await fetch(discoveryUrl())).status, 200);
    });

    it('drop closes the connection without an answer', async function () {
      idp.setFault(discoveryPath, 'drop');
      await assert.rejects(fetch(discoveryUrl()), TypeError);
    });

    it('tamper-id-token-signature breaks only the ID token signature', async function () {
      const request = await authorizationRequest(as);
      const callback = await idp.login(request.url);
      idp.setFault('/token', 'tamper-id-token-signature');
      const tokens = await exchange(as, request, callback);
      assert.match(tokens.id_token!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, 'alice');
      assert.equal(await signatureValid(as, tokens.id_token!), false);
    });

    it('error-description rewrites the description of error answers only', async function () {
      const tokens = await signIn(idp, as);
      idp.setFault('/token', 'error-description', { description: '[Quit](command:workbench.action.quit)' });
      const refused = await fetch(`${idp.issuer}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'RTunknown0123456789', client_id: client.client_id }),
      });
      assert.equal(refused.status, 400);
      assert.deepEqual(await refused.json(), { error: 'invalid_grant', error_description: '[Quit](command:workbench.action.quit)' });
      const refreshed = await refresh(as, tokens.refresh_token!);
      assert.ok(refreshed.access_token, 'a good answer passes as it is');
    });

    it('discovery-issuer advertises another issuer', async function () {
      idp.setFault('/.well-known', 'discovery-issuer', { issuer: 'http://evil.test' });
      const body = await (await fetch(discoveryUrl())).json();
      assert.equal(body.issuer, 'http://evil.test');
      assert.equal(body.token_endpoint, `${idp.issuer}/token`);
      await assert.rejects(discover(idp), /issuer/);
    });
  });

  it('stop() refuses connections and ends hanging requests; start() keeps grants and keys', async function () {
    const outage = await another({});
    const outageAs = await discover(outage);
    const tokens = await signIn(outage, outageAs);
    outage.setFault('/jwks', 'hang');
    const hanging = fetch(outageAs.jwks_uri!);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await outage.stop();
    await assert.rejects(hanging, TypeError);
    await assert.rejects(
      fetch(outageAs.token_endpoint!),
      (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'ECONNREFUSED',
    );
    await outage.start();
    outage.clearFaults();
    const refreshed = await refresh(outageAs, tokens.refresh_token!);
    assert.ok(refreshed.access_token);
    assert.ok(await signatureValid(outageAs, refreshed.id_token!));
  });

  it('serves test control over HTTP under /__test/', async function () {
    const control = await another({});
    const controlAs = await discover(control);
    const post = (p: string) => fetch(control.issuer + p, { method: 'POST' });
    const alice = await signIn(control, controlAs);

    let stats = await (await fetch(`${control.issuer}/__test/stats`)).json();
    assert.equal(stats.tokensIssued, 1);
    assert.equal((await post('/__test/reset-stats')).status, 200);
    stats = await (await fetch(`${control.issuer}/__test/stats`)).json();
    assert.equal(stats.tokensIssued, 0);

    const headers = encodeURIComponent(JSON.stringify({ 'retry-after': '3' }));
    assert.equal((await post(`/__test/fault?path=/jwks&kind=status&status=503&headers=${headers}`)).status, 200);
    const faulted = await fetch(controlAs.jwks_uri!);
    assert.equal(faulted.status, 503);
    assert.equal(faulted.headers.get('retry-after'), '3');
    assert.equal((await post('/__test/fault?path=/jwks&kind=nonsense')).status, 400);
    assert.equal((await post('/__test/clear-faults')).status, 200);
    assert.equal((await fetch(controlAs.jwks_uri!)).status, 200);

    assert.deepEqual(await (await post('/__test/revoke-grants?sub=alice')).json(), { revoked: 1 });
    await assertInvalidGrant(refresh(controlAs, alice.refresh_token!));

    const down = Date.now();
    assert.equal((await post('/__test/stop-for?ms=200')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(fetch(controlAs.jwks_uri!), TypeError);
    let back: Response | undefined;
    while (!back && Date.now() - down < 3000) {
      back = await fetch(controlAs.jwks_uri!).catch(() => new Promise<undefined>((resolve) => setTimeout(resolve, 20)));
    }
    assert.equal(back?.status, 200, 'the IdP came back by itself');
    assert.ok(Date.now() - down >= 200, 'it stayed down for the requested time');
  });

  it('adds and removes users while running, with their own preferred_username, also over HTTP', async function () {
    const users = await another({});
    const usersAs = await discover(users);
    const post = (p: string, body?: unknown) =>
      fetch(users.issuer + p, { method: 'POST', ...(body !== undefined && { body: JSON.stringify(body) }) });
    await assert.rejects(users.mintAccessToken('mallory'), /not one of the users/);
    const added = await post('/__test/add-user?login=mallory', {
      name: 'Mallory',
      email: 'mallory@example.test',
      preferred_username: '[m](command:x)',
    });
    assert.equal(added.status, 200);
    const claims = oauth.getValidatedIdTokenClaims(await signIn(users, usersAs, 'mallory'));
    assert.equal(claims?.sub, 'mallory');
    assert.equal(claims?.preferred_username, '[m](command:x)');
    assert.equal((await post('/__test/add-user?login=eve', { name: 'Eve' })).status, 400);
    assert.deepEqual(await (await post('/__test/remove-user?login=mallory')).json(), { removed: true });
    await assert.rejects(users.mintAccessToken('mallory'), /not one of the users/);
    assert.equal(users.removeUser('mallory'), false);
    // Users are this IdP's own: the default users of another are untouched.
    users.removeUser('bob');
    await assert.doesNotReject(idp.mintAccessToken('bob'));
  });

  it('runs as a CLI that prints one JSON line and exits on SIGTERM', async function () {
    const child = spawn(process.execPath, [idpScript, '--port', '0', '--format', 'jwt', '--access-token-ttl', '60'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      while (!stdout.includes('\n')) {
        await Promise.race([
          new Promise((resolve) => child.stdout.once('data', resolve)),
          exited.then(() => {
            throw new Error('the CLI exited early');
          }),
        ]);
      }
      const { issuer, port } = JSON.parse(stdout);
      assert.equal(issuer, `http://127.0.0.1:${port}`);
      const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      assert.equal(discovery.issuer, issuer);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.equal(stdout.split('\n').filter(Boolean).length, 1, `stdout had more than the JSON line: ${stdout}`);
  });
});
