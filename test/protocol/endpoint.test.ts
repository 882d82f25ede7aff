// Endpoint sessions against two small services over real HTTP (createFetch): one that rotates a
// cookie and answers JSON, one that takes its token and a fingerprint in the query and answers an
// HTML page holding a JWT. Every part of a declaration, then every way a service or the network
// can fail: each failure settles within a bound, is transient unless the service ended the
// session, names what is missing, and never carries a value the session holds.
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { redactor } from '../../src/session/base/redact';
import { EndpointSource } from '../../src/session/kinds/endpoint/source';
import type { EndpointDeclaration, EndpointValues } from '../../src/session/kinds/endpoint/declaration';
import { Pattern } from '../../src/session/base/pattern';
import { createFetch, type Fetch } from '../../src/session/net/http';
import { freshRefreshState, type StoredAccount, type StoredSession } from '../../src/session/storage/store';
import { startHtmlSessionService, type HtmlSessionService } from '../support/htmlSessionService';
import { startJsonSessionService, type JsonSessionService } from '../support/jsonSessionService';

/** Time limit of a renewal in the tests of time limits. */
const TIMEOUT_MS = 500;
/** Every failure settles within this, however slow the machine. */
const BOUND_MS = 15_000;
const DAY = 86_400_000;
const TOKEN_REGEX = Pattern.compile('localStorage\\.setItem\\("token",\\s*"([^"]*)"\\)', '');

const fetch: Fetch = createFetch(5_000);

function jsonDeclaration(origin: string, over: Partial<EndpointDeclaration> = {}): EndpointDeclaration {
  return {
    inputs: [{ kind: 'cookie', name: 'sid' }],
    renew: { method: 'POST', url: `${origin}/session`, query: {}, headers: {}, sendCookies: true },
    read: [{ target: { kind: 'token' }, from: { json: '/token' } }],
    expiry: { from: 'json', pointer: '/expiresAt', as: 'date' },
    ends: { status: [401] },
    serve: 'token',
    ...over,
  };
}

function htmlDeclaration(origin: string, over: Partial<EndpointDeclaration> = {}): EndpointDeclaration {
  return {
    inputs: [{ kind: 'token' }, { kind: 'value', name: 'fp' }],
    renew: { method: 'GET', url: `${origin}/setrefresh?token=\${token}&fp=\${value:fp}`, query: {}, headers: {}, sendCookies: false },
    read: [{ target: { kind: 'token' }, from: { regex: TOKEN_REGEX } }],
    expiry: { from: 'jwt' },
    ends: { status: [401] },
    serve: 'token',
    ...over,
  };
}

/** Renewals that should succeed get a limit no slow machine reaches; the time-limit tests pass TIMEOUT_MS. */
function source(declaration: EndpointDeclaration, timeoutMs = 10_000): EndpointSource {
  return new EndpointSource({ label: 'Test Service', declaration, fetch, timeoutMs });
}

const cookieValues = (json: JsonSessionService): EndpointValues => ({ values: {}, cookies: { sid: { value: json.current().sid } } });
const htmlValues = (html: HtmlSessionService): EndpointValues => ({
  values: { token: html.current().token, fp: html.current().fp },
  cookies: {},
});

/** Secrets seen in a test: every message is checked against all of them. */
let secrets: string[] = [];
function secret(...values: string[]): void {
  secrets.push(...values.filter((v) => v.length >= 8));
}
function valuesOf(v: EndpointValues | undefined): string[] {
  return v ? [...Object.values(v.values), ...Object.values(v.cookies).map((c) => c.value)] : [];
}

/** Text safe to print in a failure: no secret, no control characters, short. */
function safe(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return JSON.stringify(out.slice(0, 300));
}

function assertClean(message: string): void {
  for (const s of secrets) assert.ok(!message.includes(s), `message holds a secret: ${safe(message)}`);
  assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(message), `message holds control characters: ${safe(message)}`);
  assert.ok(message.length < 400, `message too long: ${safe(message)}`);
}

/** The SessionKeeperError an operation rejects with, within BOUND_MS, its message clean. */
async function failure(run: () => Promise<unknown>, bound = BOUND_MS): Promise<{ err: SessionKeeperError; ms: number }> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    run().then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, err }),
    ),
    new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), bound))),
  ]);
  clearTimeout(timer);
  const ms = Date.now() - start;
  assert.notEqual(outcome, 'timeout', `did not settle within ${bound} ms`);
  if (outcome === 'timeout' || outcome.ok) assert.fail('expected a failure, got success');
  const err = outcome.err;
  assert.ok(err instanceof SessionKeeperError, `not a SessionKeeperError: ${safe(String(err))}`);
  assertClean(err.message);
  return { err, ms };
}

async function transient(run: () => Promise<unknown>, code: ErrorCode): Promise<SessionKeeperError> {
  const { err } = await failure(run);
  assert.equal(err.code, code, safe(err.message));
  assert.equal(err.transient, true);
  return err;
}

function near(actual: number | undefined, expected: number, slackMs = 10_000): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= slackMs, `${actual} is not near ${expected}`);
}

describe('endpoint sessions', function () {
  let json: JsonSessionService;
  let html: HtmlSessionService;
  let other: JsonSessionService;

  beforeEach(async () => {
    secrets = [];
    json = await startJsonSessionService({ lifetimeS: 1800, cookieMaxAgeS: 7200 });
    html = await startHtmlSessionService({ lifetimeS: 900 });
    other = await startJsonSessionService();
    secret(json.current().sid, json.current().token, html.current().token, html.current().fp);
  });

  afterEach(async () => {
    await Promise.all([json.close(), html.close(), other.close()]);
  });

  describe('the JSON service with a rotating cookie', () => {
    it('renews with the pasted sid, stores the rotated one, serves the new token, and the old sid is dead', async () => {
      const s = source(jsonDeclaration(json.url));
      const pasted = cookieValues(json);
      const before = Date.now();
      const first = await s.renewValues(pasted);
      secret(...valuesOf(first.endpoint));
      assert.equal(json.stats.renewals, 1);
      assert.equal(json.stats.requests[0].method, 'POST');
      assert.equal(json.stats.requests[0].cookies.sid, pasted.cookies.sid.value);
      assert.equal(first.accessToken, json.current().token);
      assert.equal(first.tokenType, 'Bearer');
      assert.equal(first.endpoint!.values.token, json.current().token);
      assert.equal(first.endpoint!.cookies.sid.value, json.current().sid);
      assert.notEqual(first.endpoint!.cookies.sid.value, pasted.cookies.sid.value);
      near(first.endpoint!.cookies.sid.expiresAt, before + 7200_000);
      near(first.expiresAt, before + 1800_000);

      const second = await s.renewValues(first.endpoint!);
      secret(...valuesOf(second.endpoint));
      assert.equal(json.stats.renewals, 2);
      assert.equal(second.accessToken, json.current().token);
      assert.notEqual(second.accessToken, first.accessToken);

      const { err } = await failure(() => s.renewValues(pasted));
      assert.equal(err.code, ErrorCode.GrantRevoked);
      assert.equal(err.transient, false);
      assert.equal(err.message, 'Test Service ended the session (HTTP 401). Sign in again.');
    });

    it('renew() reads the session the store holds, and refuses an account bound elsewhere without a request', async () => {
      const s = source(jsonDeclaration(json.url));
      const session = { ...storedSession(), endpoint: cookieValues(json) } as StoredSession;
      const done = await s.renew(session, account(json.url));
      secret(...valuesOf(done.endpoint));
      assert.equal(done.accessToken, json.current().token);
      assert.equal(s.origin, json.url);

      const elsewhere = await transient(
        () => s.renew({ ...session, endpoint: done.endpoint }, account(other.url)),
        ErrorCode.InvalidConfiguration,
      );
      assert.match(elsewhere.message, /another address/);
      assert.equal(json.stats.requests.length, 1);

      const { err } = await failure(() => s.renew(storedSession(), account(json.url)));
      assert.equal(err.code, ErrorCode.GrantRevoked);
      assert.equal(json.stats.requests.length, 1);
    });

    it('a header that cannot carry a value is refused before anything is sent', async () => {
      const declaration = jsonDeclaration(json.url, { renew: { ...jsonDeclaration(json.url).renew, headers: { 'X-Fp': '${value:fp}' } } });
      const err = await transient(
        () => source(declaration).renewValues({ values: { fp: 'fingerprint-€-value' }, cookies: cookieValues(json).cookies }),
        ErrorCode.InvalidConfiguration,
      );
      assert.match(err.message, /X-Fp/);
      assert.ok(!err.message.includes('fingerprint'));
      assert.equal(json.stats.requests.length, 0);
    });

    it('sends method, query, headers, a JSON body and cookies as declared, each placeholder substituted', async () => {
      secret('tokA1234567890');
      const declaration = jsonDeclaration(json.url, {
        renew: {
          method: 'PUT',
          url: `${json.url}/session/\${value:fp}?fixed=1`,
          query: { fp: '${value:fp}', both: '${token}-${cookie:theme}' },
          headers: { Authorization: 'Bearer ${token}', 'X-Fp': '${value:fp}' },
          body: { session: { sid: '${cookie:sid}', list: ['${value:fp}', 'literal'] }, n: 3, yes: true, none: null },
          sendCookies: true,
        },
      });
      const s = source(declaration);
      const ascii: EndpointValues = {
        values: { token: 'tokA1234567890', fp: 'fp value&with=odd/chars' },
        cookies: { sid: { value: json.current().sid }, theme: { value: 'dark' } },
      };
      const done = await s.renewValues(ascii);
      secret(...valuesOf(done.endpoint));
      const req = json.stats.requests[0];
      assert.equal(req.method, 'PUT');
      const url = new URL(req.url, json.url);
      assert.equal(url.pathname, `/session/${encodeURIComponent('fp value&with=odd/chars')}`);
      assert.equal(url.searchParams.get('fixed'), '1');
      assert.equal(url.searchParams.get('fp'), 'fp value&with=odd/chars');
      assert.equal(url.searchParams.get('both'), 'tokA1234567890-dark');
      assert.ok(!req.url.includes(' '), 'query values are URL-encoded');
      assert.equal(req.headers.authorization, 'Bearer tokA1234567890');
      assert.equal(req.headers['x-fp'], 'fp value&with=odd/chars');
      assert.equal(req.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(req.body), {
        session: { sid: ascii.cookies.sid.value, list: ['fp value&with=odd/chars', 'literal'] },
        n: 3,
        yes: true,
        none: null,
      });
      assert.equal(req.headers.cookie, `sid=${ascii.cookies.sid.value}; theme=dark`);
      // Values kept: fp and the theme cookie were not in the answer.
      assert.equal(done.endpoint!.values.fp, 'fp value&with=odd/chars');
      assert.equal(done.endpoint!.cookies.theme.value, 'dark');
    });

    it('sends a text body with its own content type, the whole cookie header, and no Cookie header when sendCookies is off', async () => {
      const current = cookieValues(json);
      const declaration = jsonDeclaration(json.url, {
        renew: {
          method: 'PATCH',
          url: `${json.url}/session`,
          query: {},
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: '${cookies}' },
          body: 'sid=${cookie:sid}&all=${cookies}',
          sendCookies: false,
        },
      });
      await source(declaration).renewValues(current);
      const req = json.stats.requests[0];
      assert.equal(req.method, 'PATCH');
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(req.body, `sid=${current.cookies.sid.value}&all=sid=${current.cookies.sid.value}`);
      assert.equal(req.headers.cookie, `sid=${current.cookies.sid.value}`, 'the declared Cookie header only, once');

      json.mode({ kind: 'normal' });
      const noCookies = jsonDeclaration(json.url, { renew: { ...jsonDeclaration(json.url).renew, sendCookies: false } });
      await assert.rejects(source(noCookies).renewValues({ values: {}, cookies: { sid: { value: json.current().sid } } }), {
        code: ErrorCode.GrantRevoked,
      });
      assert.equal(json.stats.requests[1].headers.cookie, undefined);
    });

    it('a placeholder without a value is an error naming it and its field, and nothing is sent', async () => {
      const declaration = jsonDeclaration(json.url, {
        renew: { ...jsonDeclaration(json.url).renew, headers: { 'X-Csrf': '${value:csrf}' } },
      });
      const err = await transient(() => source(declaration).renewValues(cookieValues(json)), ErrorCode.InvalidConfiguration);
      assert.match(err.message, /\$\{value:csrf\}/);
      assert.match(err.message, /renew\.headers\.X-Csrf/);
      assert.equal(json.stats.requests.length, 0);
    });

    it('reads values by JSON pointer, with ~0 and ~1 escapes, array indexes and numbers', async () => {
      const declaration = jsonDeclaration(json.url, {
        read: [
          { target: { kind: 'token' }, from: { json: '/token' } },
          { target: { kind: 'value', name: 'csrf' }, from: { json: '/a~1b/m~0n' } },
          { target: { kind: 'value', name: 'second' }, from: { json: '/items/1/id' } },
          { target: { kind: 'value', name: 'count' }, from: { json: '/count' } },
        ],
      });
      const done = await source(declaration).renewValues({
        values: { csrf: 'old-csrf-value', keep: 'kept-value' },
        cookies: cookieValues(json).cookies,
      });
      secret(...valuesOf(done.endpoint));
      const token = json.current().token;
      assert.deepEqual(done.endpoint!.values, { csrf: `csrf-${token}`, keep: 'kept-value', token, second: `second-${token}`, count: '42' });
    });

    it('Set-Cookie rotates, adds, and deletes cookies (Max-Age wins over Expires; Max-Age=0 or a past Expires deletes)', async () => {
      const past = new Date(Date.now() - DAY).toUTCString();
      const future = new Date(Date.now() + 3 * DAY).toUTCString();
      json.setExtraCookies([
        'old=; Max-Age=0; Path=/',
        `gone=x; Expires=${past}`,
        `keep=kept123; Expires=${future}`,
        `both=bothvalue; Max-Age=60; Expires=${future}`,
        'plain=session-cookie',
      ]);
      const current: EndpointValues = {
        values: {},
        cookies: {
          sid: { value: json.current().sid },
          old: { value: 'old-cookie-value' },
          gone: { value: 'gone-cookie-value' },
          untouched: { value: 'u' },
        },
      };
      const before = Date.now();
      const done = await source(jsonDeclaration(json.url)).renewValues(current);
      secret(...valuesOf(done.endpoint));
      const cookies = done.endpoint!.cookies;
      assert.deepEqual(Object.keys(cookies).sort(), ['both', 'keep', 'plain', 'sid', 'untouched']);
      assert.equal(cookies.sid.value, json.current().sid);
      near(cookies.keep.expiresAt, Date.parse(future), 1000);
      near(cookies.both.expiresAt, before + 60_000, 5_000);
      assert.equal(cookies.plain.expiresAt, undefined);
      assert.equal(cookies.untouched.value, 'u');
    });

    describe('expiry', () => {
      const kinds: Array<[string, EndpointDeclaration['expiry'], number]> = [
        ['a JSON date', { from: 'json', pointer: '/expiresAt', as: 'date' }, 1800_000],
        ['JSON seconds', { from: 'json', pointer: '/expiresIn', as: 'seconds' }, 1800_000],
        ['JSON seconds as a string', { from: 'json', pointer: '/expiresInText', as: 'seconds' }, 1800_000],
        ['JSON epoch seconds', { from: 'json', pointer: '/expiresAtEpoch', as: 'epochSeconds' }, 1800_000],
        ['JSON epoch milliseconds', { from: 'json', pointer: '/expiresAtMillis', as: 'epochMillis' }, 1800_000],
        ['the Max-Age of a cookie', { from: 'cookie', name: 'sid' }, 7200_000],
        ['a fixed lifetime', { from: 'fixed', seconds: 600 }, 600_000],
        ['a fixed lifetime of ten years, capped at 366 days', { from: 'fixed', seconds: 10 * 365 * 86_400 }, 366 * DAY],
      ];
      for (const [name, expiry, lifetime] of kinds) {
        it(`from ${name}`, async () => {
          const before = Date.now();
          const done = await source(jsonDeclaration(json.url, { expiry })).renewValues(cookieValues(json));
          secret(...valuesOf(done.endpoint));
          near(done.expiresAt, before + lifetime);
        });
      }

      it("from the stored cookie's expiry when the answer does not set that cookie", async () => {
        const at = Date.now() + 5 * DAY;
        const current: EndpointValues = {
          values: {},
          cookies: { ...cookieValues(json).cookies, remember: { value: 'remember-me-value', expiresAt: at } },
        };
        const done = await source(jsonDeclaration(json.url, { expiry: { from: 'cookie', name: 'remember' } })).renewValues(current);
        secret(...valuesOf(done.endpoint));
        assert.equal(done.expiresAt, at);
      });

      const unusable: Array<[string, EndpointDeclaration['expiry'], RegExp]> = [
        ['a missing field', { from: 'json', pointer: '/nothing', as: 'seconds' }, /JSON pointer \/nothing/],
        ['a date that is a number', { from: 'json', pointer: '/expiresIn', as: 'date' }, /JSON pointer \/expiresIn/],
        ['a time in the past', { from: 'json', pointer: '/count', as: 'epochSeconds' }, /JSON pointer \/count/],
        ['a token that is not a JWT', { from: 'jwt' }, /JWT/],
        ['a cookie the session does not have', { from: 'cookie', name: 'absent' }, /cookie absent/],
      ];
      for (const [name, expiry, names] of unusable) {
        it(`is a transient error naming expiry for ${name}`, async () => {
          const err = await transient(
            () => source(jsonDeclaration(json.url, { expiry })).renewValues(cookieValues(json)),
            ErrorCode.InvalidResponse,
          );
          secret(json.current().sid, json.current().token);
          assertClean(err.message);
          assert.match(err.message, /expiry/);
          assert.match(err.message, names);
        });
      }
    });

    it('serves a Cookie header of all current cookies when told to', async () => {
      const current: EndpointValues = { values: {}, cookies: { ...cookieValues(json).cookies, lang: { value: 'en' } } };
      const done = await source(jsonDeclaration(json.url, { serve: 'cookies', read: [] })).renewValues(current);
      secret(...valuesOf(done.endpoint));
      assert.equal(done.tokenType, 'Cookie');
      assert.equal(done.accessToken, `sid=${json.current().sid}; lang=en`);
      assert.equal(done.endpoint!.values.token, undefined);
    });

    it('a declared status ends the session; an undeclared 4xx is transient', async () => {
      json.mode({ kind: 'end', status: 403 });
      const ended = await failure(() =>
        source(jsonDeclaration(json.url, { ends: { status: [401, 403] } })).renewValues(cookieValues(json)),
      );
      assert.equal(ended.err.code, ErrorCode.GrantRevoked);
      assert.equal(ended.err.message, 'Test Service ended the session (HTTP 403). Sign in again.');

      const notDeclared = await transient(
        () => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)),
        ErrorCode.InvalidResponse,
      );
      assert.match(notDeclared.message, /HTTP 403/);
      assert.match(notDeclared.message, new RegExp(new URL(json.url).host.replace(/\./g, '\\.')));
    });

    it('a body matching the end pattern ends the session whatever the status', async () => {
      json.mode({ kind: 'end', body: '{"error":"login_required","hint":"do sign in"}' });
      const declaration = jsonDeclaration(json.url, {
        ends: { status: [401], body: Pattern.compile('"error"\\s*:\\s*"login_required"', '') },
      });
      for (let i = 0; i < 2; i++) {
        // Twice: a pattern must not remember where it stopped.
        const { err } = await failure(() => source(declaration).renewValues(cookieValues(json)));
        assert.equal(err.code, ErrorCode.GrantRevoked);
        assert.equal(err.message, 'Test Service ended the session (HTTP 200). Sign in again.');
      }
    });
  });

  describe('the HTML service with a token and a fingerprint in the query', () => {
    it('renews by regex, takes the expiry from the JWT, and the old token is dead', async () => {
      const s = source(htmlDeclaration(html.url));
      const pasted = htmlValues(html);
      const first = await s.renewValues(pasted);
      secret(...valuesOf(first.endpoint));
      const exp = (JSON.parse(Buffer.from(first.accessToken.split('.')[1], 'base64url').toString()) as { exp: number }).exp;
      assert.equal(first.accessToken, html.current().token);
      assert.equal(first.expiresAt, exp * 1000);
      near(first.expiresAt, Date.now() + 900_000);
      assert.equal(first.endpoint!.values.fp, pasted.values.fp);
      const req = new URL(html.stats.requests[0].url, html.url);
      assert.equal(req.searchParams.get('token'), pasted.values.token);
      assert.equal(req.searchParams.get('fp'), pasted.values.fp);
      assert.equal(html.stats.requests[0].headers.cookie, undefined);

      const second = await s.renewValues(first.endpoint!);
      secret(...valuesOf(second.endpoint));
      assert.notEqual(second.accessToken, first.accessToken);

      const { err } = await failure(() => s.renewValues(pasted));
      assert.equal(err.code, ErrorCode.GrantRevoked);
      assert.equal(html.stats.renewals, 2);
    });

    it('a page without the token names the field and the regex; a JSON rule against a page says it is not JSON', async () => {
      html.mode({ kind: 'missing' });
      const byRegex = await transient(() => source(htmlDeclaration(html.url)).renewValues(htmlValues(html)), ErrorCode.InvalidResponse);
      assert.match(byRegex.message, /"token" \(read\.token, regex\)/);

      html.mode({ kind: 'normal' });
      const declaration = htmlDeclaration(html.url, { read: [{ target: { kind: 'value', name: 'csrf' }, from: { json: '/csrf' } }] });
      const notJson = await transient(() => source(declaration).renewValues(htmlValues(html)), ErrorCode.InvalidResponse);
      assert.match(notJson.message, /not JSON/);
      assert.match(notJson.message, /read\.value:csrf/);
      assert.ok(!notJson.message.includes('<'), 'no page text');
    });
  });

  describe('hostile answers and networks', () => {
    it('5xx and 429 are transient server errors with Retry-After', async () => {
      json.mode({ kind: 'status', status: 503, retryAfter: '120' });
      const err = await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.ServerError);
      assert.equal(err.retryAfterSeconds, 120);
      json.mode({ kind: 'status', status: 429 });
      await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.ServerError);
    });

    it('an answer over 1 MB is not read', async () => {
      json.mode({ kind: 'huge' });
      await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.ResponseTooLarge);
    });

    it('a redirect is not followed: the other origin gets nothing', async () => {
      for (const status of [301, 302, 303, 307, 308]) {
        json.mode({ kind: 'redirect', status, location: `${other.url}/session` });
        const err = await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.InvalidResponse);
        assert.match(err.message, new RegExp(`redirect \\(HTTP ${status}\\)`));
      }
      assert.equal(other.stats.requests.length, 0);
    });

    it('an unreachable port is a transient Unreachable naming the host', async () => {
      const closed = await startJsonSessionService();
      await closed.close();
      const err = await transient(() => source(jsonDeclaration(closed.url)).renewValues(cookieValues(json)), ErrorCode.Unreachable);
      assert.match(err.message, new RegExp(new URL(closed.url).host.replace(/\./g, '\\.')));
    });

    it('a reset connection is transient, and points at the renewal URL (an endpoint has no issuer)', async () => {
      json.mode({ kind: 'reset' });
      const { err } = await failure(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)));
      assert.equal(err.transient, true);
      assert.ok(err.network, err.code);
      assert.match(err.message, /Check the renewal URL \(renew\.url\) and your network\.$/);
      assert.doesNotMatch(err.message, /issuer/);
    });

    for (const kind of ['hang', 'hangBody'] as const) {
      it(`a service that ${kind === 'hang' ? 'never answers' : 'stops in the middle of its body'} times out within the time limit`, async () => {
        json.mode({ kind });
        const { err, ms } = await failure(() => source(jsonDeclaration(json.url), TIMEOUT_MS).renewValues(cookieValues(json)));
        assert.equal(err.code, ErrorCode.Timeout, safe(err.message));
        assert.equal(err.transient, true);
        assert.ok(ms >= TIMEOUT_MS - 50, `gave up after ${ms} ms, before its time limit`);
      });
    }

    it("the caller's signal cancels a renewal", async () => {
      json.mode({ kind: 'hang' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const { err } = await failure(() => source(jsonDeclaration(json.url), 5_000).renewValues(cookieValues(json), controller.signal));
      assert.equal(err.code, ErrorCode.Cancelled);
    });

    it('a token with a control character is refused, naming the field', async () => {
      json.mode({ kind: 'controlToken' });
      const a = await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.InvalidResponse);
      assert.match(a.message, /read\.token/);
      html.mode({ kind: 'controlToken' });
      const b = await transient(() => source(htmlDeclaration(html.url)).renewValues(htmlValues(html)), ErrorCode.InvalidResponse);
      assert.match(b.message, /read\.token/);
      secret(json.current().token, html.current().token, json.current().sid);
      assertClean(a.message);
      assertClean(b.message);
    });

    it('a Set-Cookie value with a control character is refused, naming the cookie', async () => {
      json.mode({ kind: 'controlCookie' });
      const err = await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.InvalidResponse);
      assert.match(err.message, /cookie sid/);
      secret(json.current().sid, json.current().token);
      assertClean(err.message);
    });

    it('an answer without the token names the field and the pointer', async () => {
      json.mode({ kind: 'missing' });
      const err = await transient(() => source(jsonDeclaration(json.url)).renewValues(cookieValues(json)), ErrorCode.InvalidResponse);
      assert.equal(err.message, 'Renewing Test Service: the answer has no "token" (read.token, JSON pointer /token).');
    });

    it('a 1 MB answer crafted against a pattern costs no more than one it matches at once (a linear-time engine)', async function () {
      this.timeout(60_000);
      // `(\d+) seconds` over digits with no " seconds" after them: a backtracking engine tries every
      // start and every length, n²/2 steps (about 5·10¹¹ here); a linear one reads the answer once.
      const digits = (n: number) => '7'.repeat(n);
      const size = 1024 * 1024 - 16;
      const cost = async (declaration: EndpointDeclaration, body: string) => {
        json.mode({ kind: 'end', body });
        return failure(() => source(declaration).renewValues(cookieValues(json)));
      };
      const cases = [
        {
          declaration: jsonDeclaration(json.url, {
            read: [{ target: { kind: 'token' }, from: { regex: Pattern.compile('(\\d+) seconds', '') } }],
          }),
          matched: { body: `${digits(size - 8)} seconds`, message: /longer than 16 KB/ },
          crafted: { body: digits(size), message: /has no "token"/ },
        },
        {
          // A repetition inside a repetition, which would be exponential there.
          declaration: jsonDeclaration(json.url, { ends: { status: [401], body: Pattern.compile('(\\d+)+ seconds left', '') } }),
          matched: { body: `${digits(size - 13)} seconds left`, message: /ended the session/ },
          crafted: { body: `${digits(size - 1)}!`, message: /not JSON/ },
        },
      ];
      for (const { declaration, matched, crafted } of cases) {
        // Both answers come over HTTP the same way; only the matching differs. The first run warms up.
        await cost(declaration, matched.body);
        const m = await cost(declaration, matched.body);
        const c = await cost(declaration, crafted.body);
        assert.match(m.err.message, matched.message);
        assert.match(c.err.message, crafted.message);
        // Linear: both cost about one reading of the answer. A backtracking engine spends ~n/2 (500 000)
        // times longer on the crafted one; 20 leaves room for any pause of a loaded machine.
        assert.ok(c.ms <= 20 * Math.max(m.ms, 1), `crafted ${c.ms} ms, matched ${m.ms} ms`);
      }
    });

    it('a value over 16 KB is refused', async () => {
      const declaration = jsonDeclaration(json.url, {
        read: [{ target: { kind: 'token' }, from: { regex: Pattern.compile('^([\\s\\S]*)$', '') } }],
      });
      json.mode({ kind: 'huge', bytes: 64 * 1024 });
      const err = await transient(() => source(declaration).renewValues(cookieValues(json)), ErrorCode.InvalidResponse);
      assert.match(err.message, /16 KB/);
    });

    it('no value, pasted, read or set, is in any message, and every one of them is redacted from the log', async () => {
      const s = source(htmlDeclaration(html.url));
      const pasted = htmlValues(html);
      const done = await s.renewValues(pasted);
      const all = [...valuesOf(done.endpoint), ...valuesOf(pasted)];
      secret(...all);
      for (const v of all) assert.ok(!redactor.redact(`log line ${v} end`).includes(v), 'a value reaches the log unmasked');
      const messages: string[] = [];
      for (const mode of [{ kind: 'missing' }, { kind: 'controlToken' }, { kind: 'status', status: 500 }, { kind: 'end' }] as const) {
        html.mode(mode);
        await s.renewValues(done.endpoint!).catch((err: Error) => messages.push(err.message));
      }
      assert.equal(messages.length, 4);
      for (const m of messages) assertClean(m);
    });
  });

  describe('reachable', () => {
    it('asks the origin with no session value and says whether it answered', async () => {
      const s = source(jsonDeclaration(json.url));
      assert.equal(await s.reachable(), true);
      const req = json.stats.requests[0];
      assert.equal(req.method, 'HEAD');
      assert.equal(req.url, '/');
      assert.equal(req.headers.cookie, undefined);
      assert.equal(req.headers.authorization, undefined);
      assert.equal(json.stats.renewals, 0);

      const closed = await startJsonSessionService();
      await closed.close();
      assert.equal(await source(jsonDeclaration(closed.url)).reachable(), false);
    });

    it('gives up on a silent origin within its time limit, without throwing', async () => {
      const silent = await silentServer();
      try {
        const start = Date.now();
        assert.equal(await source(jsonDeclaration(silent.url), 300).reachable(), false);
        assert.ok(Date.now() - start < BOUND_MS);
      } finally {
        await silent.close();
      }
    });
  });
});

function storedSession(): StoredSession {
  return {
    id: 'session-1',
    scopes: [],
    accessToken: 'unused-access',
    tokenType: 'Bearer',
    createdAt: Date.now(),
    refresh: freshRefreshState(true),
  };
}

function account(origin: string): StoredAccount {
  return {
    v: 2,
    kind: 'endpoint',
    providerId: 'svc',
    issuer: origin,
    clientId: 'endpoint',
    account: { id: 'a', label: 'A' },
    sessions: [],
    generation: 1,
  };
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
