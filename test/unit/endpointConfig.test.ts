import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeProblem, parseProviders, type ConfigProblem } from '../../src/session/config';
import {
  ENDPOINT_FIELDS,
  isEndpointProblem,
  parseEndpointDeclaration,
  type EndpointProblem,
} from '../../src/session/kinds/endpoint/settings';
import { ENDPOINT_CLIENT_ID, type EndpointDeclaration } from '../../src/session/kinds/endpoint/declaration';

type Entry = Record<string, unknown>;

// The JSON service: a cookie session whose renewal answers with a token and its expiry date.
const jsonService: Entry = {
  kind: 'endpoint',
  id: 'jsonsvc',
  label: 'JSON service',
  inputs: ['cookies'],
  renew: { method: 'POST', url: 'http://127.0.0.1:8123/session' },
  read: { token: { json: '/token' } },
  expiry: { json: '/expiresAt', as: 'date' },
  serve: 'token',
};

// The HTML service: a token and a device fingerprint in the query, the new token in the page's script.
const htmlService: Entry = {
  kind: 'endpoint',
  id: 'htmlsvc',
  inputs: ['token', 'value:fingerprint'],
  renew: { method: 'GET', url: 'https://app.example.com/home', query: { token: '${token}', fp: '${value:fingerprint}' } },
  read: { token: { regex: 'localStorage\\.setItem\\("token",\\s*"([^"]+)"\\)' } },
  expiry: { jwt: true },
  ends: { status: [401], body: 'session expired' },
};

const minimal: Entry = {
  kind: 'endpoint',
  id: 'svc',
  inputs: ['token'],
  renew: { url: 'https://svc.example.com/renew' },
  expiry: { seconds: 3600 },
};

function ok(entry: Entry): EndpointDeclaration {
  const result = parseEndpointDeclaration(entry);
  assert.ok(!isEndpointProblem(result), `unexpected problem: ${JSON.stringify(result)}`);
  return result;
}

function problem(entry: Entry): EndpointProblem {
  const result = parseEndpointDeclaration(entry);
  assert.ok(isEndpointProblem(result), 'expected a problem');
  return result;
}

/** The one problem parseProviders reports for this entry, checked to name the entry and its field. */
function reported(entry: Entry, field: string, message?: RegExp): ConfigProblem {
  const { providers, problems } = parseProviders([entry]);
  assert.equal(providers.length, 0);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0].field, field, problems[0].message);
  const text = describeProblem(problems[0]);
  assert.ok(text.startsWith(`Identity provider "${String(entry.id)}": ${field}: `), text);
  if (message) assert.match(problems[0].message, message);
  return problems[0];
}

const withRenew = (renew: Entry, rest: Entry = {}): Entry => ({
  ...minimal,
  ...rest,
  renew: { url: 'https://svc.example.com/renew', ...renew },
});

describe('endpoint provider configuration', () => {
  describe('the two example services', () => {
    it('a JSON service: cookies in, a token and its expiry date out', () => {
      const { providers, problems } = parseProviders([jsonService]);
      assert.deepEqual(problems, []);
      assert.deepEqual(providers[0], {
        kind: 'endpoint',
        id: 'jsonsvc',
        label: 'JSON service',
        issuer: 'http://127.0.0.1:8123',
        clientId: ENDPOINT_CLIENT_ID,
        scopes: [],
        authorizationParameters: {},
        endpoint: {
          inputs: [{ kind: 'cookies' }],
          renew: { method: 'POST', url: 'http://127.0.0.1:8123/session', query: {}, headers: {}, sendCookies: true },
          read: [{ target: { kind: 'token' }, from: { json: '/token' } }],
          expiry: { from: 'json', pointer: '/expiresAt', as: 'date' },
          ends: { status: [401] },
          serve: 'token',
        },
      });
    });

    it('an HTML service: token and fingerprint in the query, the new token read from the page, its expiry from the JWT', () => {
      const { providers, problems } = parseProviders([htmlService]);
      assert.deepEqual(problems, []);
      const p = providers[0];
      assert.equal(p.label, 'htmlsvc');
      assert.equal(p.issuer, 'https://app.example.com');
      const d = p.endpoint!;
      assert.deepEqual(d.inputs, [{ kind: 'token' }, { kind: 'value', name: 'fingerprint' }]);
      assert.deepEqual(d.renew.query, { token: '${token}', fp: '${value:fingerprint}' });
      assert.equal(d.renew.method, 'GET');
      const rule = d.read[0];
      assert.ok('regex' in rule.from);
      assert.equal(rule.from.regex.capture('<script>localStorage.setItem("token", "abc.def")</script>'), 'abc.def');
      assert.deepEqual(d.expiry, { from: 'jwt' });
      assert.deepEqual(d.ends.status, [401]);
      assert.ok(d.ends.body?.test('Your session expired.'));
      assert.equal(d.serve, 'token');
    });
  });

  describe('the setting', () => {
    it('an OAuth entry gets kind "oauth"; "kind": "oauth" is the same as none', () => {
      const oauth = { id: 'corp', issuer: 'https://login.example.com', clientId: 'vscode' };
      const { providers } = parseProviders([oauth, { ...oauth, id: 'corp2', kind: 'oauth' }]);
      assert.deepEqual(
        providers.map((p) => [p.kind, p.endpoint]),
        [
          ['oauth', undefined],
          ['oauth', undefined],
        ],
      );
    });

    it('rejects an unknown kind, and "renew" without "kind"', () => {
      const { problems } = parseProviders([
        { ...minimal, kind: 'saml' },
        { ...minimal, kind: undefined },
      ]);
      assert.match(describeProblem(problems[0]), /^Identity provider "svc": "kind" must be "oauth" .* or "endpoint"/);
      assert.match(problems[1].message, /add "kind": "endpoint"/);
    });

    it('one bad endpoint entry leaves a good OAuth entry and a good endpoint entry working', () => {
      const { providers, problems } = parseProviders([
        { id: 'corp', issuer: 'https://login.example.com', clientId: 'vscode' },
        { ...htmlService, id: 'broken', renew: { url: 'ftp://files.example.com/' } },
        jsonService,
      ]);
      assert.deepEqual(
        providers.map((p) => [p.id, p.kind]),
        [
          ['corp', 'oauth'],
          ['jsonsvc', 'endpoint'],
        ],
      );
      assert.equal(problems.length, 1);
      assert.equal(problems[0].index, 1);
      assert.match(describeProblem(problems[0]), /^Identity provider "broken": renew\.url: must use https/);
    });

    it('endpoint and OAuth entries share the rules for ids', () => {
      const { providers, problems } = parseProviders([jsonService, { ...minimal, id: 'JSONSVC' }, { ...minimal, id: 'bad id' }]);
      assert.equal(providers.length, 1);
      assert.match(problems[0].message, /used by an earlier entry/);
      assert.match(problems[1].message, /"id" must be/);
    });

    it('parseEndpointDeclaration answers the declaration, or one problem: its field and a message', () => {
      assert.deepEqual(Object.keys(ok(minimal)).sort(), ['ends', 'expiry', 'inputs', 'read', 'renew', 'serve']);
      const p = problem({ ...minimal, inputs: ['token'], renew: { url: 'http://svc.example.com/' }, expiry: undefined });
      assert.deepEqual(Object.keys(p).sort(), ['field', 'message']);
      assert.equal(p.field, 'renew.url');
    });

    it('names unknown fields of the entry and of renew, read rules, expiry and ends', () => {
      reported({ ...minimal, issuer: 'https://x.example.com' }, 'issuer', /unknown field/);
      reported(withRenew({ headres: {} }), 'renew.headres', /unknown field; the fields here are method, url/);
      reported({ ...minimal, read: { token: { json: '/t', regexp: 'x' } } }, 'read.token.regexp', /unknown field/);
      reported({ ...minimal, expiry: { seconds: 60, unit: 's' } }, 'expiry.unit', /unknown field/);
      reported({ ...minimal, ends: { statuses: [401] } }, 'ends.statuses', /unknown field/);
    });
  });

  describe('inputs', () => {
    it('accepts token, cookies, cookie:<name> and value:<name>, in order', () => {
      const d = ok({ ...minimal, inputs: ['cookies', 'cookie:__Host-sid', 'value:device.id', 'token'] });
      assert.deepEqual(d.inputs, [
        { kind: 'cookies' },
        { kind: 'cookie', name: '__Host-sid' },
        { kind: 'value', name: 'device.id' },
        { kind: 'token' },
      ]);
    });

    it('must be a non-empty array of known, unique, well-named inputs', () => {
      reported({ ...minimal, inputs: undefined }, 'inputs');
      reported({ ...minimal, inputs: [] }, 'inputs');
      reported({ ...minimal, inputs: 'token' }, 'inputs');
      reported({ ...minimal, inputs: ['token', 7] }, 'inputs[1]');
      reported({ ...minimal, inputs: ['token', 'password'] }, 'inputs[1]', /"password" is not an input/);
      reported({ ...minimal, inputs: ['token', 'token'] }, 'inputs[1]', /listed twice/);
      reported({ ...minimal, inputs: ['token', 'cookie:'] }, 'inputs[1]', /cookie name/);
      reported({ ...minimal, inputs: ['token', 'cookie:a=b'] }, 'inputs[1]', /cookie name/);
      reported({ ...minimal, inputs: ['token', 'cookie:$Version'] }, 'inputs[1]', /cookie name/);
      reported({ ...minimal, inputs: ['token', `value:${'x'.repeat(65)}`] }, 'inputs[1]', /value name/);
      reported({ ...minimal, inputs: ['token', 'value:a b'] }, 'inputs[1]', /value name/);
      reported({ ...minimal, inputs: ['value:token'] }, 'inputs[0]', /cannot be named "token"/);
    });

    it('cookie names may use the RFC 6265 token characters other than "$"', () => {
      assert.deepEqual(ok({ ...minimal, inputs: ['token', "cookie:a!#%&'*+.^_`|~-9"] }).inputs[1], {
        kind: 'cookie',
        name: "a!#%&'*+.^_`|~-9",
      });
    });
  });

  describe('renew', () => {
    it('is required, with a URL', () => {
      reported({ ...minimal, renew: undefined }, 'renew');
      reported({ ...minimal, renew: {} }, 'renew.url', /is required/);
      reported(withRenew({ url: 'not a url' }), 'renew.url', /absolute URL/);
    });

    it('the URL: https, or http on loopback only; no user, password or fragment', () => {
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://[::1]:8080/x', 'https://svc.example.com']) {
        assert.equal(ok(withRenew({ url })).renew.url, url);
      }
      reported(withRenew({ url: 'http://svc.example.com/renew' }), 'renew.url', /must use https/);
      reported(withRenew({ url: 'ftp://svc.example.com/renew' }), 'renew.url', /must use https/);
      reported(withRenew({ url: 'https://me:pw@svc.example.com/renew' }), 'renew.url', /user name or password/);
      reported(withRenew({ url: 'https://svc.example.com/renew#top' }), 'renew.url', /fragment/);
      reported(withRenew({ url: 'https://svc.example.com/renew#' }), 'renew.url', /fragment/);
      reported(withRenew({ url: 'https://svc.example.com/re\nnew' }), 'renew.url', /control character/);
    });

    it("the URL: no plain http to 127.0.0.1 where that is a remote server, not the user's computer", () => {
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://[::1]:8080/x']) {
        const { problems } = parseProviders([withRenew({ url })], false);
        assert.equal(problems[0]?.field, 'renew.url');
        assert.match(problems[0].message, /must use https here: Session Keeper runs on a remote server .*allowLoopbackHttp/);
      }
      assert.equal(parseProviders([withRenew({ url: 'https://127.0.0.1:9/x' })], false).problems.length, 0);
    });

    it('the URL: placeholders in the path and query, never in the scheme, host, port or user', () => {
      const url = 'https://svc.example.com/u/${value:user}/renew?t=${token}';
      assert.equal(ok(withRenew({ url }, { inputs: ['token', 'value:user'] })).renew.url, url);
      reported(
        withRenew({ url: 'https://${value:host}.example.com/' }, { inputs: ['token', 'value:host'] }),
        'renew.url',
        /not in the scheme, host/,
      );
      reported(withRenew({ url: 'https://svc.example.com:${value:port}/' }, { inputs: ['token', 'value:port'] }), 'renew.url');
      reported(withRenew({ url: '${value:scheme}://svc.example.com/' }, { inputs: ['token', 'value:scheme'] }), 'renew.url');
      reported(withRenew({ url: 'https://${token}@svc.example.com/' }), 'renew.url', /path and query only/);
      assert.equal(
        ok(withRenew({ url: 'https://svc.example.com/renew?at=me@${token}' })).renew.url,
        'https://svc.example.com/renew?at=me@${token}',
      );
      reported(withRenew({ url: 'https://me@svc.example.com/renew' }), 'renew.url', /user name/);
    });

    it('the issuer is the origin of the renewal URL', () => {
      const { providers } = parseProviders([withRenew({ url: 'https://svc.example.com:8443/a/b?c=d' })]);
      assert.equal(providers[0].issuer, 'https://svc.example.com:8443');
    });

    it('method: GET, POST, PUT or PATCH, any case; POST with a body, else GET', () => {
      assert.equal(ok(withRenew({})).renew.method, 'GET');
      assert.equal(ok(withRenew({ body: 'x' })).renew.method, 'POST');
      assert.equal(ok(withRenew({ method: 'patch', body: { a: 1 } })).renew.method, 'PATCH');
      assert.equal(ok(withRenew({ method: 'Put' })).renew.method, 'PUT');
      assert.equal(ok(withRenew({ method: 'post' })).renew.method, 'POST');
      reported(withRenew({ method: 'DELETE' }), 'renew.method');
      reported(withRenew({ method: 1 }), 'renew.method');
      reported(withRenew({ method: 'GET', body: 'x' }), 'renew.body', /GET request cannot have a body/);
    });

    it('query and headers: objects of strings, valid header names, no control characters', () => {
      const d = ok(withRenew({ query: { a: 'b' }, headers: { 'X-Api-Key': 'k', Authorization: 'Bearer ${token}' } }));
      assert.deepEqual(d.renew.query, { a: 'b' });
      assert.deepEqual(d.renew.headers, { 'X-Api-Key': 'k', Authorization: 'Bearer ${token}' });
      reported(withRenew({ query: 'a=b' }), 'renew.query');
      reported(withRenew({ query: { a: 1 } }), 'renew.query.a', /must be a string/);
      reported(withRenew({ query: { '': 'x' } }), 'renew.query.""');
      reported(withRenew({ query: { '${token}': 'x' } }), 'renew.query.${token}', /values only/);
      reported(withRenew({ headers: ['a'] }), 'renew.headers');
      reported(withRenew({ headers: { 'Bad Name': 'x' } }), 'renew.headers.Bad Name', /HTTP header name/);
      reported(withRenew({ headers: { 'X-A': 'one\r\nX-Injected: two' } }), 'renew.headers.X-A', /control character/);
      reported(withRenew({ headers: { 'X-A': 'tab\there' } }), 'renew.headers.X-A', /control character/);
      reported(withRenew({ headers: { 'X-A': 'a', 'x-a': 'b' } }), 'renew.headers.x-a', /set twice/);
      reported(withRenew({ headers: { Host: 'evil.example' } }), 'renew.headers.Host', /set by the HTTP client/);
      reported(withRenew({ headers: { 'Content-Length': '0' } }), 'renew.headers.Content-Length', /set by the HTTP client/);
      reported(withRenew({ query: { a: 'x\u0000' } }), 'renew.query.a', /control character/);
    });

    it('never quotes a header value in a message', () => {
      const secret = 'sk_live_abcdefghijklmnopqrstuvwxyz0123';
      const p = reported(withRenew({ headers: { 'X-Key': `${secret}\n` } }), 'renew.headers.X-Key');
      assert.ok(!describeProblem(p).includes(secret));
      const q = reported(
        withRenew({ headers: { 'X-Key': `${secret}\${nope}` } }),
        'renew.headers.X-Key',
        /unknown placeholder "\$\{nope\}"/,
      );
      assert.ok(!describeProblem(q).includes(secret));
    });

    it('body: a text or an object, placeholders checked down to nested values', () => {
      assert.equal(ok(withRenew({ body: 'grant=${token}' })).renew.body, 'grant=${token}');
      const body = { a: { b: ['${token}', 1, null, true] } };
      assert.deepEqual(ok(withRenew({ body })).renew.body, body);
      assert.equal(ok(withRenew({})).renew.body, undefined);
      assert.equal('body' in ok(withRenew({})).renew, false);
      reported(withRenew({ body: 3 }), 'renew.body', /text, or an object/);
      reported(withRenew({ body: ['${token}'] }), 'renew.body', /text, or an object/);
      reported(withRenew({ body: { a: { b: ['x', '${cookie:sid}'] } } }), 'renew.body.a.b[1]', /needs the cookie "sid"/);
      reported(withRenew({ body: 'line\nbreak' }), 'renew.body', /control character/);
    });

    it('sendCookies: true by default, false when headers set Cookie, and never both', () => {
      assert.equal(ok(withRenew({})).renew.sendCookies, true);
      assert.equal(ok(withRenew({ headers: { cookie: 'a=1' } })).renew.sendCookies, false);
      assert.equal(ok(withRenew({ sendCookies: false })).renew.sendCookies, false);
      reported(withRenew({ sendCookies: 'yes' }), 'renew.sendCookies');
      reported(withRenew({ headers: { Cookie: 'a=1' }, sendCookies: true }), 'renew.sendCookies', /two Cookie headers/);
    });
  });

  describe('placeholders', () => {
    const only = (inputs: string[], template: string, read?: Entry) =>
      withRenew({ headers: { 'X-T': template } }, { inputs, ...(read && { read }), expiry: { seconds: 60 }, serve: undefined });

    it('${token}: from inputs or read.token', () => {
      ok(only(['token'], '${token}'));
      ok(only(['cookies'], '${token}', { token: { json: '/t' } }));
      reported(only(['cookies'], 'Bearer ${token}'), 'renew.headers.X-T', /"\$\{token\}" needs a token/);
    });

    it('${value:<name>}: from inputs or read["value:<name>"]', () => {
      ok(only(['token', 'value:fp'], '${value:fp}'));
      ok(only(['token'], '${value:fp}', { 'value:fp': { json: '/fp' } }));
      reported(only(['token', 'value:fp'], '${value:other}'), 'renew.headers.X-T', /needs the value "other": list "value:other"/);
    });

    it('${cookie:<name>}: from cookie:<name> or cookies; ${cookies}: from any cookie input', () => {
      ok(only(['cookie:sid'], '${cookie:sid}'));
      ok(only(['cookies'], '${cookie:sid}'));
      ok(only(['cookie:sid'], '${cookies}'));
      ok(only(['cookies'], '${cookies}'));
      reported(only(['token', 'cookie:a'], '${cookie:sid}'), 'renew.headers.X-T', /needs the cookie "sid"/);
      reported(only(['token'], '${cookies}'), 'renew.headers.X-T', /needs cookies/);
    });

    it('anything else in ${...} is an unknown placeholder; a lone $ is text', () => {
      ok(only(['token'], 'costs $5 ${token} $ {x} $token'));
      reported(only(['token'], '${access_token}'), 'renew.headers.X-T', /unknown placeholder "\$\{access_token\}"/);
      reported(only(['token'], '${ token }'), 'renew.headers.X-T', /unknown placeholder/);
      reported(only(['token'], '${value:}'), 'renew.headers.X-T', /unknown placeholder/);
      reported(only(['token'], '${env:HOME}'), 'renew.headers.X-T', /unknown placeholder/);
      reported(only(['token'], 'x ${token'), 'renew.headers.X-T', /not closed/);
      const long = reported(only(['token'], `\${${'y'.repeat(500)}}`), 'renew.headers.X-T', /unknown placeholder/);
      assert.ok(long.message.length < 300);
    });

    it('are checked in the URL, query values, header values and body', () => {
      reported(withRenew({ url: 'https://svc.example.com/${nope}' }), 'renew.url', /unknown placeholder/);
      reported(withRenew({ query: { q: '${nope}' } }), 'renew.query.q', /unknown placeholder/);
      reported(withRenew({ headers: { H: '${nope}' } }), 'renew.headers.H', /unknown placeholder/);
      reported(withRenew({ body: '${nope}' }), 'renew.body', /unknown placeholder/);
      reported(withRenew({ body: { k: '${nope}' } }), 'renew.body.k', /unknown placeholder/);
    });
  });

  describe('read', () => {
    it('reads token and value:<name> with a JSON pointer or a regex with one group and flags', () => {
      const d = ok({
        ...minimal,
        read: { token: { json: '' }, 'value:fp': { regex: 'fp=(\\w+)(?:;|$)', flags: 'im' }, 'value:p': { json: '/a~1b/c~0d' } },
      });
      assert.deepEqual(d.read[0], { target: { kind: 'token' }, from: { json: '' } });
      const fp = d.read[1].from;
      assert.ok('regex' in fp);
      assert.equal(fp.regex.flags, 'im');
      assert.deepEqual(d.read[1].target, { kind: 'value', name: 'fp' });
      assert.deepEqual(d.read[2].from, { json: '/a~1b/c~0d' });
    });

    it('refuses cookies (they come from Set-Cookie) and other targets', () => {
      reported({ ...minimal, read: { 'cookie:sid': { json: '/sid' } } }, 'read.cookie:sid', /Set-Cookie/);
      reported({ ...minimal, read: { cookies: { json: '/c' } } }, 'read.cookies', /Set-Cookie/);
      reported({ ...minimal, read: { session: { json: '/s' } } }, 'read.session', /"token" or "value:<name>"/);
      reported({ ...minimal, read: { 'value:token': { json: '/s' } } }, 'read.value:token', /cannot be named "token"/);
      reported({ ...minimal, read: [] }, 'read');
    });

    it('each rule is exactly one of json or regex', () => {
      reported({ ...minimal, read: { token: '/token' } }, 'read.token');
      reported({ ...minimal, read: { token: {} } }, 'read.token', /exactly one/);
      reported({ ...minimal, read: { token: { json: '/t', regex: '(x)' } } }, 'read.token', /exactly one/);
      reported({ ...minimal, read: { token: { json: 'token' } } }, 'read.token.json', /JSON pointer/);
      reported({ ...minimal, read: { token: { json: '/a~2' } } }, 'read.token.json', /JSON pointer/);
      reported({ ...minimal, read: { token: { json: '/t', flags: 'i' } } }, 'read.token.flags', /with "regex" only/);
    });

    it('a regex compiles, has exactly one capture group, at most 1000 characters, flags i, m, s', () => {
      reported({ ...minimal, read: { token: { regex: 'token=(' } } }, 'read.token.regex', /not a valid regular expression/);
      reported({ ...minimal, read: { token: { regex: 'token=\\w+' } } }, 'read.token.regex', /exactly one capture group.*it has 0/);
      reported({ ...minimal, read: { 'value:x': { regex: '(a)(b)' } } }, 'read.value:x.regex', /it has 2/);
      reported({ ...minimal, read: { token: { regex: `(${'a'.repeat(1000)})` } } }, 'read.token.regex', /longer than 1000/);
      reported({ ...minimal, read: { token: { regex: '' } } }, 'read.token.regex');
      reported({ ...minimal, read: { token: { regex: '(x)', flags: 'g' } } }, 'read.token.flags');
      reported({ ...minimal, read: { token: { regex: '(x)', flags: 'ii' } } }, 'read.token.flags');
      ok({ ...minimal, read: { token: { regex: '(?<t>x)(?:y)\\u0041', flags: 'ims' } } });
    });

    it('refuses backreferences and lookaround, which no linear-time engine runs, naming the field', () => {
      const unsupported = /cannot match in linear time .*Backreferences .*lookaround/;
      reported({ ...minimal, read: { token: { regex: '(["\'])\\1' } } }, 'read.token.regex', unsupported);
      reported({ ...minimal, read: { token: { regex: 'token=(\\w+)(?=;)' } } }, 'read.token.regex', unsupported);
      reported({ ...minimal, read: { token: { regex: 'token=(?!x)(\\w+)' } } }, 'read.token.regex', unsupported);
      reported({ ...minimal, read: { 'value:v': { regex: '(?<=v=)(\\w+)' } } }, 'read.value:v.regex', unsupported);
      reported({ ...minimal, ends: { body: '(?<!not )expired' } }, 'ends.body', unsupported);
      // Not JavaScript at all: invalid, not unsupported.
      reported(
        { ...minimal, read: { token: { regex: 'token=(' } } },
        'read.token.regex',
        /not a valid regular expression: missing closing \)/,
      );
    });

    it('takes a repetition inside a repetition, which a linear-time engine runs at no extra cost', () => {
      const d = ok({ ...minimal, read: { token: { regex: 'token=((?:\\w+\\.)*\\w+)' } }, ends: { body: '^(a+)+$' } });
      const rule = d.read[0].from;
      assert.ok('regex' in rule);
      assert.equal(rule.regex.capture('x token=a.b.c;'), 'a.b.c');
      assert.ok(d.ends.body?.test('aaaa'));
      // The answer that keeps a backtracking engine busy for good: no match, and at once.
      assert.equal(d.ends.body?.test(`${'a'.repeat(5_000)}!`), false);
    });

    it('a bad regex is reported without echoing it', () => {
      const source = `(${'secretish'.repeat(50)}`;
      const p = reported({ ...minimal, read: { token: { regex: source } } }, 'read.token.regex');
      assert.ok(!p.message.includes('secretish'), p.message);
    });
  });

  describe('expiry', () => {
    it('is required and exactly one of json, jwt, cookie or seconds', () => {
      reported({ ...minimal, expiry: undefined }, 'expiry', /is required/);
      reported({ ...minimal, expiry: 3600 }, 'expiry', /is required/);
      reported({ ...minimal, expiry: {} }, 'expiry', /exactly one/);
      reported({ ...minimal, expiry: { jwt: true, seconds: 60 } }, 'expiry', /exactly one/);
    });

    it('json: a pointer, read as seconds by default', () => {
      assert.deepEqual(ok({ ...minimal, expiry: { json: '/expires_in' } }).expiry, { from: 'json', pointer: '/expires_in', as: 'seconds' });
      for (const as of ['seconds', 'epochSeconds', 'epochMillis', 'date']) {
        assert.deepEqual(ok({ ...minimal, expiry: { json: '/e', as } }).expiry, { from: 'json', pointer: '/e', as });
      }
      reported({ ...minimal, expiry: { json: '/e', as: 'minutes' } }, 'expiry.as');
      reported({ ...minimal, expiry: { json: 'e' } }, 'expiry.json', /JSON pointer/);
      reported({ ...minimal, expiry: { seconds: 60, as: 'date' } }, 'expiry.as', /with "json" only/);
    });

    it('jwt: true, and needs a token', () => {
      assert.deepEqual(ok({ ...minimal, expiry: { jwt: true } }).expiry, { from: 'jwt' });
      reported({ ...minimal, expiry: { jwt: 'yes' } }, 'expiry.jwt', /must be true/);
      reported({ ...minimal, inputs: ['cookies'], expiry: { jwt: true } }, 'expiry.jwt', /needs a token/);
      ok({ ...minimal, inputs: ['cookies'], read: { token: { json: '/t' } }, expiry: { jwt: true } });
    });

    it('cookie: a cookie name', () => {
      assert.deepEqual(ok({ ...minimal, expiry: { cookie: 'sid' } }).expiry, { from: 'cookie', name: 'sid' });
      reported({ ...minimal, expiry: { cookie: 'a b' } }, 'expiry.cookie', /cookie name/);
      reported({ ...minimal, expiry: { cookie: 5 } }, 'expiry.cookie', /cookie name/);
    });

    it('seconds: a whole number from 1 to 366 days', () => {
      assert.deepEqual(ok({ ...minimal, expiry: { seconds: 1 } }).expiry, { from: 'fixed', seconds: 1 });
      assert.deepEqual(ok({ ...minimal, expiry: { seconds: 366 * 86400 } }).expiry, { from: 'fixed', seconds: 366 * 86400 });
      for (const seconds of [0, -5, 366 * 86400 + 1, 1.5, '60']) reported({ ...minimal, expiry: { seconds } }, 'expiry.seconds');
    });
  });

  describe('ends', () => {
    it('defaults to status 401', () => {
      assert.deepEqual(ok(minimal).ends, { status: [401] });
    });

    it('status: unique integers from 400 to 499; body: a regex', () => {
      const d = ok({ ...minimal, ends: { status: [401, 403, 419], body: 'session (expired|revoked)' } });
      assert.deepEqual(d.ends.status, [401, 403, 419]);
      assert.ok(d.ends.body?.test('your session revoked'));
      assert.deepEqual(ok({ ...minimal, ends: { status: [], body: 'gone' } }).ends.status, []);
      reported({ ...minimal, ends: { status: 401 } }, 'ends.status');
      reported({ ...minimal, ends: { status: [401, 500] } }, 'ends.status[1]');
      reported({ ...minimal, ends: { status: [399] } }, 'ends.status[0]');
      reported({ ...minimal, ends: { status: [401.5] } }, 'ends.status[0]');
      reported({ ...minimal, ends: { status: [401, 401] } }, 'ends.status', /twice/);
      reported({ ...minimal, ends: { status: [] } }, 'ends.status', /nothing would end/);
      reported({ ...minimal, ends: { body: '(' } }, 'ends.body', /not a valid regular expression/);
      reported({ ...minimal, ends: { body: 'x'.repeat(1001) } }, 'ends.body', /longer than 1000/);
      reported({ ...minimal, ends: 'expired' }, 'ends');
    });
  });

  describe('serve', () => {
    it('defaults to token when the session has one, else cookies', () => {
      assert.equal(ok(minimal).serve, 'token');
      assert.equal(ok({ ...minimal, inputs: ['cookies'], read: { token: { json: '/t' } } }).serve, 'token');
      assert.equal(ok({ ...minimal, inputs: ['cookie:sid'] }).serve, 'cookies');
      assert.equal(ok({ ...minimal, inputs: ['token', 'cookies'], serve: 'cookies' }).serve, 'cookies');
    });

    it('needs what it serves', () => {
      reported({ ...minimal, inputs: ['cookies'], serve: 'token' }, 'serve', /needs a token/);
      reported({ ...minimal, serve: 'cookies' }, 'serve', /needs cookies/);
      reported({ ...minimal, inputs: ['value:x'] }, 'serve', /needs cookies/);
      reported({ ...minimal, serve: 'header' }, 'serve', /"token" or "cookies"/);
    });
  });
});

describe('the settings schema of endpoint providers', () => {
  type Schema = {
    properties?: Record<string, Schema>;
    additionalProperties?: Schema | boolean;
    markdownDescription?: string;
    description?: string;
    if?: Schema;
    then?: Schema;
    else?: Schema;
    defaultSnippets?: Array<{ label: string; body: unknown }>;
    const?: unknown;
    required?: string[];
  };
  const root = join(__dirname, '..', '..');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { items: Schema }> } };
  };
  const items = manifest.contributes.configuration.properties['sessionKeeper.providers'].items;
  const endpoint = items.then!;

  /** Field names the schema knows at `path`, and that each is described. */
  function fields(schema: Schema, path: string): string[] {
    const props = schema.properties ?? {};
    for (const [name, prop] of Object.entries(props)) {
      const described = prop.markdownDescription ?? prop.description ?? items.properties?.[name]?.markdownDescription;
      assert.match(described ?? '', /^%config\.providers\.[\w.]+%$/, `${path}.${name} has no description`);
    }
    return Object.keys(props).sort();
  }

  it('switches on "kind": endpoint entries in "then", OAuth entries in "else"', () => {
    assert.deepEqual(items.if, { properties: { kind: { const: 'endpoint' } }, required: ['kind'] });
    assert.equal(endpoint.properties?.kind.const, 'endpoint');
    assert.equal(items.else?.properties?.kind.const, 'oauth');
    assert.deepEqual(items.else?.required, ['id', 'issuer', 'clientId']);
    assert.equal(endpoint.additionalProperties, false);
    assert.equal(items.else?.additionalProperties, false);
  });

  it('describes every field the parser reads, and no other', () => {
    const p = endpoint.properties!;
    assert.deepEqual(fields(endpoint, 'entry'), [...ENDPOINT_FIELDS.entry].sort());
    assert.deepEqual(fields(p.renew, 'renew'), [...ENDPOINT_FIELDS.renew].sort());
    assert.deepEqual(fields(p.read.additionalProperties as Schema, 'read.<target>'), [...ENDPOINT_FIELDS.read].sort());
    assert.deepEqual(fields(p.expiry, 'expiry'), [...ENDPOINT_FIELDS.expiry].sort());
    assert.deepEqual(fields(p.ends, 'ends'), [...ENDPOINT_FIELDS.ends].sort());
    for (const name of ['renew', 'expiry', 'ends']) assert.equal(p[name].additionalProperties, false, name);
    assert.equal((p.read.additionalProperties as Schema).additionalProperties, false);
    assert.deepEqual(endpoint.required, ['id', 'inputs', 'renew', 'expiry']);
  });

  it('its snippet, filled in with its defaults, is a valid endpoint provider', () => {
    const snippet = items.defaultSnippets!.find((s) => (s.body as Entry).kind === 'endpoint');
    assert.ok(snippet);
    // Snippet syntax: `^` inserts raw text, `${1:x}` a placeholder, `${1|a,b|}` a choice, `\$` a dollar.
    const text = JSON.stringify(snippet.body, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith('^') ? JSON.parse(value.slice(1).replace(/\\\$/g, '$')) : value,
    )
      .replace(/\$\{\d+:([^}]*)\}/g, '$1')
      .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1');
    const { providers, problems } = parseProviders([JSON.parse(text)]);
    assert.deepEqual(problems, []);
    assert.equal(providers[0].endpoint?.renew.headers.Authorization, 'Bearer ${token}');
  });
});

describe('the README examples of endpoint sessions', () => {
  it('parse as written, with no problem', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('"kind": "endpoint"'));
    assert.equal(blocks.length, 2);
    const { providers, problems } = parseProviders(blocks.map((b) => JSON.parse(b) as unknown));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      providers.map((p) => [p.id, p.kind, p.issuer]),
      [
        ['dashboard', 'endpoint', 'https://dash.example.com'],
        ['booking', 'endpoint', 'https://booking.example.com'],
      ],
    );
    const booking = providers[1].endpoint!;
    const rule = booking.read[0].from;
    assert.ok('regex' in rule);
    assert.equal(rule.regex.capture('<script>localStorage.setItem("token", "abc.def.ghi")</script>'), 'abc.def.ghi');
  });
});
