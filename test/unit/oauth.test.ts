import assert from 'node:assert/strict';
import { foreignText, redactor } from '../../src/session/base/redact';
import { expiryOf } from '../../src/session/kinds/oauth/tokens';
import { parseRetryAfter } from '../../src/session/net/http';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;
const jwt = (payload: object) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

describe('token expiry', () => {
  const cases: Array<[string, unknown, string, number | undefined]> = [
    ['expires_in in seconds', 300, 'opaque', NOW + 300_000],
    ['a fractional expires_in', 1.5, 'opaque', NOW + 1_500],
    ['an absurd expires_in, capped at a year', 1e308, 'opaque', NOW + 366 * DAY],
    ['Infinity', Infinity, 'opaque', undefined],
    ['NaN', NaN, 'opaque', undefined],
    ['a negative expires_in', -5, 'opaque', undefined],
    ['zero', 0, 'opaque', undefined],
    ['a string', '300', 'opaque', undefined],
    ['missing, opaque token', undefined, 'opaque', undefined],
    ['missing, JWT with exp', undefined, jwt({ exp: (NOW + 600_000) / 1000 }), NOW + 600_000],
    ['missing, JWT with exp in the past', undefined, jwt({ exp: (NOW - 600_000) / 1000 }), undefined],
    ['missing, JWT with an absurd exp', undefined, jwt({ exp: 1e300 }), NOW + 366 * DAY],
    ['invalid, JWT with exp', -1, jwt({ exp: (NOW + 600_000) / 1000 }), NOW + 600_000],
  ];
  for (const [what, expiresIn, token, expected] of cases) {
    it(`${what}: ${expected === undefined ? 'unknown' : `${(expected - NOW) / 1000} s`}`, () => {
      const at = expiryOf(expiresIn, token, NOW);
      assert.equal(at, expected);
      assert.ok(at === undefined || Number.isFinite(at));
    });
  }
});

describe('Retry-After', () => {
  const cases: Array<[string | null, number | undefined]> = [
    ['7', 7],
    [' 120 ', 120],
    ['99999999999', 86_400],
    [new Date(NOW + 30_000).toUTCString(), 30],
    ['Fri, 31 Dec 9999 23:59:59 GMT', 86_400],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ];
  for (const [value, seconds] of cases) {
    it(`${JSON.stringify(value)} → ${seconds}`, () => assert.equal(parseRetryAfter(value, NOW), seconds));
  }
});

describe('text from an issuer', () => {
  it('loses control characters and escape codes', () => {
    assert.equal(foreignText('bad\u001b[31m red \u001b]0;title\u0007 text\r\nnext\u0000line\u202e'), 'bad red text next line');
  });

  it('is cut to its limit', () => {
    const text = foreignText('a '.repeat(100_000), 200);
    assert.equal(text.length, 200);
    assert.ok(text.endsWith('…'));
  });

  it('never carries a token we know, nor anything shaped like one', () => {
    const refreshToken = 'rt_8f7d6c5b4a39281706f5e4d3c2b1a0';
    redactor.add(refreshToken);
    const text = foreignText(`invalid_grant:${refreshToken} and ${'Zx9'.repeat(12)} and part ${refreshToken.slice(0, 26)}`);
    assert.ok(!text.includes(refreshToken.slice(0, 12)), text);
    assert.ok(!text.includes('Zx9Zx9Zx9'), text);
    assert.match(text, /^invalid_grant:\[redacted\] and \[redacted\] and part \[redacted\]$/);
  });

  it('keeps ordinary prose', () => {
    assert.equal(foreignText('The refresh token has expired, sign in again.'), 'The refresh token has expired, sign in again.');
  });
});
