// The device authorization grant and the pasted token against a real OpenID Provider
// (oidc-provider): the user's part on the issuer's pages is played over HTTP by the IdP's driver,
// everything else is the extension's code. Hostile answers come through the IdP's fault injection.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startIdp, type Idp } from '../idp/idp.mjs';
import { ErrorCode } from '../../src/session/base/errors';
import { createLogger } from '../../src/session/base/log';
import { FLOWS, type FlowHost, type FlowId } from '../../src/session/kinds/oauth/flows/index';
import type { DeviceTiming } from '../../src/session/kinds/oauth/flows/device';
import { createFetch } from '../../src/session/net/http';
import { OAuthClient } from '../../src/session/kinds/oauth/client';
import { SessionKeeperProvider } from '../../src/session/provider';
import { SessionStore } from '../../src/session/storage/store';
import { CapturingSink, MemoryMemento, MemorySecrets } from '../support/fakes';
import { assertNothingStored, rejectsWith } from '../support/assert';
import { OAuthSource } from '../../src/session/kinds/oauth/source';

interface FakeHost extends FlowHost {
  shown: Array<{ userCode: string; verificationUri: string }>;
  opened: string[];
  warnings: string[];
  lifetimeAsked: number;
}

/** The editor's part: the user code is "read" by `onUserCode`, inputs come from `answers`. */
function fakeHost(
  opts: {
    onUserCode?: (code: string, uri: string) => void;
    answers?: unknown[];
    lifetime?: number | null;
    /** The browser's part of a redirect flow; what it returns reaches the URI handler, in order. */
    browse?: (url: string) => Promise<string[]>;
  } = {},
) {
  const answers = [...(opts.answers ?? [])];
  let appUri: ((uri: URL) => void) | undefined;
  const host: FakeHost = {
    shown: [],
    opened: [],
    warnings: [],
    lifetimeAsked: 0,
    openBrowser: async (url) => {
      host.opened.push(url);
      if (opts.browse) {
        void opts.browse(url).then((uris) => {
          for (const uri of uris) appUri?.(new URL(uri));
        });
      }
      return true;
    },
    externalUri: async (u) => u,
    appRedirectUri: 'vscode://session-keeper.session-keeper/callback',
    onAppUri: (listener) => {
      appUri = listener;
      return { dispose: () => (appUri = undefined) };
    },
    warn: (message) => void host.warnings.push(message),
    askText: async () => answers.shift() as string | undefined,
    showUserCode(info) {
      host.shown.push(info);
      opts.onUserCode?.(info.userCode, info.verificationUri);
      return { dispose() {} };
    },
    askSecret: async () => answers.shift() as string | undefined,
    askLifetime: async () => {
      host.lifetimeAsked += 1;
      return opts.lifetime === undefined ? 3_600_000 : opts.lifetime;
    },
  };
  return host;
}

/** Polling without the wait: the intervals asked for are recorded, a virtual clock moves on. */
function virtualTiming(realDelayMs = 20): Partial<DeviceTiming> & { waits: number[] } {
  let now = 1_000_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
      await delay(realDelayMs);
    },
  };
}

function setup(idp: Idp, flowId: FlowId, host: FakeHost, timing?: Partial<DeviceTiming>, timeoutMs?: number) {
  const logger = createLogger(new CapturingSink());
  const secrets = new MemorySecrets();
  const store = new SessionStore(secrets, new MemoryMemento(), logger);
  let requests = 0;
  const fetch = createFetch(5_000);
  const client = new OAuthClient({
    issuer: idp.issuer,
    clientId: 'session-keeper',
    fetch: (...args) => {
      requests += 1;
      return fetch(...args);
    },
    timeoutMs: 5_000,
  });
  const flow = FLOWS.find((f) => f.id === flowId)!;
  const provider = new SessionKeeperProvider(
    {
      kind: 'oauth',
      id: 'acme',
      label: 'Acme',
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
        flow.trigger({
          client,
          host,
          logger,
          request: { ...request, signal: new AbortController().signal, providerLabel: 'Acme', deviceTiming: timing, timeoutMs },
        }),
    },
  );
  return { store, secrets, provider, requests: () => requests };
}

describe('device authorization grant (RFC 8628) against a real OpenID Provider', function () {
  let idp: Idp;
  before(async () => {
    idp = await startIdp({ deviceFlow: true });
  });
  after(async () => idp.close());
  afterEach(() => idp.clearFaults());

  it('shows the user code, polls at the issuer interval while the user approves elsewhere, and stores the account', async () => {
    const timing = virtualTiming();
    let approval: Promise<string> | undefined;
    const host = fakeHost({ onUserCode: (code, uri) => void (approval = idp.deviceLogin(uri, code, { login: 'bob' })) });
    const ctx = setup(idp, 'device', host, timing);
    const session = await ctx.provider.createSession([]);
    assert.equal(await approval, 'Sign-in Success');
    assert.equal(session.account.label, 'bob');
    assert.equal(host.shown[0].verificationUri, `${idp.issuer}/device`);
    assert.match(host.shown[0].userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.ok(
      timing.waits.every((w) => w === 5_000),
      `waits: ${timing.waits.join(', ')}`,
    );
    assert.equal((await ctx.provider.getSessions(['openid'])).length, 1);
    assert.ok(ctx.store.find(session.id)!.session.expiresAt! > Date.now());
    assert.ok(ctx.store.find(session.id)!.session.refreshToken, 'a refresh token: the session renews like any other');
  });

  it('adds 5 s to the interval for each slow_down', async () => {
    const timing = virtualTiming();
    let approval: Promise<string> | undefined;
    idp.setFault('/token', 'status', { status: 400, body: { error: 'slow_down' }, times: 2 });
    const host = fakeHost({ onUserCode: (code, uri) => void (approval = idp.deviceLogin(uri, code)) });
    const ctx = setup(idp, 'device', host, timing);
    const session = await ctx.provider.createSession([]);
    await approval;
    assert.equal(session.account.label, 'alice');
    assert.deepEqual(timing.waits.slice(0, 3), [5_000, 10_000, 15_000]);
  });

  it('a user who declines on the issuer page ends the sign-in quietly (access_denied), storing nothing', async () => {
    const host = fakeHost({ onUserCode: (code, uri) => void idp.deviceLogin(uri, code, { deny: true }) });
    const ctx = setup(idp, 'device', host, virtualTiming(100));
    await rejectsWith(ctx.provider.createSession([]), ErrorCode.Cancelled, /declined/);
    assertNothingStored(ctx);
  });

  it('a code nobody entered in time ends with expired_token and a clear message', async () => {
    const short = await startIdp({ deviceFlow: true, deviceCodeTtl: 1 });
    try {
      // The issuer's clock runs; ours stands still, so the issuer is the one to say the code expired.
      const ctx = setup(short, 'device', fakeHost(), { now: () => 0, sleep: () => delay(1_200) });
      await rejectsWith(ctx.provider.createSession([]), ErrorCode.SignInTimedOut, /code expired/);
      assertNothingStored(ctx);
    } finally {
      await short.close();
    }
  });

  describe('hostile device authorization answers', () => {
    const answer = (extra: Record<string, unknown>) => ({
      device_code: 'device-code-from-a-hostile-issuer',
      user_code: 'ABCD-EFGH',
      verification_uri: `${idp.issuer}/device`,
      expires_in: 600,
      ...extra,
    });

    it('nonsense JSON gives a clear error and stores nothing', async () => {
      idp.setFault('/device/auth', 'status', { status: 200, body: { hello: 'world', interval: 'soon' } });
      const host = fakeHost();
      const ctx = setup(idp, 'device', host, virtualTiming());
      await rejectsWith(ctx.provider.createSession([]), ErrorCode.InvalidResponse, /not valid OAuth JSON \(during device authorization\)/);
      assert.equal(host.shown.length, 0);
      assertNothingStored(ctx);
    });

    it('an interval of 0 is refused as not OAuth', async () => {
      idp.setFault('/device/auth', 'status', { status: 200, body: answer({ interval: 0 }), times: 1 });
      const host = fakeHost();
      const ctx = setup(idp, 'device', host, virtualTiming());
      await rejectsWith(ctx.provider.createSession([]), ErrorCode.InvalidResponse, /during device authorization/);
      assert.equal(host.shown.length, 0);
      assertNothingStored(ctx);
    });

    it('a tiny interval is raised to 5 s, an absurd one capped at 60 s', async () => {
      for (const [interval, first] of [
        [0.001, 5_000],
        [1, 5_000],
        [1e9, 60_000],
      ]) {
        idp.setFault('/device/auth', 'status', { status: 200, body: answer({ interval }), times: 1 });
        const timing = virtualTiming();
        const ctx = setup(idp, 'device', fakeHost(), timing);
        // The made-up device code is then refused at the token endpoint.
        await rejectsWith(ctx.provider.createSession([]), ErrorCode.GrantRevoked);
        assert.equal(timing.waits[0], first, `interval ${interval}`);
        assertNothingStored(ctx);
      }
    });

    it('a slow_down storm stays bounded: the interval stops growing at 60 s and the wait ends at expires_in', async () => {
      idp.setFault('/device/auth', 'status', { status: 200, body: answer({ interval: 5, expires_in: 900 }), times: 1 });
      idp.setFault('/token', 'status', { status: 400, body: { error: 'slow_down' } });
      const timing = virtualTiming(1);
      const ctx = setup(idp, 'device', fakeHost(), timing);
      await rejectsWith(ctx.provider.createSession([]), ErrorCode.SignInTimedOut, /code expired/);
      assert.equal(Math.max(...timing.waits), 60_000);
      assert.equal(
        timing.waits.reduce((a, b) => a + b, 0),
        900_000,
      );
      assert.ok(timing.waits.length < 25, `${timing.waits.length} polls`);
      assertNothingStored(ctx);
    });

    it('an absurd expires_in is capped at 30 minutes', async () => {
      idp.setFault('/device/auth', 'status', { status: 200, body: answer({ interval: 60, expires_in: 1e12 }), times: 1 });
      idp.setFault('/token', 'status', { status: 400, body: { error: 'authorization_pending' } });
      const timing = virtualTiming(1);
      const ctx = setup(idp, 'device', fakeHost(), timing);
      await rejectsWith(ctx.provider.createSession([]), ErrorCode.SignInTimedOut);
      assert.equal(
        timing.waits.reduce((a, b) => a + b, 0),
        30 * 60_000,
      );
    });

    for (const [name, uri] of [
      ['a javascript: URI', 'javascript:alert(document.cookie)'],
      ['a command: URI', 'command:workbench.action.terminal.new'],
      ['plain http to another host', 'http://attacker.example/device'],
    ]) {
      it(`a verification URI with ${name} is never shown or opened, and nothing is stored`, async () => {
        idp.setFault('/device/auth', 'status', { status: 200, body: answer({ verification_uri: uri }), times: 1 });
        const host = fakeHost();
        const ctx = setup(idp, 'device', host, virtualTiming());
        await rejectsWith(ctx.provider.createSession([]), ErrorCode.DiscoveryFailed, /not an https address/);
        assert.equal(host.shown.length, 0);
        assert.equal(host.opened.length, 0);
        assertNothingStored(ctx);
      });
    }

    it('a user code that is no short code (markup, 10 kB) is refused', async () => {
      for (const userCode of ['<img src=x onerror=alert(1)>', 'A'.repeat(10_000)]) {
        idp.setFault('/device/auth', 'status', { status: 200, body: answer({ user_code: userCode }), times: 1 });
        const host = fakeHost();
        const ctx = setup(idp, 'device', host, virtualTiming());
        await rejectsWith(ctx.provider.createSession([]), ErrorCode.InvalidResponse, /not usable/);
        assert.equal(host.shown.length, 0);
        assertNothingStored(ctx);
      }
    });
  });
});

describe('the URI-handler redirect (RFC 8252 §7.1) against a real OpenID Provider', function () {
  let idp: Idp;
  before(async () => {
    idp = await startIdp();
  });
  after(async () => idp.close());

  /** The issuer's redirect to vscode://…/callback, and a forged copy of it with another state. */
  const forgeState = (uri: string) => {
    const forged = new URL(uri);
    forged.searchParams.set('state', 'forged-state');
    return forged.href;
  };

  it('signs in through the vscode:// redirect, refusing a response with another state on the way', async () => {
    const host = fakeHost({
      browse: async (url) => {
        const redirect = await idp.login(url, { login: 'bob' });
        return [forgeState(redirect), redirect];
      },
    });
    const ctx = setup(idp, 'uriHandler', host);
    const session = await ctx.provider.createSession([]);
    assert.equal(session.account.label, 'bob');
    assert.equal(new URL(host.opened[0]).searchParams.get('redirect_uri'), 'vscode://session-keeper.session-keeper/callback');
    assert.equal(host.warnings.length, 1);
    assert.match(host.warnings[0], /does not belong to the sign-in in progress \(state mismatch\)/);
  });

  it('a response with a wrong state alone stores nothing, and the sign-in ends at its time limit', async () => {
    const host = fakeHost({ browse: async (url) => [forgeState(await idp.login(url))] });
    const ctx = setup(idp, 'uriHandler', host, undefined, 1_500);
    await rejectsWith(ctx.provider.createSession([]), ErrorCode.SignInTimedOut, /^Sign-in did not finish within 2 seconds\. Try again\.$/);
    assert.equal(host.warnings.length, 1);
    assertNothingStored(ctx);
  });
});

describe('pasting a token', function () {
  let idp: Idp;
  before(async () => {
    idp = await startIdp();
  });
  after(async () => idp.close());

  it('a good opaque token is validated at userinfo, names the account there, and asks for its lifetime', async () => {
    const token = await idp.mintAccessToken('bob');
    const host = fakeHost({ answers: [`${token}\n`, ''], lifetime: 8 * 3_600_000 });
    const ctx = setup(idp, 'paste', host);
    const before = Date.now();
    const session = await ctx.provider.createSession([]);
    assert.equal(session.account.label, 'bob');
    assert.equal(session.accessToken, token);
    assert.equal(host.lifetimeAsked, 1);
    const stored = ctx.store.find(session.id)!.session;
    assert.ok(stored.expiresAt! >= before + 8 * 3_600_000 && stored.expiresAt! <= Date.now() + 8 * 3_600_000);
    assert.equal(stored.refreshToken, undefined);
    assert.deepEqual(
      (await ctx.provider.getSessions(['openid'])).map((s) => s.accessToken),
      [token],
    );
  });

  it('a JWT takes its expiry from exp, without asking (an issuer without userinfo: the account from its sub)', async () => {
    const jwtIdp = await startIdp({ accessTokenFormat: 'jwt', userinfo: false });
    try {
      const issuing = new OAuthClient({ issuer: jwtIdp.issuer, clientId: 'session-keeper', fetch: createFetch(5_000), timeoutMs: 5_000 });
      const pending = await issuing.authorizationRequest({ redirectUri: 'http://127.0.0.1/callback', scopes: ['openid'] });
      const { accessToken, expiresAt } = await issuing.authorizationCodeGrant(pending, new URL(await jwtIdp.login(pending.url)));
      assert.equal(accessToken.split('.').length, 3);
      const host = fakeHost({ answers: [accessToken, ''] });
      const ctx = setup(jwtIdp, 'paste', host);
      const session = await ctx.provider.createSession([]);
      assert.equal(session.account.label, 'alice');
      assert.equal(host.lifetimeAsked, 0);
      assert.ok(Math.abs(ctx.store.find(session.id)!.session.expiresAt! - expiresAt!) < 2_000);
    } finally {
      await jwtIdp.close();
    }
  });

  for (const [name, text] of [
    ['whitespace only', '   \n'],
    ['a sentence', 'this is not a token'],
    ['control characters', 'abc\u0007def'],
    ['too long', 'a'.repeat(20_000)],
    ['markup', '<script>alert(1)</script>'],
  ]) {
    it(`refuses ${name} before any request, with a clear message`, async () => {
      const ctx = setup(idp, 'paste', fakeHost({ answers: [text, ''] }));
      await rejectsWith(ctx.provider.createSession([]), ErrorCode.InvalidResponse, /token|Nothing was saved/);
      assert.equal(ctx.requests(), 0);
      assertNothingStored(ctx);
    });
  }

  it('refuses a token the userinfo endpoint rejects, and stores nothing', async () => {
    const ctx = setup(idp, 'paste', fakeHost({ answers: ['made-up-token-0123456789abcdefghijklmnop', ''] }));
    await rejectsWith(ctx.provider.createSession([]), ErrorCode.GrantRevoked, /does not accept this token/);
    assertNothingStored(ctx);
  });

  it('a dismissed input box cancels quietly', async () => {
    const ctx = setup(idp, 'paste', fakeHost({ answers: [undefined] }));
    await rejectsWith(ctx.provider.createSession([]), ErrorCode.Cancelled);
    assertNothingStored(ctx);
  });
});
