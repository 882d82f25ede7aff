// One "VS Code window" for the many-window and crash tests: its own process running the real
// store, coordinator and refresher over secrets and coordination files shared with the others.
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock } from '../../../src/session/base/clock';
import { FileCoordinator } from '../../../src/session/storage/coordination';
import { createFetch } from '../../../src/session/net/http';
import { silentLogger } from '../../../src/session/base/log';
import { OAuthClient } from '../../../src/session/kinds/oauth/client';
import { Refresher, defaultPolicy } from '../../../src/session/refresh/refresher';
import { SessionStore } from '../../../src/session/storage/store';
import { FileMemento, FileSecrets } from '../../support/fileSecrets';
import { OAuthSource } from '../../../src/session/kinds/oauth/source';

const { SK_ISSUER, SK_DIR, SK_LOCKING, SK_DURATION_MS, SK_WINDOW, SK_MODE } = process.env;

async function main() {
  const dir = SK_DIR!;
  const coordinator = new FileCoordinator(join(dir, 'coordination'), systemClock, SK_LOCKING !== 'off');
  const store = new SessionStore(
    new FileSecrets(join(dir, 'secrets')),
    new FileMemento(join(dir, `memento-${SK_WINDOW}.json`)),
    silentLogger,
    { coordinator },
  );
  await store.load();
  const client = new OAuthClient({ issuer: SK_ISSUER!, clientId: 'session-keeper', fetch: createFetch(10_000), timeoutMs: 10_000 });
  const source = new OAuthSource(client);
  const refresher = new Refresher({
    store,
    source: () => source,
    clock: systemClock,
    logger: silentLogger,
    policy: { ...defaultPolicy, leadMs: 200, heartbeatMs: 250, baseBackoffMs: 100, maxBackoffMs: 1_000 },
    coordinator,
  });
  refresher.start();
  // Besides the scheduler, ask for refreshes of random sessions all the time, as busy callers
  // would: the worst case for a rotating refresh token.
  const end = Date.now() + Number(SK_DURATION_MS);
  let asked = 0;
  while (Date.now() < end) {
    const sessions = store.accounts().flatMap((a) => a.sessions);
    const s = sessions[Math.floor(Math.random() * sessions.length)];
    if (s) {
      asked++;
      await refresher.refresh(s.id);
    }
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  refresher.dispose();
  const failures = store
    .accounts()
    .flatMap((a) => a.sessions)
    .filter((s) => s.refresh.needsSignIn).length;
  process.stdout.write(`${JSON.stringify({ window: SK_WINDOW, asked, endedSessions: failures })}\n`);
}

/**
 * SK_MODE=crash: a window opened next to one that is about to be killed. Says "ready" once loaded,
 * and on "go" renews every session once, timing each (lock wait included), and reports. Then on
 * "churn" (after the test signed in again whatever needs it) renews every session over and over
 * until it is killed; on "exit" it ends.
 */
async function crashWindow() {
  const dir = SK_DIR!;
  const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const command = async () => String((await commands.next()).value ?? 'exit');
  process.stdout.write('ready\n');
  if ((await command()) !== 'go') process.exit(0);
  const quarantined: string[] = [];
  const coordinator = new FileCoordinator(join(dir, 'coordination'));
  const memento = new FileMemento(join(dir, `memento-${SK_WINDOW}.json`));
  const store = new SessionStore(new FileSecrets(join(dir, 'secrets')), memento, silentLogger, {
    coordinator,
    onQuarantine: (m) => quarantined.push(m),
  });
  await store.load();
  const client = new OAuthClient({ issuer: SK_ISSUER!, clientId: 'session-keeper', fetch: createFetch(10_000), timeoutMs: 10_000 });
  const source = new OAuthSource(client);
  const refresher = new Refresher({
    store,
    source: () => source,
    clock: systemClock,
    logger: silentLogger,
    // Nothing comes due by itself: every refresh here is asked for.
    policy: { ...defaultPolicy, leadMs: 200 },
    coordinator,
  });
  const sessions = () => store.accounts().flatMap((a) => a.sessions.map((s) => ({ account: a.account.label, id: s.id })));
  const check = await Promise.all(
    sessions().map(async ({ account, id }) => {
      const before = store.find(id)!.session.refresh.refreshCount;
      const started = Date.now();
      await refresher.refresh(id);
      const ms = Date.now() - started;
      const after = store.find(id)?.session;
      const ok = !!after && after.refresh.refreshCount > before && after.refresh.consecutiveFailures === 0;
      return { account, ms, ok, needsSignIn: after?.refresh.needsSignIn === true, error: after?.refresh.lastError };
    }),
  );
  process.stdout.write(`${JSON.stringify({ check, quarantined: quarantined.length })}\n`);
  if ((await command()) !== 'churn') {
    refresher.dispose();
    process.exit(0);
  }
  await store.load();
  process.stdout.write('churn\n');
  for (;;) {
    await Promise.all(sessions().map(({ id }) => refresher.refresh(id)));
    await new Promise((r) => setImmediate(r));
  }
}

(SK_MODE === 'crash' ? crashWindow() : main()).catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
