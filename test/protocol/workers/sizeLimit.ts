// One size-limit case in its own process, so its memory can be measured without the rest of the
// suite in the way (and an answer that exhausts memory fails this case, not the whole run).
// Prints one JSON line: the outcome, how long it took and how far RSS grew.
import { SessionKeeperError } from '../../../src/session/base/errors';
import { createFetch } from '../../../src/session/net/http';
import { OAuthClient } from '../../../src/session/kinds/oauth/client';

const { SK_ISSUER, SK_OPERATION, SK_REFRESH_TOKEN, SK_TIMEOUT_MS } = process.env;

async function main() {
  const timeoutMs = Number(SK_TIMEOUT_MS ?? 1500);
  const client = new OAuthClient({ issuer: SK_ISSUER!, clientId: 'session-keeper', fetch: createFetch(timeoutMs), timeoutMs });
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = Date.now();
  let outcome: Record<string, unknown>;
  try {
    if (SK_OPERATION === 'discovery') await client.metadata();
    else await client.refreshTokenGrant(SK_REFRESH_TOKEN!);
    outcome = { settled: 'resolved' };
  } catch (err) {
    outcome =
      err instanceof SessionKeeperError
        ? { settled: 'rejected', sessionKeeperError: true, code: err.code, transient: err.transient, message: err.message }
        : { settled: 'rejected', sessionKeeperError: false, name: (err as Error)?.name, message: (err as Error)?.message };
  }
  const ms = Date.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const after = process.memoryUsage().rss;
  process.stdout.write(`${JSON.stringify({ ...outcome, ms, rssBefore: before, rssPeak: peak, rssAfter: after })}\n`);
  process.exit(0);
}

void main();
