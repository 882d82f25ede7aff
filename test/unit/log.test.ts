import assert from 'node:assert/strict';
import { Redactor } from '../../src/session/base/redact';
import { createLogger } from '../../src/session/base/log';
import { CapturingSink } from '../support/fakes';

describe('log redaction', () => {
  it('masks every token value it was told about, wherever it appears', () => {
    const r = new Redactor();
    r.add('opaque-access-token-123456');
    const sink = new CapturingSink();
    const log = createLogger(sink, r);
    log.info('got opaque-access-token-123456 and again (opaque-access-token-123456)');
    assert.equal(sink.text(), 'info got [redacted] and again ([redacted])');
  });

  it('masks JWTs, bearer headers, token parameters and JSON token fields it was never told about', () => {
    const r = new Redactor();
    const line = [
      'id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl',
      'Authorization: Bearer abc.def-ghi',
      'callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz',
      'body {"refresh_token":"8xLOxBtZp8","token_type":"Bearer"}',
    ].join(' | ');
    const out = r.redact(line);
    for (const secret of ['eyJhbGciOiJSUzI1NiJ9', 'c2lnbmF0dXJl', 'abc.def-ghi', 'SplxlOBeZQQYbYS6WxSbIA', '8xLOxBtZp8']) {
      assert.ok(!out.includes(secret), `${secret} leaked: ${out}`);
    }
    assert.match(out, /state=xyz/);
    assert.match(out, /"token_type":"Bearer"/);
  });

  it('a name with a line break or escape codes cannot forge a line: every message stays one line, its controls shown as escapes', () => {
    const sink = new CapturingSink();
    const log = createLogger(sink, new Redactor());
    const label = 'mallory\n2026-01-01 12:00:00.000 [info] Signed in admin to Acme SSO\r\u001b[2K\u202e';
    log.info(`Signed in ${label} to Acme SSO`);
    assert.equal(sink.lines.length, 1);
    assert.ok(!/[\n\r\u001b\u202e]/.test(sink.lines[0]), JSON.stringify(sink.lines[0]));
    assert.equal(
      sink.lines[0],
      'info Signed in mallory\\n2026-01-01 12:00:00.000 [info] Signed in admin to Acme SSO\\r\\u001b[2K\\u202e to Acme SSO',
    );
  });

  it('ignores values too short to be tokens, so ordinary words survive', () => {
    const r = new Redactor();
    r.add('alice');
    assert.equal(r.redact('alice signed in'), 'alice signed in');
  });
});

describe('log redaction over a long session', () => {
  it('remembers every live secret of thousands of sessions, forgets the oldest beyond that, and masks the longest match', () => {
    const r = new Redactor();
    for (let i = 0; i < 20_000; i++) r.add(`opaque-token-number-${i}`);
    assert.equal(r.redact('opaque-token-number-19999'), '[redacted]');
    // The 16,384 newest are known: 3,616 to 19,999.
    assert.equal(r.redact('a opaque-token-number-3616 b'), 'a [redacted] b');
    assert.equal(r.redact('opaque-token-number-0'), 'opaque-token-number-0');
    // Secrets sharing their first characters: each is found, the longer one whole.
    r.add('sid-rotating-1');
    r.add('sid-rotating-12345678');
    assert.equal(r.redact('x=sid-rotating-12345678;y=sid-rotating-1.'), 'x=[redacted];y=[redacted].');
  });
});
