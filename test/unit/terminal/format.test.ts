import assert from 'node:assert/strict';
import { execCredential, formatToken, parseGitCredentialInput } from '../../../src/terminal/format';

const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';
const expiresAt = Date.UTC(2026, 0, 2, 14, 2, 7, 512);
const issued = { token, expiresAt, account: 'alice' };

describe('terminal output formats', () => {
  it('bare: the token and a newline', () => {
    assert.equal(formatToken('bare', issued), `${token}\n`);
  });

  it('header: one Authorization line for curl -H', () => {
    assert.equal(formatToken('header', issued), `Authorization: Bearer ${token}\n`);
  });

  it('json: the token, its expiry (RFC 3339) and the account', () => {
    assert.deepEqual(JSON.parse(formatToken('json', issued)), { token, expiresAt: '2026-01-02T14:02:07Z', account: 'alice' });
    assert.equal(JSON.parse(formatToken('json', { token, account: 'alice' })).expiresAt, null);
    assert.ok(formatToken('json', issued).endsWith('}\n'));
  });

  it('kubectl: a client.authentication.k8s.io/v1 ExecCredential with status.token and status.expirationTimestamp', () => {
    const out = JSON.parse(formatToken('kubectl', issued));
    assert.deepEqual(out, {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token, expirationTimestamp: '2026-01-02T14:02:07Z' },
    });
    // Without a known expiry, kubectl asks again each time: the field is left out, not null.
    assert.deepEqual(execCredential({ token, account: 'alice' }).status, { token });
  });

  it("git: username and password lines; git's own username wins; no line breaks get through", () => {
    assert.equal(formatToken('git', issued), `username=alice\npassword=${token}\n`);
    const request = parseGitCredentialInput('protocol=https\nhost=example.test\nusername=deploy\n\n');
    assert.equal(formatToken('git', issued, request), `username=deploy\npassword=${token}\n`);
    assert.equal(formatToken('git', { token: 'a\nb', account: 'x\ny' }), 'username=xy\npassword=ab\n');
  });

  it("reads git's key=value lines up to the blank line, ignoring malformed ones", () => {
    const m = parseGitCredentialInput('protocol=https\r\nhost=example.test\nnonsense\n=x\npath=a=b\n\nhost=after-blank\n');
    assert.deepEqual(
      [...m],
      [
        ['protocol', 'https'],
        ['host', 'example.test'],
        ['path', 'a=b'],
      ],
    );
  });
});
