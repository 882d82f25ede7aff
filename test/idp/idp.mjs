// A real OpenID Provider (oidc-provider) on 127.0.0.1 for tests and the demo, with
// fault injection, outage simulation and statistics. See idp.d.mts for the API.
//
// CLI: node test/idp/idp.mjs [--port N] [--access-token-ttl S] [--refresh-token-ttl S]
//        [--id-token-ttl S] [--format jwt|opaque] [--auto-login alice]
//   prints {"issuer":"http://127.0.0.1:N","port":N} on stdout once listening; SIGINT/SIGTERM stop it.
// Test control on the issuer, for code that only knows its URL:
//   GET /__test/stats, POST /__test/reset-stats, POST /__test/revoke-grants?sub=alice,
//   POST /__test/fault?path=/token&kind=status&status=503&headers={"retry-after":"7"}&times=1
//     (or the options as a JSON body), POST /__test/clear-faults, POST /__test/stop-for?ms=5000,
//   POST /__test/add-user?login=mallory (the user as a JSON body), POST /__test/remove-user?login=mallory,
//   GET /__test/whoami with `Authorization: Bearer <access token>` (a stand-in for an API)
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { realpathSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

/** @typedef {import('./idp.d.mts').IdpOptions} IdpOptions */
/** @typedef {import('./idp.d.mts').IdpUser} IdpUser */
/** @typedef {import('./idp.d.mts').IdpStats} IdpStats */
/** @typedef {import('./idp.d.mts').FaultKind} FaultKind */
/** @typedef {import('./idp.d.mts').FaultOptions} FaultOptions */
/** @typedef {import('./idp.d.mts').Idp} Idp */

/** @type {Record<string, IdpUser>} */
export const DEFAULT_USERS = {
  alice: { name: 'Alice Example', email: 'alice@example.test' },
  bob: { name: 'Bob Example', email: 'bob@example.test' },
};

export const DEFAULT_CLIENT = Object.freeze({
  client_id: 'session-keeper',
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  // The loopback redirect (RFC 8252 §7.3) and the private-use URI scheme redirect (§7.1).
  redirect_uris: ['http://127.0.0.1/callback', 'vscode://session-keeper.session-keeper/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
});

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Audience of JWT access tokens; a URN so it does not depend on the port. */
export const API_RESOURCE = 'urn:session-keeper:test-api';

const FAULT_KINDS = new Set([
  'html',
  'html200',
  'status',
  'hang',
  'drop',
  'tamper-id-token-signature',
  'discovery-issuer',
  'error-description',
]);
// Fixed so sessions survive stop()/start(); this is a test server, not a secret.
const COOKIE_KEYS = ['session-keeper-test-idp-cookie-key'];
// Expired entries stay this long so oidc-provider reports "expired" rather than "not found".
const EXPIRED_GRACE_MS = 60_000;
const LOGIN_ERROR_CLASS = 'idp-login-error';

/** The first heading of a page, as text. @param {string} page */
const heading = (page) => /<h1[^>]*>([^<]*)<\/h1>/.exec(page)?.[1]?.trim() ?? page.slice(0, 200);
/** @param {string} s */
const html = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const epoch = () => Math.floor(Date.now() / 1000);

/** oidc-provider storage in a plain Map: no size cap, and grants can be listed per account. */
function createStore() {
  /** @type {Map<string, { payload: any, expiresAt: number }>} */
  const entries = new Map();

  /** @param {string} model */
  function* scan(model) {
    const now = Date.now();
    for (const [key, entry] of entries) {
      if (entry.expiresAt + EXPIRED_GRACE_MS <= now) entries.delete(key);
      else if (key.startsWith(`${model}:`)) yield [key, entry.payload];
    }
  }

  class Adapter {
    /** @param {string} model */
    constructor(model) {
      this.model = model;
    }

    /** @param {string} id */
    key(id) {
      return `${this.model}:${id}`;
    }

    /** @param {string} id @param {any} payload @param {number} [expiresIn] */
    async upsert(id, payload, expiresIn) {
      entries.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    }

    /** @param {string} id */
    async find(id) {
      const entry = entries.get(this.key(id));
      if (entry && entry.expiresAt + EXPIRED_GRACE_MS > Date.now()) return entry.payload;
      entries.delete(this.key(id));
      return undefined;
    }

    /** @param {string} uid */
    async findByUid(uid) {
      for (const [, payload] of scan(this.model)) if (payload.uid === uid) return payload;
      return undefined;
    }

    /** @param {string} userCode */
    async findByUserCode(userCode) {
      for (const [, payload] of scan(this.model)) if (payload.userCode === userCode) return payload;
      return undefined;
    }

    /** @param {string} id */
    async consume(id) {
      const payload = await this.find(id);
      if (payload) payload.consumed = epoch();
    }

    /** @param {string} id */
    async destroy(id) {
      entries.delete(this.key(id));
    }

    /** @param {string} grantId */
    async revokeByGrantId(grantId) {
      for (const [key, payload] of scan(this.model)) if (payload.grantId === grantId) entries.delete(key);
    }
  }

  return {
    Adapter,
    /** @param {string} accountId @returns {string[]} grant ids */
    grantsOf(accountId) {
      return [...scan('Grant')].filter(([, p]) => p.accountId === accountId).map(([key]) => key.slice('Grant:'.length));
    },
  };
}

/** @returns {IdpStats} */
const zeroStats = () => ({
  authorizationCodesIssued: 0,
  tokensIssued: 0,
  refreshes: 0,
  refreshTokenReuse: 0,
  grantsRevoked: 0,
  revocations: 0,
  invalidGrant: 0,
});

/** Breaks a JWS signature but keeps it well-formed base64url of the same length. */
function tamperSignature(/** @type {string} */ jwt) {
  const [header, payload, signature] = jwt.split('.');
  // Change the first characters only: the last one carries padding bits and may not decode.
  const flipped = [...signature.slice(0, 4)].map((c) => (c === 'A' ? 'B' : 'A')).join('');
  return `${header}.${payload}.${flipped}${signature.slice(4)}`;
}

/**
 * Drops oidc-provider's start-up warning about devInteractions, which are used on purpose here.
 * @template T @param {() => T} fn
 */
function withoutDevWarnings(fn) {
  const { warn } = console;
  console.warn = (...args) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING: a quick start')) warn(...args);
  };
  try {
    return fn();
  } finally {
    console.warn = warn;
  }
}

/** @param {http.IncomingMessage} req */
async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** @param {http.ServerResponse} res @param {number} status @param {unknown} body */
function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** @param {any} provider an oidc-provider Provider @param {any} interaction */
async function approveConsent(provider, { prompt: { details }, grantId, session, params }) {
  // Same grant the devInteractions consent page would create.
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, /** @type {string[]} */ (scopes).join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

/**
 * @param {http.Server} server
 * @param {number} port
 * @returns {Promise<number>}
 */
function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port);
    });
  });
}

/** A fetch that trusts `ca` (PEM) besides Node's roots. @param {string} ca @returns {Promise<typeof fetch>} */
async function trustingFetch(ca) {
  const undici = await import('undici');
  const dispatcher = new undici.Agent({ connect: { ca: [...(await import('node:tls')).rootCertificates, ca] } });
  return /** @type {typeof fetch} */ (/** @type {unknown} */ ((url, init) => undici.fetch(url, { ...init, dispatcher })));
}

/** @param {IdpOptions} [options] @returns {Promise<Idp>} */
export async function startIdp(options = {}) {
  const {
    port: requestedPort = 0,
    accessTokenTtl = 300,
    refreshTokenTtl = 86400,
    idTokenTtl = 3600,
    accessTokenFormat = 'opaque',
    clients = [DEFAULT_CLIENT],
    users: configuredUsers = DEFAULT_USERS,
    autoLogin,
    tls,
    deviceFlow = false,
    deviceCodeTtl = 600,
    userinfo = true,
  } = options;
  // This IdP's own copy: users added while it runs (addUser) stay with it.
  /** @type {Record<string, IdpUser>} */
  const users = { ...configuredUsers };
  if (accessTokenFormat !== 'opaque' && accessTokenFormat !== 'jwt') {
    throw new TypeError(`accessTokenFormat must be 'opaque' or 'jwt', got ${accessTokenFormat}`);
  }
  for (const [name, ttl] of Object.entries({ accessTokenTtl, refreshTokenTtl, idTokenTtl, deviceCodeTtl })) {
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new TypeError(`${name} must be a positive integer of seconds, got ${ttl}`);
  }
  if (autoLogin !== undefined && !Object.hasOwn(users, autoLogin)) {
    throw new TypeError(`autoLogin user "${autoLogin}" is not one of the users`);
  }

  /** @param {http.RequestListener} listener @returns {http.Server} */
  const createServer = (listener) => (tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener));
  /** @type {http.Server | undefined} */
  let server = createServer((req, res) => {
    handle(req, res);
  });
  const port = await listen(server, requestedPort);
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  // The login driver trusts the test CA of an https issuer; nothing else in this process does.
  const loginFetch = tls?.ca ? await trustingFetch(tls.ca) : fetch;
  const issuerHost = `127.0.0.1:${port}`;
  const store = createStore();
  let stats = zeroStats();
  /** @type {Map<string, { kind: FaultKind, opts: FaultOptions, left: number }>} */
  const faults = new Map();
  /** @type {WeakMap<http.IncomingMessage, { kind: FaultKind, opts: FaultOptions }>} */
  const bodyFaults = new WeakMap();
  /** @type {Map<string, string>} interaction uid -> message shown on the next login page */
  const loginErrors = new Map();
  /** @type {NodeJS.Timeout | undefined} */
  let restartTimer;
  /** @type {Promise<void> | undefined} */
  let starting;
  let closed = false;

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const jwt = accessTokenFormat === 'jwt';

  /** @param {unknown} _ctx @param {string} id */
  const findAccount = (_ctx, id) => {
    const user = Object.hasOwn(users, id) ? users[id] : undefined;
    if (!user) return undefined;
    return {
      accountId: id,
      claims: () => ({
        sub: id,
        preferred_username: user.preferred_username ?? id,
        name: user.name,
        email: user.email,
        email_verified: user.email_verified ?? true,
      }),
    };
  };

  /** @type {Record<string, any>} oidc-provider ships no types */
  const configuration = {
    adapter: store.Adapter,
    // RFC 8628: with the device flow on, the clients may use its grant too.
    clients: deviceFlow
      ? clients.map((c) => ({ ...c, grant_types: [...new Set([.../** @type {string[]} */ (c.grant_types ?? []), DEVICE_CODE_GRANT])] }))
      : clients,
    findAccount,
    jwks: { keys: [{ ...signingKey, kid: 'test-idp-rs256', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: COOKIE_KEYS },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    // Put profile and email claims in the ID token too, as most issuers do; a JWT access token
    // is for the API resource and cannot call userinfo.
    conformIdTokenClaims: false,
    // Short TTLs in tests must expire exactly, not 15 s later.
    clockTolerance: 0,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: idTokenTtl,
      RefreshToken: refreshTokenTtl,
      Interaction: 3600,
      Session: Math.max(refreshTokenTtl, 14 * 86400),
      Grant: Math.max(refreshTokenTtl, 14 * 86400),
      DeviceCode: deviceCodeTtl,
    },
    features: {
      devInteractions: { enabled: autoLogin === undefined },
      deviceFlow: { enabled: deviceFlow },
      userinfo: { enabled: userinfo },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      resourceIndicators: jwt
        ? {
            enabled: true,
            defaultResource: () => API_RESOURCE,
            // Refreshes that send no `resource` keep getting a JWT for the granted API.
            useGrantedResource: () => true,
            getResourceServerInfo: (_ctx, resource) => {
              if (resource !== API_RESOURCE) throw new errors.InvalidTarget();
              return {
                scope: 'openid profile email offline_access api',
                audience: API_RESOURCE,
                accessTokenTTL: accessTokenTtl,
                accessTokenFormat: 'jwt',
                jwt: { sign: { alg: 'RS256' } },
              };
            },
          }
        : { enabled: false },
    },
    clientBasedCORS: () => true,
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>Error</title><h1>${html(String(out.error))}</h1><p>${html(String(out.error_description ?? ''))}</p>`;
    },
  };

  const op = withoutDevWarnings(() => new Provider(issuer, configuration));

  op.on('authorization_code.saved', () => {
    stats.authorizationCodesIssued += 1;
  });
  op.on('grant.success', (ctx) => {
    stats.tokensIssued += 1;
    if (ctx.oidc.params?.grant_type === 'refresh_token') stats.refreshes += 1;
  });
  op.on('grant.error', (_ctx, err) => {
    if (err.error !== 'invalid_grant') return;
    stats.invalidGrant += 1;
    if (err.error_detail === 'refresh token already used') stats.refreshTokenReuse += 1;
  });
  op.on('grant.revoked', () => {
    stats.grantsRevoked += 1;
  });
  const countRevocation = () => {
    if (Provider.ctx?.oidc.route === 'revocation') stats.revocations += 1;
  };
  op.on('access_token.destroyed', countRevocation);
  op.on('refresh_token.destroyed', countRevocation);
  op.on('server_error', (_ctx, err) => {
    console.error('test idp: server_error', err);
  });

  const interactionPath = /^\/interaction\/([^/]+)$/;
  op.use(async (ctx, next) => {
    if (interactionPath.test(ctx.path)) {
      if (autoLogin !== undefined && ctx.method === 'GET') return autoInteraction(ctx);
      if (autoLogin === undefined && ctx.method === 'POST') return submitInteraction(ctx);
    }
    await next();
    const uid = interactionPath.exec(ctx.path)?.[1];
    if (uid && typeof ctx.body === 'string') decorateLoginPage(ctx, uid);
    const fault = bodyFaults.get(ctx.req);
    if (fault?.kind === 'tamper-id-token-signature' && typeof ctx.body?.id_token === 'string') {
      ctx.body = { ...ctx.body, id_token: tamperSignature(ctx.body.id_token) };
    }
    if (fault?.kind === 'discovery-issuer' && typeof ctx.body?.issuer === 'string') {
      ctx.body = { ...ctx.body, issuer: fault.opts.issuer };
    }
    if (fault?.kind === 'error-description' && typeof ctx.body?.error === 'string') {
      ctx.body = { ...ctx.body, error_description: fault.opts.description };
    }
  });

  /** Headless mode: finish login and consent as the autoLogin user without any page. */
  async function autoInteraction(/** @type {any} */ ctx) {
    const interaction = await op.interactionDetails(ctx.req, ctx.res);
    const { name } = interaction.prompt;
    const result = name === 'login' ? { login: { accountId: autoLogin } } : await approveConsent(op, interaction);
    ctx.respond = false;
    await op.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: name !== 'login' });
  }

  /** Form posts of the devInteractions pages, handled here so an unknown login gets an error. */
  async function submitInteraction(/** @type {any} */ ctx) {
    const form = new URLSearchParams(await readBody(ctx.req));
    const interaction = await op.interactionDetails(ctx.req, ctx.res);
    const { name } = interaction.prompt;
    if (form.get('prompt') !== name) ctx.throw(400, `expected a ${name} submission`);
    let result;
    if (name === 'login') {
      const login = form.get('login') ?? '';
      if (!findAccount(undefined, login)) {
        loginErrors.set(interaction.uid, `Unknown user "${login}". Known users: ${Object.keys(users).join(', ')}.`);
        ctx.redirect(`/interaction/${interaction.uid}`);
        ctx.status = 303;
        return;
      }
      result = { login: { accountId: login } };
    } else {
      result = await approveConsent(op, interaction);
    }
    ctx.respond = false;
    await op.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: name !== 'login' });
  }

  function decorateLoginPage(/** @type {any} */ ctx, /** @type {string} */ uid) {
    let page = ctx.body.replace('placeholder="Enter any login"', `placeholder="${html(Object.keys(users).join(' or '))}"`);
    const message = loginErrors.get(uid);
    loginErrors.delete(uid);
    if (message) page = page.replace('<form', `<p class="${LOGIN_ERROR_CLASS}" style="color:#d50000">${html(message)}</p><form`);
    ctx.body = page;
  }

  const providerCallback = op.callback();

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    try {
      const url = new URL(req.url ?? '/', issuer);
      if (url.pathname.startsWith('/__test/')) return await control(req, res, url);
      const fault = takeFault(url.pathname);
      if (fault && rawFault(fault, req, res)) return;
      if (fault) bodyFaults.set(req, fault);
      // oidc-provider builds form actions, returnTo and discovery URLs from Host; a proxy in
      // front (code-server's /proxy/<port>/) must not leak its own host into them.
      req.headers.host = issuerHost;
      const setHeader = res.setHeader;
      res.setHeader = function setAbsoluteLocation(name, value) {
        // A relative redirect would lose a proxy's path prefix; send the browser to the issuer.
        if (name.toLowerCase() === 'location' && typeof value === 'string' && /^\/(?!\/)/.test(value)) value = issuer + value;
        return setHeader.call(this, name, value);
      };
      providerCallback(req, res);
    } catch (err) {
      console.error('test idp:', err);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    }
  }

  /** @param {string} pathname */
  function takeFault(pathname) {
    let match;
    let matchedPrefix = '';
    for (const [prefix, fault] of faults) {
      if (pathname.startsWith(prefix) && prefix.length > matchedPrefix.length) [match, matchedPrefix] = [fault, prefix];
    }
    if (!match) return undefined;
    match.left -= 1;
    if (match.left <= 0) faults.delete(matchedPrefix);
    return match;
  }

  /** Faults that replace the response entirely. @returns {boolean} handled */
  function rawFault(
    /** @type {{kind: FaultKind, opts: FaultOptions}} */ { kind, opts },
    /** @type {http.IncomingMessage} */ req,
    /** @type {http.ServerResponse} */ res,
  ) {
    switch (kind) {
      case 'html':
        res.writeHead(502, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>',
        );
        return true;
      case 'html200':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          '<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body><h1>Welcome</h1><p>Accept the terms to continue.</p></body></html>',
        );
        return true;
      case 'status': {
        const body = opts.body === undefined ? '' : JSON.stringify(opts.body);
        res.writeHead(opts.status ?? 503, { ...(body && { 'content-type': 'application/json' }), ...opts.headers });
        res.end(body);
        return true;
      }
      case 'hang':
        // Never answer; stop()/close() destroy the socket.
        req.resume();
        return true;
      case 'drop':
        req.socket.destroy();
        return true;
      default:
        return false;
    }
  }

  /** Test control over HTTP for code that only knows the issuer URL. */
  async function control(/** @type {http.IncomingMessage} */ req, /** @type {http.ServerResponse} */ res, /** @type {URL} */ url) {
    const q = url.searchParams;
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /__test/stats':
        return sendJson(res, 200, idp.stats());
      case 'POST /__test/reset-stats':
        idp.resetStats();
        return sendJson(res, 200, { ok: true });
      case 'POST /__test/revoke-grants': {
        const sub = q.get('sub');
        if (!sub) return sendJson(res, 400, { error: 'sub is required' });
        return sendJson(res, 200, { revoked: await idp.revokeGrantsOf(sub) });
      }
      case 'POST /__test/fault': {
        const body = await readBody(req);
        try {
          // Options come from the query (headers as JSON) or from a JSON body.
          /** @type {FaultOptions} */
          const opts = {
            ...(q.has('status') && { status: Number(q.get('status')) }),
            ...(q.has('issuer') && { issuer: q.get('issuer') ?? '' }),
            ...(q.has('times') && { times: Number(q.get('times')) }),
            ...(q.has('headers') && { headers: JSON.parse(q.get('headers') ?? '{}') }),
            ...(body && JSON.parse(body)),
          };
          idp.setFault(q.get('path') ?? '', /** @type {FaultKind} */ (q.get('kind')), opts);
        } catch (err) {
          return sendJson(res, 400, { error: /** @type {Error} */ (err).message });
        }
        return sendJson(res, 200, { ok: true });
      }
      case 'GET /__test/whoami': {
        // A stand-in for the API the tokens are for. oidc-provider's userinfo refuses JWT access
        // tokens issued for a resource server, so this checks them itself: the signature with the
        // IdP's own key, issuer, audience and expiry; opaque tokens through oidc-provider's lookup.
        const token = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '')?.[1];
        const sub = token && (await subjectOf(token));
        if (!sub) return sendJson(res, 401, { error: 'invalid_token' });
        const account = await findAccount(undefined, sub);
        return account ? sendJson(res, 200, account.claims()) : sendJson(res, 401, { error: 'invalid_token' });
      }
      case 'POST /__test/mint-token': {
        const sub = q.get('sub');
        if (!sub || !Object.hasOwn(users, sub)) return sendJson(res, 400, { error: 'sub must be one of the users' });
        return sendJson(res, 200, { access_token: await idp.mintAccessToken(sub) });
      }
      case 'POST /__test/add-user': {
        try {
          idp.addUser(q.get('login') ?? '', JSON.parse((await readBody(req)) || 'null'));
        } catch (err) {
          return sendJson(res, 400, { error: /** @type {Error} */ (err).message });
        }
        return sendJson(res, 200, { ok: true });
      }
      case 'POST /__test/remove-user':
        return sendJson(res, 200, { removed: idp.removeUser(q.get('login') ?? '') });
      case 'POST /__test/clear-faults':
        idp.clearFaults();
        return sendJson(res, 200, { ok: true });
      case 'POST /__test/stop-for': {
        const ms = Number(q.get('ms'));
        if (!Number.isFinite(ms) || ms < 0) return sendJson(res, 400, { error: 'ms must be a non-negative number' });
        res.on('finish', () => {
          shutdown().then(() => {
            if (!closed)
              restartTimer = setTimeout(() => {
                idp.start().catch((err) => console.error('test idp: restart failed', err));
              }, ms);
          });
        });
        res.setHeader('connection', 'close');
        return sendJson(res, 200, { ok: true, ms });
      }
      default:
        return sendJson(res, 404, { error: `unknown test control ${route}` });
    }
  }

  const publicKey = createPublicKey({ key: signingKey, format: 'jwk' });

  /** The subject of a valid access token, else undefined. @param {string} token */
  async function subjectOf(token) {
    const parts = token.split('.');
    if (parts.length === 3) {
      const [header, payload, signature] = parts;
      if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))) return undefined;
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      const fresh = typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
      return claims.iss === issuer && audiences.includes(API_RESOURCE) && fresh ? claims.sub : undefined;
    }
    const found = await op.AccessToken.find(token);
    return found && !found.isExpired ? found.accountId : undefined;
  }

  /** Closes the listener and every open connection; state stays in memory. */
  async function shutdown() {
    const current = server;
    if (!current) return;
    server = undefined;
    await new Promise((resolve) => {
      current.close(resolve);
      current.closeAllConnections();
    });
  }

  /**
   * Plays a browser over HTTP from `startUrl`: the device pages (user code, confirmation), then
   * login and consent. Resolves with the first URL outside the issuer (a redirect to the client),
   * or with the page the issuer ended on.
   * @param {string} startUrl
   * @param {{ login: string, consent: boolean, userCode?: string, deny?: boolean }} opts
   * @returns {Promise<string | { page: string }>}
   */
  async function browse(startUrl, { login, consent, userCode, deny = false }) {
    /** @type {Map<string, string>} */
    const jar = new Map();
    let url = startUrl;
    /** @type {URLSearchParams | undefined} */
    let form;
    for (let step = 0; step < 20; step += 1) {
      const res = await loginFetch(url, {
        method: form ? 'POST' : 'GET',
        body: form,
        redirect: 'manual',
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const cookie of res.headers.getSetCookie()) {
        const [pair] = cookie.split(';');
        const eq = pair.indexOf('=');
        const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
        if (value && !/expires=Thu, 01 Jan 1970/i.test(cookie)) jar.set(name, value);
        else jar.delete(name);
      }
      form = undefined;
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        url = new URL(location, url).href;
        if (!url.startsWith(`${issuer}/`)) return url;
        continue;
      }
      const page = await res.text();
      if (page.includes(LOGIN_ERROR_CLASS))
        throw new Error(`login: "${login}" was rejected: ${/class="idp-login-error"[^>]*>([^<]*)/.exec(page)?.[1]}`);
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
      if (page.includes('id="op.deviceInputForm"') && action) {
        if (userCode === undefined) throw new Error(`login: ${url} asks for a user code`);
        if (/<p class="red">/.test(page) && step > 0) throw new Error(`login: the user code was refused: ${heading(page)}`);
        url = new URL(action, url).href;
        form = new URLSearchParams({ xsrf, user_code: userCode });
        continue;
      }
      if (page.includes('id="op.deviceConfirmForm"') && action) {
        const code = /name="user_code" value="([^"]+)"/.exec(page)?.[1] ?? '';
        url = new URL(action, url).href;
        form = new URLSearchParams(deny ? { xsrf, user_code: code, abort: 'yes' } : { xsrf, user_code: code, confirm: 'yes' });
        continue;
      }
      const prompt = /name="prompt" value="([^"]+)"/.exec(page)?.[1];
      if (!action || !prompt) {
        if (userCode !== undefined) return { page };
        throw new Error(`login: ${url} answered ${res.status} and is not a login or consent page: ${page.slice(0, 300)}`);
      }
      if (res.status !== 200) throw new Error(`login: ${url} answered ${res.status}: ${page.slice(0, 300)}`);
      if (prompt === 'consent' && !consent) {
        const abort = /href="([^"]+\/abort)"/.exec(page)?.[1];
        if (!abort) throw new Error('login: the consent page has no abort link');
        url = new URL(abort, url).href;
        continue;
      }
      url = new URL(action, url).href;
      form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
    }
    throw new Error('login: too many steps');
  }

  /** @type {Idp} */
  const idp = {
    issuer,
    port,
    stats: () => ({ ...stats }),
    resetStats() {
      stats = zeroStats();
    },

    async login(authorizationUrl, { login = 'alice', consent = true } = {}) {
      const out = await browse(String(authorizationUrl), { login, consent });
      if (typeof out !== 'string') throw new Error(`login: ended on a page of the issuer: ${heading(out.page)}`);
      return out;
    },

    async deviceLogin(verificationUri, userCode, { login = 'alice', consent = true, deny = false } = {}) {
      const out = await browse(String(verificationUri), { login, consent, userCode, deny });
      if (typeof out === 'string') throw new Error(`deviceLogin: left the issuer for ${out}`);
      return heading(out.page);
    },

    async mintAccessToken(sub, scope = 'openid profile email') {
      if (!Object.hasOwn(users, sub)) throw new TypeError(`mintAccessToken: "${sub}" is not one of the users`);
      const client = await op.Client.find(clients[0].client_id);
      const grant = new op.Grant({ accountId: sub, clientId: client.clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      // No resource server: an opaque token the userinfo endpoint accepts.
      return new op.AccessToken({ accountId: sub, client, grantId, scope, gty: 'authorization_code' }).save();
    },

    setFault(pathPrefix, kind, opts = {}) {
      if (!pathPrefix.startsWith('/')) throw new TypeError(`fault path must start with "/", got "${pathPrefix}"`);
      if (!FAULT_KINDS.has(kind)) throw new TypeError(`unknown fault kind "${kind}"`);
      if (kind === 'discovery-issuer' && !opts.issuer) throw new TypeError('discovery-issuer needs opts.issuer');
      if (kind === 'error-description' && typeof opts.description !== 'string')
        throw new TypeError('error-description needs opts.description');
      if (opts.times !== undefined && !(Number.isSafeInteger(opts.times) && opts.times > 0))
        throw new TypeError('times must be a positive integer');
      faults.set(pathPrefix, { kind, opts, left: opts.times ?? Infinity });
    },
    clearFaults() {
      faults.clear();
    },

    async start() {
      if (closed) throw new Error('the test IdP was closed');
      clearTimeout(restartTimer);
      if (server) return;
      // One listen at a time: a stop-for restart may race an explicit start().
      starting ??= (async () => {
        const next = createServer((req, res) => {
          handle(req, res);
        });
        await listen(next, port);
        server = next;
      })().finally(() => {
        starting = undefined;
      });
      await starting;
    },
    async stop() {
      clearTimeout(restartTimer);
      await shutdown();
    },
    async close() {
      closed = true;
      clearTimeout(restartTimer);
      await shutdown();
    },

    addUser(login, user) {
      if (!login || typeof user?.name !== 'string' || typeof user.email !== 'string') {
        throw new TypeError('addUser needs a login and a user with a name and an email');
      }
      users[login] = { ...user };
    },
    removeUser(login) {
      if (!Object.hasOwn(users, login)) return false;
      delete users[login];
      return true;
    },

    async revokeGrantsOf(sub) {
      const grantIds = store.grantsOf(sub);
      for (const grantId of grantIds) {
        await Promise.all([op.AccessToken, op.RefreshToken, op.AuthorizationCode].map((model) => model.revokeByGrantId(grantId)));
        await op.Grant.adapter.destroy(grantId);
        stats.grantsRevoked += 1;
      }
      return grantIds.length;
    },
  };
  return idp;
}

async function main() {
  // oidc-provider prints notices with console.info; stdout carries only the JSON line.
  console.log = console.error;
  console.info = console.error;
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'access-token-ttl': { type: 'string' },
      'refresh-token-ttl': { type: 'string' },
      'id-token-ttl': { type: 'string' },
      format: { type: 'string' },
      'auto-login': { type: 'string' },
    },
  });
  const number = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  const idp = await startIdp({
    port: number(values.port),
    accessTokenTtl: number(values['access-token-ttl']),
    refreshTokenTtl: number(values['refresh-token-ttl']),
    idTokenTtl: number(values['id-token-ttl']),
    accessTokenFormat: /** @type {'jwt' | 'opaque' | undefined} */ (values.format),
    autoLogin: values['auto-login'],
  });
  process.stdout.write(`${JSON.stringify({ issuer: idp.issuer, port: idp.port })}\n`);
  const exit = () => {
    idp.close().then(() => process.exit(0));
  };
  process.once('SIGINT', exit);
  process.once('SIGTERM', exit);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
