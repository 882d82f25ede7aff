// One "VS Code window" for the many-window test: its own process running the real store,
// coordinator and refresher over secrets and coordination files shared with the others.
import { join } from 'node:path';
import { systemClock } from '../../../src/session/clock';
import { FileCoordinator } from '../../../src/session/coordination';
import { createFetch } from '../../../src/session/http';
import { silentLogger } from '../../../src/session/log';
import { OAuthClient } from '../../../src/session/oauth';
import { Refresher, defaultPolicy } from '../../../src/session/refresher';
import { SessionStore } from '../../../src/session/store';
import { FileMemento, FileSecrets } from '../../support/fileSecrets';

const { SK_ISSUER, SK_DIR, SK_LOCKING, SK_DURATION_MS, SK_WINDOW } = process.env;

async function main() {
  const dir = SK_DIR!;
  const coordinator = new FileCoordinator(join(dir, 'coordination'), systemClock, SK_LOCKING !== 'off');
  const store = new SessionStore(new FileSecrets(join(dir, 'secrets')), new FileMemento(join(dir, `memento-${SK_WINDOW}.json`)), silentLogger, { coordinator });
  await store.load();
  const client = new OAuthClient({ issuer: SK_ISSUER!, clientId: 'session-keeper', fetch: createFetch(10_000), timeoutMs: 10_000 });
  const refresher = new Refresher({
    store,
    client: () => client,
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
  const failures = store.accounts().flatMap((a) => a.sessions).filter((s) => s.refresh.needsSignIn).length;
  process.stdout.write(`${JSON.stringify({ window: SK_WINDOW, asked, endedSessions: failures })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
