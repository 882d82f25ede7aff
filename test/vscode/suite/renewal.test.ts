import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { jwtDecode } from 'jwt-decode';
import { configuredProvider, consumer, idpStats } from './fixtures';
import { closeOtherWindows, openSecondWindow, screenshot } from './ui';

// The launcher's IdP issues JWT access tokens that live 20 s, so renewals happen during the test,
// and rotates refresh tokens with reuse detection (a replay would revoke the whole grant).
const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Asks for alice's session through the consumer every `everyMs` until `renewals` new tokens were
 * seen, checking each answer: never expired, never missing. Returns how many distinct tokens came.
 */
async function watchRenewals(renewals: number, timeoutMs: number, everyMs = 500): Promise<number> {
  const provider = configuredProvider();
  const { api } = await consumer();
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (seen.size < renewals + 1) {
    assert.ok(Date.now() < deadline, `only ${seen.size - 1} renewals in ${timeoutMs / 1000} s`);
    const session = await api.getSession(provider.id, ['openid'], { silent: true });
    assert.ok(session, 'the consumer got no session while it was being renewed');
    const { exp } = jwtDecode<{ exp: number }>(session.accessToken);
    assert.ok(exp * 1000 > Date.now(), 'the consumer was handed an expired access token');
    seen.add(fingerprint(session.accessToken));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return seen.size - 1;
}

suite('Renewal in the background', () => {
  test('the consumer never receives an expired token, and receives a new one after each renewal', async () => {
    const before = await idpStats();
    assert.ok((await watchRenewals(3, 120_000)) >= 3);
    const after = await idpStats();
    assert.equal(after.refreshTokenReuse - before.refreshTokenReuse, 0);
    assert.equal(after.grantsRevoked - before.grantsRevoked, 0);
  });

  test('with a second window open, renewals go on and no refresh token is ever replayed', async () => {
    const before = await idpStats();
    await openSecondWindow();
    try {
      assert.ok((await watchRenewals(3, 120_000)) >= 3);
      await screenshot('renewed-with-two-windows');
    } finally {
      await closeOtherWindows();
    }
    const after = await idpStats();
    assert.equal(after.refreshTokenReuse - before.refreshTokenReuse, 0, 'a refresh token was presented twice');
    assert.equal(after.grantsRevoked - before.grantsRevoked, 0, 'the IdP revoked a grant');
  });
});
