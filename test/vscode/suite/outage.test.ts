import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { jwtDecode } from 'jwt-decode';
import type * as vscode from 'vscode';
import { Breaches, configuredProvider, consumer, idpStats } from './fixtures';
import { issuer, print, screenshot } from './ui';
import { waitFor, within } from './wait';

// Runs in phase 2 while alice is signed in (after the renewal tests, before sign-out). The
// launcher's IdP issues JWT access tokens that live 20 s; this test cuts it off for longer.
const OUTAGE_MS = 45_000;
const POLL_EVERY_MS = 1_000;
/** After the issuer is back, how long until a fresh token must be served. */
const RECOVERY_MS = 30_000;

const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex');
const expiryOf = (token: string) => jwtDecode<{ exp: number }>(token).exp * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the issuer answers at all (GET /__test/stats), within 2 s. */
async function issuerAnswers(): Promise<boolean> {
  try {
    return (await fetch(`${issuer}/__test/stats`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

type Answer = { kind: 'session'; session: vscode.AuthenticationSession } | { kind: 'undefined' } | { kind: 'error'; message: string };

async function askSilently(providerId: string): Promise<Answer> {
  const { api } = await consumer();
  try {
    const session = await within(api.getSession(providerId, ['openid'], { silent: true }), 'getSession', 20_000);
    return session ? { kind: 'session', session } : { kind: 'undefined' };
  } catch (e) {
    return { kind: 'error', message: e instanceof Error ? e.message : String(e) };
  }
}

suite('An identity provider outage', () => {
  test("an outage longer than a token's life never hides the account, never serves an expired token, reports offline as an error naming the provider, and recovers on its own", async function () {
    // 45 s down, up to 30 s to recover, the polls' own time and the wait for the issuer in `finally`.
    this.timeout(150_000);
    const provider = configuredProvider();
    const { api } = await consumer();
    const statsBefore = await idpStats();

    const first = await askSilently(provider.id);
    assert.equal(first.kind, 'session', `before the outage the consumer must get alice's session, got ${JSON.stringify(first)}`);
    const tokensBefore = new Set<string>();
    let latestExpiry = 0;
    if (first.kind === 'session') {
      tokensBefore.add(fingerprint(first.session.accessToken));
      latestExpiry = expiryOf(first.session.accessToken);
    }

    // Every breach of the contract, so one run reports all of them.
    const breaches = new Breaches();
    const problem = (kind: string, detail = '') => breaches.add(kind, detail);
    let polls = 0;
    let pollsAfterExpiry = 0;
    let errorsAfterExpiry = 0;
    let recoveredAfterMs: number | undefined;

    const cut = await fetch(`${issuer}/__test/stop-for?ms=${OUTAGE_MS}`, { method: 'POST' });
    assert.equal(cut.status, 200, 'POST /__test/stop-for');
    const cutAt = Date.now();
    try {
      await waitFor(async () => !(await issuerAnswers()), 'the issuer to stop answering', 5_000);
      await screenshot('outage-started');

      // While the issuer is down: poll about once a second until it answers again.
      const at = () => `+${((Date.now() - cutAt) / 1000).toFixed(0)} s`;
      while (Date.now() - cutAt < OUTAGE_MS + 15_000 && !(await issuerAnswers())) {
        polls += 1;
        const accounts = await within(api.getAccounts(provider.id), 'getAccounts', 20_000).then(
          (list) => list.map((a) => a.label),
          (e: unknown) => [`<getAccounts rejected: ${e instanceof Error ? e.message : String(e)}>`],
        );
        if (!accounts.includes('alice')) problem('getAccounts did not list alice', `${at()}: got ${JSON.stringify(accounts)}`);

        const answer = await askSilently(provider.id);
        const now = Date.now();
        const expired = now > latestExpiry;
        if (expired) pollsAfterExpiry += 1;
        if (answer.kind === 'undefined') {
          problem(
            'getSession({ silent: true }) returned undefined, which callers read as "signed out"',
            `${at()}${expired ? ', after the token expired' : ', before the token expired'}`,
          );
        } else if (answer.kind === 'session') {
          const expiry = expiryOf(answer.session.accessToken);
          if (expiry <= now)
            problem('getSession returned an expired access token', `${at()}: expired ${((now - expiry) / 1000).toFixed(1)} s before`);
          else latestExpiry = Math.max(latestExpiry, expiry);
          tokensBefore.add(fingerprint(answer.session.accessToken));
        } else {
          if (expired) errorsAfterExpiry += 1;
          if (!answer.message.includes(provider.label)) {
            problem(
              `getSession rejected with a message that does not name "${provider.label}"`,
              `${at()}: ${JSON.stringify(answer.message)}`,
            );
          }
        }
        await sleep(POLL_EVERY_MS);
      }
      await screenshot('outage-polled');
      if (pollsAfterExpiry === 0)
        problem('the access token never expired during the outage, so the outage did not outlive it', `${polls} polls`);
      else if (errorsAfterExpiry === 0)
        problem(
          'once the access token had expired, getSession never rejected with an error (offline must be an error, not undefined)',
          `in ${pollsAfterExpiry} polls after expiry`,
        );

      // The issuer is back: a new, unexpired token within RECOVERY_MS.
      await waitFor(issuerAnswers, 'the issuer to answer again', 30_000, 250);
      const backAt = Date.now();
      while (Date.now() - backAt < RECOVERY_MS) {
        const answer = await askSilently(provider.id);
        if (answer.kind === 'undefined')
          problem(
            'after the issuer came back, getSession returned undefined',
            `+${((Date.now() - backAt) / 1000).toFixed(0)} s after it was back`,
          );
        if (
          answer.kind === 'session' &&
          !tokensBefore.has(fingerprint(answer.session.accessToken)) &&
          expiryOf(answer.session.accessToken) > Date.now()
        ) {
          recoveredAfterMs = Date.now() - backAt;
          break;
        }
        await sleep(POLL_EVERY_MS);
      }
      if (recoveredAfterMs === undefined) problem(`no fresh access token within ${RECOVERY_MS / 1000} s of the issuer coming back`);
      else
        print(
          `    a fresh token came ${(recoveredAfterMs / 1000).toFixed(1)} s after the issuer was back; ${polls} polls during the outage, ${pollsAfterExpiry} after the token expired`,
        );
      await screenshot('outage-recovered');
    } finally {
      // Whatever happened above, the tests after this one need the issuer.
      await waitFor(issuerAnswers, 'the issuer to be back after the outage', OUTAGE_MS + 15_000, 500);
    }

    const statsAfter = await idpStats();
    if (statsAfter.refreshTokenReuse !== statsBefore.refreshTokenReuse)
      problem(
        'the IdP saw a refresh token presented again after rotation',
        `${statsAfter.refreshTokenReuse - statsBefore.refreshTokenReuse} time(s)`,
      );
    if (statsAfter.grantsRevoked !== statsBefore.grantsRevoked)
      problem('the IdP revoked a grant', `${statsAfter.grantsRevoked - statsBefore.grantsRevoked} grant(s)`);
    breaches.assertNone(`the outage contract was broken (${polls} polls while the issuer was down)`);
  });
});
