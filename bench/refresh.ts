// 1. One refresh, several ways, on the same local IdP: the extension's OAuthClient on each of its
// HTTP routes, the whole engine path (Refresher.refresh with its store write), with and without the
// cross-window coordinator, and a bare oauth4webapi call with the global fetch.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { MemoryMemento, MemorySecrets } from '../test/support/fakes';
import { FileCoordinator } from '../src/session/storage/coordination';
import { REQUEST_TIMEOUT_MS, createFetch } from '../src/session/net/http';
import { silentLogger } from '../src/session/base/log';
import { OAuthClient } from '../src/session/kinds/oauth/client';
import { SessionStore } from '../src/session/storage/store';
import { createEngine, providerConfig, signInAt, startBenchIdp, users } from './fixture';
import { main, median, ms, percentile, ratio, timed, type Row } from './lib';

const WARMUP = 30;
const ITERATIONS = 200;

export async function run(): Promise<Row[]> {
  // Tokens live 10 minutes, so the engine's own scheduler never refreshes during the run.
  const idp = await startBenchIdp({ accessTokenTtl: 600, users: users(5) });
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-'));
  const logins = Object.keys(users(5));
  const nextLogin = () => logins.shift()!;
  const scopes = providerConfig(idp.issuer).scopes;
  const engines: Array<{ dispose(): void }> = [];
  try {
    // Each variant refreshes its own grant; with rotation each call must send the newest token.
    const client = new OAuthClient({
      issuer: idp.issuer,
      clientId: 'session-keeper',
      fetch: createFetch(REQUEST_TIMEOUT_MS),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    // The route activate() takes when nothing names a proxy: the host's fetch (here Node's global
    // fetch; in the extension host the one VS Code extends with the system's proxy settings).
    const hostClient = new OAuthClient({
      issuer: idp.issuer,
      clientId: 'session-keeper',
      fetch: createFetch(REQUEST_TIMEOUT_MS, { systemFetch: (url, init) => fetch(url, init) }),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    let extToken = (await signInAt(idp, client, nextLogin(), { scopes, extraParameters: {} })).refreshToken!;
    let hostToken = (await signInAt(idp, hostClient, nextLogin(), { scopes, extraParameters: {} })).refreshToken!;
    let bareToken = (await signInAt(idp, client, nextLogin(), { scopes, extraParameters: {} })).refreshToken!;

    const issuer = new URL(idp.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const bareClient: oauth.Client = { client_id: 'session-keeper' };

    const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger);
    const engine = createEngine(idp, store, { nextLogin });
    engines.push(engine);
    const engineSession = (await engine.provider('acme')!.createSession([])).id;

    // What activate() adds: cross-window file locks and generation records around each refresh.
    const coordinator = new FileCoordinator(join(dir, 'coordination'));
    const coordStore = new SessionStore(new MemorySecrets(), new MemoryMemento(), silentLogger, { coordinator });
    const coordEngine = createEngine(idp, coordStore, { nextLogin, coordinator });
    engines.push(coordEngine);
    const coordSession = (await coordEngine.provider('acme')!.createSession([])).id;

    // The least any cross-window coordination of a refresh costs on this disk: one lock directory
    // made and removed, one small record written and renamed into place (no refresh at all).
    const floorDir = join(dir, 'floor');
    await mkdir(floorDir);
    let floorCount = 0;
    const floor = async () => {
      const lock = join(floorDir, 'account.lock');
      await mkdir(lock);
      const tmp = join(floorDir, `record.${floorCount++}.tmp`);
      await writeFile(tmp, '{"generation":1}');
      await rename(tmp, join(floorDir, 'record.json'));
      await rmdir(lock);
    };

    const variants = {
      floor,
      bare: async () => {
        const response = await oauth.refreshTokenGrantRequest(as, bareClient, oauth.None(), bareToken, {
          [oauth.allowInsecureRequests]: true,
        });
        bareToken = (await oauth.processRefreshTokenResponse(as, bareClient, response)).refresh_token ?? bareToken;
      },
      client: async () => {
        extToken = (await client.refreshTokenGrant(extToken)).refreshToken ?? extToken;
      },
      hostFetch: async () => {
        hostToken = (await hostClient.refreshTokenGrant(hostToken)).refreshToken ?? hostToken;
      },
      engine: async () => {
        if (!(await engine.refresher.refresh(engineSession))?.refresh.lastRefreshAt) throw new Error('engine refresh failed');
      },
      coordinated: async () => {
        if (!(await coordEngine.refresher.refresh(coordSession))?.refresh.lastRefreshAt) throw new Error('coordinated refresh failed');
      },
    };
    const names = Object.keys(variants) as Array<keyof typeof variants>;
    const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof variants, number[]>;
    const before = await idp.stats();
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      // Interleaved, with the order rotating, so drift in the IdP or the machine hits all alike.
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length];
        const t = await timed(variants[name]);
        if (i >= WARMUP) samples[name].push(t);
      }
    }
    const after = await idp.stats();
    if (after.invalidGrant !== before.invalidGrant) throw new Error('a refresh was refused (invalid_grant)');
    if (store.find(engineSession)!.session.refresh.refreshCount !== WARMUP + ITERATIONS) throw new Error('engine refresh count is off');

    const row = (metric: string, name: keyof typeof variants): Row => ({
      bench: '1. Refresh',
      metric,
      measured: `${ms(median(samples[name]))} / ${ms(percentile(samples[name], 90))}`,
      baseline: `${ms(median(samples.bare))} / ${ms(percentile(samples.bare, 90))}`,
      ratio: `${ratio(median(samples[name]), median(samples.bare))} / ${ratio(percentile(samples[name], 90), percentile(samples.bare, 90))}`,
    });
    const goal = 1.3 * median(samples.bare);
    return [
      row(`OAuthClient.refreshTokenGrant vs bare oauth4webapi, median / p90 (${ITERATIONS} each)`, 'client'),
      row("OAuthClient.refreshTokenGrant through the host's fetch (the route when no proxy is named) vs bare, median / p90", 'hostFetch'),
      row('Refresher.refresh incl. store write (MemorySecrets) vs bare, median / p90', 'engine'),
      row('Refresher.refresh with FileCoordinator (as activate() wires it) vs bare, median / p90', 'coordinated'),
      row(
        `The least cross-window coordination costs, alone: one lock directory made and removed, one record written and renamed (no refresh), vs bare; the 1.3× goal leaves ${ms(goal - median(samples.engine))} beside Refresher.refresh`,
        'floor',
      ),
    ];
  } finally {
    for (const e of engines) e.dispose();
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main(run);
