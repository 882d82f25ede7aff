// HTTP in a company network: sign-in and refresh through a real forward proxy on 127.0.0.1 to an
// https issuer (oidc-provider) whose certificate comes from a CA made for this run, with the
// settings VS Code has (http.proxy, http.noProxy, http.proxyStrictSSL) and the usual variables
// (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, NODE_EXTRA_CA_CERTS). Every case passes its own environment,
// so the machine's variables do not matter.
//
// Run alone with: npx mocha --node-option import=tsx --timeout 30000 test/protocol/proxy.test.ts
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { startIdp, type Idp } from '../idp/idp.mjs';
import { withAccount } from '../../src/session/kinds/oauth/flows/contract';
import { authorizationCodeFlow, type BrowserHost } from '../../src/session/kinds/oauth/flows/authorizationCode';
import { ErrorCode } from '../../src/session/base/errors';
import { Agent, fetch as undiciFetch } from 'undici';
import { createFetch, type Fetch, type FetchOptions } from '../../src/session/net/http';
import type { Environment, NetworkSettings } from '../../src/session/net/proxy';
import { createLogger } from '../../src/session/base/log';
import { OAuthClient } from '../../src/session/kinds/oauth/client';
import { SessionKeeperProvider } from '../../src/session/provider';
import { SessionStore } from '../../src/session/storage/store';
import { CapturingSink, MemoryMemento, MemorySecrets } from '../support/fakes';
import { rejectsWith } from '../support/assert';
import { startForwardProxy, type ForwardProxy } from '../support/forwardProxy';
import { createTestCa, type TestCa } from '../support/testCa';
import { OAuthSource } from '../../src/session/kinds/oauth/source';

const TIMEOUT_MS = 3_000;

function setup(idp: Idp, network: () => NetworkSettings, env: Environment, systemFetch?: Fetch, where: Partial<FetchOptions> = {}) {
  const sink = new CapturingSink();
  const logger = createLogger(sink);
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), logger);
  const client = new OAuthClient({
    issuer: idp.issuer,
    clientId: 'session-keeper',
    fetch: createFetch(TIMEOUT_MS, { network, env, systemFetch, ...where }),
    timeoutMs: TIMEOUT_MS,
  });
  const host: BrowserHost = {
    externalUri: async (u) => u,
    openBrowser: async (url) => {
      const redirect = await idp.login(url, { login: 'alice' });
      void fetch(redirect).then((r) => r.text());
      return true;
    },
  };
  const provider = new SessionKeeperProvider(
    {
      kind: 'oauth',
      id: 'corp',
      label: 'Corp',
      issuer: idp.issuer,
      clientId: 'session-keeper',
      scopes: ['email', 'offline_access', 'openid', 'profile'],
      authorizationParameters: {},
    },
    {
      store,
      source: new OAuthSource(client),
      logger,
      now: Date.now,
      ensureFresh: async (id) => store.find(id)?.session,
      signIn: (request) =>
        authorizationCodeFlow(client, host, logger, { ...request, signal: new AbortController().signal }).then(withAccount),
    },
  );
  /** Sign-in, then one refresh with the refresh token it stored. */
  const signInAndRefresh = async () => {
    const session = await provider.createSession([]);
    const { refreshToken } = store.find(session.id)!.session;
    assert.ok(refreshToken);
    const refreshed = await client.refreshTokenGrant(refreshToken);
    assert.ok(refreshed.accessToken);
    return session;
  };
  return { sink, store, client, provider, signInAndRefresh };
}

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('HTTP through a proxy to an https issuer with a company CA', function () {
  let ca: TestCa;
  let idp: Idp;
  let proxy: ForwardProxy;
  before(async () => {
    ca = createTestCa();
    idp = await startIdp({ tls: { key: ca.key, cert: ca.cert, ca: ca.caPem } });
    proxy = await startForwardProxy();
  });
  after(async () => {
    await proxy?.close();
    await idp?.close();
    ca?.remove();
  });

  it('serves the issuer over https (the test CA works)', () => {
    assert.match(idp.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses an issuer whose CA is not trusted, says how to trust it, and sends nothing in the clear', async () => {
    const before = proxy.tunnels.length;
    const ctx = setup(idp, () => ({}), { HTTPS_PROXY: proxy.url });
    const err = await rejectsWith(
      ctx.provider.createSession([]),
      ErrorCode.Unreachable,
      /certificate of 127\.0\.0\.1:\d+ is not trusted .*add its root certificate to your system's trusted certificates or set NODE_EXTRA_CA_CERTS/,
    );
    assert.ok(err.transient, 'a certificate problem never ends a session');
    assert.equal(ctx.store.accounts().length, 0);
    assert.ok(proxy.tunnels.length > before, 'the request went to the proxy');
    assert.equal(proxy.requests.length, 0, 'no plain http request through the proxy');
    for (const bytes of proxy.clientBytes.slice(before)) {
      const text = bytes.toString('latin1');
      assert.doesNotMatch(text, /HTTP\/1\.1|well-known|grant_type|openid/, 'only a TLS handshake went through the tunnel');
      assert.equal(bytes[0], 0x16, 'the tunnel starts with a TLS handshake record');
    }
  });

  it('signs in and refreshes through the proxy (HTTPS_PROXY) when NODE_EXTRA_CA_CERTS holds the CA', async () => {
    const before = proxy.count();
    idp.resetStats();
    const ctx = setup(idp, () => ({}), { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile });
    const session = await ctx.signInAndRefresh();
    assert.equal(session.account.label, 'alice');
    assert.ok(proxy.count() > before, 'the proxy relayed the requests');
    assert.ok(proxy.tunnels.slice(before).every((t) => t === `127.0.0.1:${idp.port}`));
    assert.equal(idp.stats().tokensIssued, 2, 'code exchange and refresh reached the issuer');
    assert.equal(idp.stats().refreshes, 1);
  });

  it('uses http.proxy with credentials, sends them to the proxy only, and never writes them anywhere', async () => {
    const before = proxy.authorizations.length;
    const settings: NetworkSettings = { proxy: `http://corp%5Cuser:S3cr%40t-pw@127.0.0.1:${proxy.port}` };
    const ctx = setup(idp, () => settings, { NODE_EXTRA_CA_CERTS: ca.caFile });
    await ctx.signInAndRefresh();
    const sent = proxy.authorizations.slice(before);
    assert.ok(sent.length > 0);
    assert.ok(sent.every((a) => a === `Basic ${Buffer.from('corp\\user:S3cr@t-pw').toString('base64')}`));
    assert.doesNotMatch(ctx.sink.text(), /S3cr/);
    // An unreachable proxy with credentials: the message names the proxy without them.
    const port = await closedPort();
    const down = setup(idp, () => ({ proxy: `http://user:S3cr%40t-pw@127.0.0.1:${port}` }), { NODE_EXTRA_CA_CERTS: ca.caFile });
    const err = await rejectsWith(down.client.metadata(), ErrorCode.Unreachable, /Cannot reach the proxy/);
    assert.doesNotMatch(err.message, /S3cr|user/);
  });

  it('goes directly when NO_PROXY or http.noProxy covers the issuer: the proxy count does not grow', async () => {
    const before = proxy.count();
    const env = { HTTPS_PROXY: proxy.url, NO_PROXY: `example.com, 127.0.0.1:${idp.port}`, NODE_EXTRA_CA_CERTS: ca.caFile };
    await setup(idp, () => ({}), env).signInAndRefresh();
    await setup(idp, () => ({ proxy: proxy.url, noProxy: ['*.example.com', '127.0.0.1'] }), {
      NODE_EXTRA_CA_CERTS: ca.caFile,
    }).signInAndRefresh();
    assert.equal(proxy.count(), before);
    // A rule for another port of the same host does not apply.
    await setup(idp, () => ({ proxy: proxy.url, noProxy: ['127.0.0.1:1'] }), { NODE_EXTRA_CA_CERTS: ca.caFile }).client.metadata();
    assert.equal(proxy.count(), before + 1);
  });

  it('says "cannot reach the proxy" quickly and transiently when the proxy is down', async () => {
    const port = await closedPort();
    const ctx = setup(idp, () => ({}), { HTTPS_PROXY: `http://127.0.0.1:${port}`, NODE_EXTRA_CA_CERTS: ca.caFile });
    const started = Date.now();
    const err = await rejectsWith(
      ctx.provider.createSession([]),
      ErrorCode.Unreachable,
      new RegExp(`Cannot reach the proxy http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\) on the way to 127\\.0\\.0\\.1:${idp.port}`),
    );
    assert.ok(err.transient && err.network);
    assert.ok(Date.now() - started < TIMEOUT_MS, 'no hang');
  });

  it('http.proxyStrictSSL: false skips certificate checks through the proxy only, as VS Code documents', async () => {
    const before = proxy.count();
    await setup(idp, () => ({ proxy: proxy.url, strictSSL: false }), {}).signInAndRefresh();
    assert.ok(proxy.count() > before);
    // A direct connection is still checked.
    const direct = setup(idp, () => ({ proxy: proxy.url, noProxy: ['127.0.0.1'], strictSSL: false }), {});
    await rejectsWith(direct.client.metadata(), ErrorCode.Unreachable, /is not trusted/);
  });

  it("with nothing naming a proxy, goes through the host's fetch (where VS Code applies the system proxy); a named proxy, NO_PROXY or http.proxySupport off do not", async () => {
    // The extension passes the extension host's global fetch, which VS Code extends with the
    // operating system's proxy settings and certificates; here a fetch that trusts the test CA,
    // as the system's certificates would, counts what it is asked.
    const system = new Agent({ connect: { ca: ca.caPem } });
    const asked: string[] = [];
    const hostFetch: Fetch = async (url, init) => {
      asked.push(new URL(url).pathname);
      return (await undiciFetch(url, { ...(init as object), dispatcher: system })) as unknown as Response;
    };
    try {
      const before = proxy.count();
      idp.resetStats();
      const session = await setup(idp, () => ({}), {}, hostFetch).signInAndRefresh();
      assert.equal(session.account.label, 'alice');
      assert.equal(idp.stats().tokensIssued, 2, 'code exchange and refresh reached the issuer');
      assert.ok(asked.some((p) => p.endsWith('/token')) && asked.some((p) => p.includes('well-known')), JSON.stringify(asked));
      assert.equal(proxy.count(), before, 'no proxy was named');

      asked.length = 0;
      await setup(idp, () => ({}), { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile }, hostFetch).client.metadata();
      await setup(
        idp,
        () => ({ proxy: proxy.url, noProxy: ['127.0.0.1'] }),
        { NODE_EXTRA_CA_CERTS: ca.caFile },
        hostFetch,
      ).client.metadata();
      await setup(idp, () => ({ proxySupport: 'off' }), { NODE_EXTRA_CA_CERTS: ca.caFile }, hostFetch).client.metadata();
      assert.deepEqual(asked, [], "the host's fetch is only for requests no setting or variable routes");
      assert.equal(proxy.count(), before + 1, 'HTTPS_PROXY went through the proxy');

      // A host whose certificates do not include the CA: the same clear message, nothing stored.
      const untrusted = setup(
        idp,
        () => ({}),
        {},
        (url, init) => fetch(url, init),
      );
      await rejectsWith(untrusted.provider.createSession([]), ErrorCode.Unreachable, /certificate of 127\.0\.0\.1:\d+ is not trusted/);
      assert.equal(untrusted.store.accounts().length, 0);
    } finally {
      await system.close();
    }
  });

  it("on a remote server, takes no proxy, bypass or certificate from the server's environment and skips the host's fetch; settings still apply", async () => {
    // code-server or Codespaces in a browser: a repository's dev container sets this environment.
    const remote = { remoteServer: true };
    const asked: string[] = [];
    const hostFetch: Fetch = async (url, init) => (asked.push(url), fetch(url, init));
    const env = { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1', NODE_EXTRA_CA_CERTS: ca.caFile };
    let before = proxy.count();
    // Neither HTTPS_PROXY nor the CA file counts: direct, and the test CA is not trusted.
    await rejectsWith(
      setup(idp, () => ({}), env, hostFetch, remote).client.metadata(),
      ErrorCode.Unreachable,
      /is not trusted .*runs on a remote server here and does not read its NODE_EXTRA_CA_CERTS/,
    );
    assert.equal(proxy.count(), before, 'HTTPS_PROXY of the server was not used');
    assert.deepEqual(asked, [], "the host's fetch, which reads that environment, was not used");
    // VS Code's settings are the user's: http.proxy applies, and NO_PROXY does not take it away.
    before = proxy.count();
    idp.resetStats();
    await setup(idp, () => ({ proxy: proxy.url, strictSSL: false }), env, hostFetch, remote).signInAndRefresh();
    assert.ok(proxy.count() > before, 'http.proxy was used although NO_PROXY names the issuer');
    assert.equal(idp.stats().refreshes, 1);
    // The same environment on the user's own computer is theirs, and counts.
    before = proxy.count();
    await setup(idp, () => ({}), { HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile }).client.metadata();
    assert.equal(proxy.count(), before + 1);
  });

  it('reads the settings again when they change', async () => {
    let settings: NetworkSettings = {};
    const ctx = setup(idp, () => settings, { NODE_EXTRA_CA_CERTS: ca.caFile });
    const before = proxy.count();
    await ctx.client.metadata();
    assert.equal(proxy.count(), before, 'no proxy configured yet');
    settings = { proxy: proxy.url };
    await ctx.client.refreshTokenGrant('not-a-real-token').catch(() => undefined);
    assert.equal(proxy.count(), before + 1, 'the next request went through the new proxy');
  });
});

describe('HTTP through a proxy to a plain http issuer on this computer', function () {
  let idp: Idp;
  let proxy: ForwardProxy;
  before(async () => {
    idp = await startIdp();
    proxy = await startForwardProxy();
  });
  after(async () => {
    await proxy?.close();
    await idp?.close();
  });

  it("refuses plain http to 127.0.0.1 where that is a remote server's, and sends nothing", async () => {
    let allowed = false;
    const server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    let connections = 0;
    server.on('connection', () => connections++);
    try {
      const remote = { remoteServer: true, loopbackIsLocal: () => allowed };
      const ctx = setup(idp, () => ({}), {}, undefined, remote);
      await rejectsWith(
        ctx.client.metadata(),
        ErrorCode.InvalidConfiguration,
        /runs on a remote server .*nothing was sent.*allowLoopbackHttp/,
      );
      const fetchRemote = createFetch(TIMEOUT_MS, remote);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        await rejectsWith(fetchRemote(`http://${host}/token`, { method: 'POST' }), ErrorCode.InvalidConfiguration, /remote server/);
      }
      assert.equal(connections, 0);
      // The user said the server is their computer (sessionKeeper.remote.allowLoopbackHttp): it goes out.
      allowed = true;
      await fetchRemote(`http://127.0.0.1:${port}/token`, { method: 'POST' }).catch(() => undefined);
      assert.equal(connections, 1);
      await ctx.client.metadata();
    } finally {
      server.close();
    }
  });

  it('sends absolute-URI requests through HTTP_PROXY, not a tunnel', async () => {
    await setup(idp, () => ({}), { HTTP_PROXY: proxy.url }).signInAndRefresh();
    assert.equal(proxy.tunnels.length, 0);
    assert.ok(proxy.requests.some((r) => r === `${idp.issuer}/.well-known/openid-configuration`));
    assert.ok(proxy.requests.some((r) => r.startsWith(`${idp.issuer}/token`)));
  });
});
