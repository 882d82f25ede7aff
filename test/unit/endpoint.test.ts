// The pure parts of endpoint sessions: placeholders, pasted Cookie headers, the checks of pasted
// values, and RFC 6901 JSON pointers.
import assert from 'node:assert/strict';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { cookieHeader, parseCookieHeader } from '../../src/session/kinds/endpoint/cookies';
import { MAX_VALUE_CHARS, inputProblem } from '../../src/session/kinds/endpoint/inputs';
import { expand } from '../../src/session/kinds/endpoint/request';
import { resolvePointer } from '../../src/session/base/jsonPointer';
import type { EndpointValues, InputSpec } from '../../src/session/kinds/endpoint/declaration';

const current: EndpointValues = {
  values: { token: 'tok-123', fp: 'a b&c', constructor: 'named-constructor' },
  cookies: { sid: { value: 's1' }, theme: { value: 'dark', expiresAt: 1 } },
};

describe('endpoint placeholders', () => {
  it('substitutes the token, named values, single cookies and the whole cookie header', () => {
    assert.equal(
      expand('Bearer ${token} fp=${value:fp} sid=${cookie:sid} all=${cookies}', current, 'renew.body'),
      'Bearer tok-123 fp=a b&c sid=s1 all=sid=s1; theme=dark',
    );
    assert.equal(expand('no placeholders', current, 'renew.body'), 'no placeholders');
    assert.equal(expand('${token}${token}', current, 'renew.body'), 'tok-123tok-123');
  });

  it('encodes each value, and only the values, when told to', () => {
    assert.equal(expand('/p/${value:fp}?x=${value:fp}&y=1', current, 'renew.url', encodeURIComponent), '/p/a%20b%26c?x=a%20b%26c&y=1');
  });

  for (const [template, placeholder] of [
    ['${value:csrf}', '${value:csrf}'],
    ['x ${cookie:absent} y', '${cookie:absent}'],
    ['${cookie:constructor}', '${cookie:constructor}'],
    ['${value:toString}', '${value:toString}'],
    ['${nonsense}', '${nonsense}'],
  ] as const) {
    it(`a missing value (${placeholder}) is a transient error naming the placeholder and the field`, () => {
      assert.throws(
        () => expand(template, current, 'renew.headers.X-Thing'),
        (err: unknown) =>
          err instanceof SessionKeeperError &&
          err.transient &&
          err.code === ErrorCode.InvalidConfiguration &&
          err.message.includes(placeholder) &&
          err.message.includes('renew.headers.X-Thing'),
      );
    });
  }

  it('an inherited name is no value, an own one is', () => {
    assert.equal(expand('${value:constructor}', current, 'f'), 'named-constructor');
  });

  it('${cookies} without any cookie is missing, never an empty string', () => {
    assert.throws(() => expand('${cookies}', { values: {}, cookies: {} }, 'renew.headers.Cookie'), /\$\{cookies\}/);
    assert.throws(() => expand('${token}', { values: {}, cookies: {} }, 'renew.url'), /\$\{token\}.*renew\.url/);
  });

  it('a Cookie header joins name=value pairs in order', () => {
    assert.equal(cookieHeader(current.cookies), 'sid=s1; theme=dark');
    assert.equal(cookieHeader({}), '');
  });
});

describe('pasted Cookie headers', () => {
  it('splits a header value, with or without a leading Cookie:', () => {
    const expected = { a: { value: '1' }, b: { value: 'x=y' }, c: { value: '"quoted"' } };
    assert.deepEqual(parseCookieHeader('a=1; b=x=y; c="quoted"'), expected);
    assert.deepEqual(parseCookieHeader('Cookie: a=1;b=x=y ;  c="quoted";'), expected);
    assert.deepEqual(parseCookieHeader('  cookie:a=1; b=x=y; c="quoted"\n'), expected);
  });

  it('keeps the first of two cookies of one name, and names like __proto__ as plain names', () => {
    const parsed = parseCookieHeader('a=1; a=2; __proto__=p; constructor=c')!;
    assert.equal(parsed.a.value, '1');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(Object.keys(parsed), ['a', '__proto__', 'constructor']);
    assert.equal(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value.value, 'p');
  });

  it('accepts an empty value (RFC 6265 allows it)', () => {
    assert.deepEqual(parseCookieHeader('a=; b=2'), { a: { value: '' }, b: { value: '2' } });
  });

  for (const text of ['', 'Cookie:', ';;', 'abc', '=1', 'a b=1', 'a=1; b', 'a=x y', 'a=x,y', 'a=x\\y', 'a="x', 'a=\u0001', 'a(=1']) {
    it(`is not a Cookie header: ${JSON.stringify(text)}`, () => {
      assert.equal(parseCookieHeader(text), undefined);
    });
  }
});

describe('checks of pasted values', () => {
  const token: InputSpec = { kind: 'token' };
  const cookie: InputSpec = { kind: 'cookie', name: 'sid' };
  const cookies: InputSpec = { kind: 'cookies' };
  const value: InputSpec = { kind: 'value', name: 'fp' };

  const accepted: Array<[InputSpec, string]> = [
    [token, 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    [token, '  tok-with-edges \n'],
    [cookie, 'abc123%3D'],
    [cookie, '"quoted-value"'],
    [cookies, 'Cookie: a=1; b=2'],
    [value, 'Mozilla/5.0 (X11; Linux) fingerprint with spaces'],
  ];
  for (const [spec, text] of accepted) {
    it(`accepts a ${spec.kind}: ${JSON.stringify(text)}`, () => {
      assert.equal(inputProblem(spec, text), undefined);
    });
  }

  const refused: Array<[InputSpec, string, RegExp]> = [
    [token, '', /empty/],
    [value, '   \n ', /empty/],
    [token, 'x'.repeat(MAX_VALUE_CHARS + 1), /16 KB/],
    [value, 'secret-value\u0007bell', /control characters/],
    [value, 'secret-value\u202eoverride', /control characters/],
    [token, 'Bearer secret-value', /no spaces/],
    [token, 'secret-value\tsecond', /control characters/],
    [cookie, 'secret value', /not a cookie value/],
    [cookie, 'secret;value', /not a cookie value/],
    [cookie, 'secret"value', /not a cookie value/],
    [cookies, 'secret-value', /not a Cookie header/],
    [cookies, 'a=secret value', /not a Cookie header/],
  ];
  for (const [spec, text, problem] of refused) {
    it(`refuses a ${spec.kind} (${problem.source}) without quoting it`, () => {
      const message = inputProblem(spec, text);
      assert.ok(message, 'no problem found');
      assert.match(message, problem);
      if (text.includes('secret')) assert.ok(!message.includes('secret'), 'the message quotes the value');
    });
  }
});

describe('JSON pointers (RFC 6901)', () => {
  // RFC 6901 §5.
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };
  const examples: Array<[string, unknown]> = [
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/c%d', 2],
    ['/e^f', 3],
    ['/g|h', 4],
    ['/i\\j', 5],
    ['/k"l', 6],
    ['/ ', 7],
    ['/m~0n', 8],
  ];
  for (const [pointer, value] of examples) {
    it(`${JSON.stringify(pointer)} names ${JSON.stringify(value).slice(0, 30)}`, () => {
      assert.deepEqual(resolvePointer(doc, pointer), value);
    });
  }

  it('decodes ~1 before ~0, so ~01 is a literal ~1', () => {
    assert.equal(resolvePointer({ '~1': 'tilde-one', '/': 'slash' }, '/~01'), 'tilde-one');
  });

  for (const pointer of [
    'foo',
    '/nothing',
    '/foo/2',
    '/foo/-',
    '/foo/01',
    '/foo/1x',
    '/foo/0/0',
    '/m~2n',
    '/m~',
    '/constructor',
    '/__proto__',
    '/foo/length',
  ]) {
    it(`${JSON.stringify(pointer)} names nothing`, () => {
      assert.equal(resolvePointer(doc, pointer), undefined);
    });
  }

  it('walks nested objects and arrays, and stops at null and scalars', () => {
    const nested = { a: { b: [{ c: 'deep' }] }, n: null, s: 'str' };
    assert.equal(resolvePointer(nested, '/a/b/0/c'), 'deep');
    assert.equal(resolvePointer(nested, '/n'), null);
    assert.equal(resolvePointer(nested, '/n/x'), undefined);
    assert.equal(resolvePointer(nested, '/s/0'), undefined);
  });
});
