// The JSON session service behind the endpoint provider "dash", controlled over HTTP: it runs in
// the launcher's process, so it lives on across window reloads (see serveControl in
// test/support/jsonSessionService.ts).
import * as assert from 'node:assert/strict';
import type { Mode, Renewal } from '../../support/jsonSessionService';
import { Breaches } from './fixtures';

export const ENDPOINT_PROVIDER_ID = 'dash';
/** The account name the user gives the endpoint session. */
export const ENDPOINT_ACCOUNT = 'dana';
/** The rows of the side bar's views. */
export const SIDEBAR_ROWS = '#workbench\\.parts\\.sidebar .monaco-list-row';

export interface ServiceStats {
  /** Successful renewals. */
  readonly renewals: number;
  /** Every request the service got, in order. */
  readonly requests: readonly { method: string; url: string; cookies: Record<string, string> }[];
  /** Every successful renewal, in order. */
  readonly issued: readonly Renewal[];
  /** Renewals refused because they carried an unknown or old sid. */
  readonly refused: number;
  /** The live sid and the last token handed out. */
  readonly current: { sid: string; token: string };
}

function controlUrl(): string {
  const url = process.env.SK_TEST_SERVICE_CONTROL;
  assert.ok(url, 'SK_TEST_SERVICE_CONTROL is not set; the launcher starts the endpoint service (test/vscode/fixture.mjs)');
  return url;
}

export async function serviceStats(): Promise<ServiceStats> {
  const response = await fetch(`${controlUrl()}/__control/stats`);
  assert.equal(response.status, 200, 'GET /__control/stats');
  return (await response.json()) as ServiceStats;
}

/** What the service does with the renewal requests that follow. */
export async function serviceMode(mode: Mode): Promise<void> {
  const response = await fetch(`${controlUrl()}/__control/mode`, { method: 'POST', body: JSON.stringify(mode) });
  assert.equal(response.status, 204, 'POST /__control/mode');
}

/** Renewal requests, as the service saw them. */
export function renewalRequests(stats: ServiceStats): ServiceStats['requests'] {
  return stats.requests.filter((r) => r.url.startsWith('/session'));
}

/** Renewals among `issued` that did not carry the sid the renewal before them set. */
export function rotationBreaks(issued: readonly Renewal[]): string[] {
  return issued.flatMap((r, i) =>
    i > 0 && r.sentSid !== issued[i - 1].sid ? [`renewal ${i} did not carry the sid renewal ${i - 1} set`] : [],
  );
}

/** Renewals from index `from` on that came only once the token before them had expired. */
export function lateRenewals(issued: readonly Renewal[], from: number): string[] {
  return issued.flatMap((r, i) =>
    i >= Math.max(1, from) && r.at >= issued[i - 1].expiresAt
      ? [`renewal ${i} came ${r.at - issued[i - 1].expiresAt} ms after expiry`]
      : [],
  );
}

/**
 * Asks for the token every 250 ms until `done` holds (bounded by `timeoutMs`). Every answer must be
 * a token the service issued that has not expired yet; each kind of breach is reported at the end.
 * Returns the distinct tokens, in the order they were first seen, and the service's last stats.
 */
export async function watchTokens(
  ask: () => Promise<{ accessToken: string } | undefined>,
  done: (stats: ServiceStats, seen: readonly string[]) => boolean,
  what: string,
  timeoutMs: number,
): Promise<{ seen: string[]; stats: ServiceStats }> {
  const breaches = new Breaches();
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const session = await ask().catch((e: unknown) => {
      breaches.add('getSession failed', e instanceof Error ? e.message : String(e));
      return undefined;
    });
    const askedAt = Date.now();
    const stats = await serviceStats();
    if (session) {
      const issued = stats.issued.find((r) => r.token === session.accessToken);
      if (!issued) breaches.add('a token the service never issued');
      else if (issued.expiresAt <= askedAt) breaches.add('an expired token', `${askedAt - issued.expiresAt} ms past its expiry`);
      if (!seen.includes(session.accessToken)) seen.push(session.accessToken);
    } else {
      breaches.add('no session');
    }
    if (done(stats, seen)) {
      breaches.assertNone(`While waiting for ${what}, the consumer got`);
      return { seen, stats };
    }
    if (Date.now() > deadline) {
      breaches.assertNone(`While waiting for ${what}, the consumer got`);
      assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${stats.renewals} renewals, ${seen.length} tokens seen)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
