// The refresher against a real OpenID Provider with short-lived tokens and rotating refresh
// tokens (oidc-provider's default for public clients: reuse revokes the whole grant).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_USERS, startIdp, type Idp } from '../idp/idp.mjs';
import { authorizationCodeFlow, type BrowserHost } from '../../src/session/kinds/oauth/flows/authorizationCode';
import { withAccount } from '../../src/session/kinds/oauth/flows/contract';
import { systemClock } from '../../src/session/base/clock';
import type { ProviderConfig } from '../../src/session/config';
import { FileCoordinator } from '../../src/session/storage/coordination';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { SessionKeeperEngine } from '../../src/session/engine';
import { createFetch } from '../../src/session/net/http';
import { silentLogger } from '../../src/session/base/log';
import { defaultPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, type StoredAccount } from '../../src/session/storage/store';
import { FileMemento, FileSecrets } from '../support/fileSecrets';
import { makeTempDir, removeTempDir } from '../support/tempDirs.mjs';
import { waitFor } from '../support/wait.mjs';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import type { OAuthSource } from '../../src/session/kinds/oauth/source';

const config = (idp: Idp): ProviderConfig => ({
  kind: 'oauth',
  id: 'acme',
  label: 'Acme',
  issuer: idp.issuer,
  clientId: 'session-keeper',
  scopes: ['email', 'offline_access', 'openid', 'profile'],
  authorizationParameters: {},
});

function engineFor(idp: Idp, store: SessionStore, users: string[], opts: { coordinator?: FileCoordinator } = {}) {
  const ended: StoredAccount[] = [];
  const host = (login: string): BrowserHost => ({
    externalUri: async (u) => u,
    openBrowser: async (url) => {
      void fetch(await idp.login(url, { login }));
      return true;
    },
  });
  const engine = new SessionKeeperEngine({
    store,
    clock: systemClock,
    logger: silentLogger,
    fetch: createFetch(5_000),
    requestTimeoutMs: 5_000,
    policy: { ...defaultPolicy, leadMs: 500, heartbeatMs: 250, baseBackoffMs: 200, maxBackoffMs: 1_000, inlineWaitMs: 5_000 },
    coordinator: opts.coordinator,
    memento: new MemoryMemento(),
    signIn: (_config, source, request) =>
      authorizationCodeFlow((source as OAuthSource).client, host(users.shift() ?? 'alice'), silentLogger, {
        ...request,
        signal: new AbortController().signal,
      }).then(withAccount),
    onSignInNeeded: (a) => ended.push(a),
  });
  engine.configure([config(idp)]);
  return { engine, ended };
}

describe('background refresh against a real OpenID Provider', function () {
  this.timeout(120_000);
  let idp: Idp;
  beforeEach(async () => {
    idp = await startIdp({ accessTokenTtl: 2, users: { ...DEFAULT_USERS, carol: { name: 'Carol Example', email: 'carol@example.test' } } });
  });
  afterEach(async () => idp.close());

  it('renews sessions on their own, rides out an outage, and ends only a revoked account', async () => {
    const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger);
    const { engine, ended } = engineFor(idp, store, ['alice', 'bob']);
    try {
      const provider = engine.provider('acme')!;
      const alice = await provider.createSession([]);
      const bob = await provider.createSession([]);
      assert.equal(bob.account.label, 'bob');
      const count = (id: string) => store.find(id)!.session.refresh.refreshCount;

      // Tokens last 2 s: several lifetimes pass, every one renewed before it ends.
      await waitFor(() => count(alice.id) >= 3 && count(bob.id) >= 3, 'both sessions renewed 3 times', 60_000);
      const served = await provider.getSessions([]);
      assert.equal(served.length, 2);
      assert.notEqual(served.find((s) => s.id === alice.id)!.accessToken, alice.accessToken);

      // The issuer goes away for a while: sessions are kept and marked offline, then recover.
      await idp.stop();
      await waitFor(() => store.find(alice.id)!.session.refresh.consecutiveFailures > 0, 'a failed refresh', 60_000);
      await new Promise((r) => setTimeout(r, 2_500));
      assert.equal(store.accounts().length, 2);
      assert.ok(
        engine
          .providers()[0]
          .accounts.every((a) => a.sessions.every((s) => ['offline', 'refreshing', 'signInNeeded'].includes(s.health.state))),
      );
      // No expired token is handed out while offline, and callers are told so rather than "signed out".
      await assert.rejects(
        provider.getSessions([]),
        (e: unknown) => e instanceof SessionKeeperError && e.code === ErrorCode.Offline && /Acme/.test(e.message),
      );
      assert.deepEqual(
        (await provider.getSessions(undefined)).map((s) => s.account.label).sort(),
        ['alice', 'bob'],
        'both accounts stay listed',
      );
      await idp.start();
      const before = { alice: count(alice.id), bob: count(bob.id) };
      const resumed = (id: string, n: number) => count(id) > n && store.find(id)!.session.refresh.consecutiveFailures === 0;
      await waitFor(() => resumed(alice.id, before.alice) && resumed(bob.id, before.bob), 'refresh resumes for both', 60_000);
      assert.equal((await provider.getSessions([])).length, 2);
      assert.equal(ended.length, 0);

      // The issuer revokes alice's grant: only alice ends, with one notice.
      await idp.revokeGrantsOf('alice');
      await waitFor(() => store.find(alice.id)!.session.refresh.needsSignIn === true, 'alice needs to sign in', 60_000);
      const bobCount = count(bob.id);
      await waitFor(() => count(bob.id) > bobCount + 1, 'bob keeps renewing', 60_000);
      assert.deepEqual(
        ended.map((a) => a.account.label),
        ['alice'],
      );
      assert.deepEqual(
        (await provider.getSessions([])).map((s) => s.account.label),
        ['bob'],
      );
      assert.equal(idp.stats().refreshTokenReuse, 0);
    } finally {
      engine.dispose();
    }
  });

  describe('many windows, one refresh', () => {
    const runWindows = async (locking: boolean, windows: number, durationMs: number) => {
      const dir = makeTempDir('sk-windows-');
      try {
        // Sign in three accounts through one "window", into the shared store.
        const coordinator = new FileCoordinator(join(dir, 'coordination'));
        const store = new SessionStore(new FileSecrets(join(dir, 'secrets')), new FileMemento(join(dir, 'memento-0.json')), silentLogger, {
          coordinator,
        });
        await store.load();
        const { engine } = engineFor(idp, store, ['alice', 'bob', 'carol'], { coordinator });
        for (let i = 0; i < 3; i++) await engine.provider('acme')!.createSession([]);
        engine.dispose();
        idp.resetStats();
        const outputs = await Promise.all(
          Array.from(
            { length: windows },
            (_, i) =>
              new Promise<string>((resolve, reject) => {
                const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'workers', 'window.ts')], {
                  env: {
                    ...process.env,
                    SK_ISSUER: idp.issuer,
                    SK_DIR: dir,
                    SK_LOCKING: locking ? 'on' : 'off',
                    SK_DURATION_MS: String(durationMs),
                    SK_WINDOW: String(i + 1),
                  },
                  stdio: ['ignore', 'pipe', 'inherit'],
                });
                let out = '';
                child.stdout.on('data', (d) => (out += d));
                child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`window ${i + 1} exited with ${code}`))));
              }),
          ),
        );
        const windowsOut = outputs.map((o, i) => {
          const last = o.trim().split('\n').pop();
          if (!last) throw new Error(`window ${i + 1} reported nothing`);
          return JSON.parse(last) as { window: string; asked: number; endedSessions: number };
        });
        return { stats: idp.stats(), windows: windowsOut };
      } finally {
        removeTempDir(dir);
      }
    };

    it('four windows refreshing the same rotating tokens never replay one', async () => {
      const { stats, windows } = await runWindows(true, 4, 20_000);
      console.log(`      locked: ${JSON.stringify(stats)}`);
      // The windows really contended: each asked again and again, and every account was renewed.
      // How many cycles fit in 20 s depends on the machine, so no rate is asserted.
      assert.ok(
        windows.every((w) => w.asked >= 10),
        `windows asked ${windows.map((w) => w.asked).join(', ')} times`,
      );
      assert.ok(stats.refreshes >= 3, `only ${stats.refreshes} refresh cycles`);
      assert.equal(stats.invalidGrant, 0);
      assert.equal(stats.refreshTokenReuse, 0);
      assert.equal(stats.grantsRevoked, 0);
      assert.ok(windows.every((w) => w.endedSessions === 0));
    });

    it('the same run without the lock replays refresh tokens, so the check above can fail', async () => {
      const { stats } = await runWindows(false, 4, 5_000);
      console.log(`      unlocked: ${JSON.stringify(stats)}`);
      assert.ok(stats.refreshTokenReuse > 0 || stats.invalidGrant > 0, 'expected replayed refresh tokens without the lock');
    });
  });
});
