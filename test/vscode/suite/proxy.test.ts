import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startForwardProxy } from '../../support/forwardProxy';
import { configuredProvider, consumer, sessionKeeperTestApi } from './fixtures';
import { issuer } from './ui';
import { waitFor, within } from './wait';

// Runs in phase 2 while alice is signed in. VS Code's own proxy settings, changed as a user
// changes them, decide where Session Keeper's requests go: through a real forward proxy on
// 127.0.0.1 (started here, in this extension host) while http.proxy names it, directly again once
// http.noProxy covers the issuer. Auto-refresh is off for alice meanwhile, so that every token
// request is one of the test's Refresh Nows. The protocol tests cover https, certificates and
// credentials.

suite('HTTP through the proxy in VS Code settings', () => {
  test('with http.proxy set, Refresh Now reaches the issuer through the proxy; with http.noProxy covering it, directly', async function () {
    this.timeout(120_000);
    const provider = configuredProvider();
    const { api } = await consumer();
    const proxy = await startForwardProxy();
    const http = () => vscode.workspace.getConfiguration('http');
    const origin = new URL(issuer).origin;
    // Token requests relayed to the test issuer; http goes to a proxy in absolute form.
    const tokenRequests = () => proxy.requests.filter((u) => u.startsWith(`${origin}/`) && new URL(u).pathname.endsWith('/token')).length;
    const current = async () =>
      (await within(api.getSession(provider.id, ['openid'], { silent: true }), 'getSession', 10_000))?.accessToken;
    /** Refresh Now, as from the palette; resolves with the new token once the consumer gets it. */
    const refreshNow = async (before: string | undefined) => {
      await within(Promise.resolve(vscode.commands.executeCommand('sessionKeeper.refreshNow', provider.id)), 'Refresh Now', 20_000);
      return waitFor(
        async () => {
          const token = await current();
          return token && token !== before ? token : undefined;
        },
        'a new token after Refresh Now',
        20_000,
        250,
      );
    };
    const alice = { providerId: provider.id, accountId: 'alice' };
    const renewing = async () =>
      (await sessionKeeperTestApi())
        .providers()
        .find((p) => p.id === provider.id)
        ?.accounts.find((a) => a.id === 'alice')
        ?.sessions.some((session) => session.health.state === 'refreshing');
    try {
      const before = await current();
      assert.ok(before, "alice's session before the proxy test");
      await vscode.commands.executeCommand('sessionKeeper.turnOffAutoRefresh', alice);
      // A background renewal already under way finishes before the proxy is set.
      await waitFor(async () => !(await renewing()), 'no renewal of alice in flight', 20_000);

      await http().update('proxy', proxy.url, vscode.ConfigurationTarget.Global);
      // Session Keeper reads the settings in the same change event that makes them visible here.
      await waitFor(() => http().get('proxy') === proxy.url, 'http.proxy to take effect', 15_000);
      const relayedBefore = tokenRequests();
      const throughProxy = await refreshNow(before);
      assert.ok(
        tokenRequests() > relayedBefore,
        `Refresh Now did not go through the proxy in http.proxy (it relayed ${proxy.requests.length} requests, ${proxy.tunnels.length} tunnels)`,
      );

      await http().update('noProxy', [new URL(issuer).host], vscode.ConfigurationTarget.Global);
      await waitFor(() => (http().get<string[]>('noProxy') ?? []).includes(new URL(issuer).host), 'http.noProxy to take effect', 15_000);
      const relayedBeforeDirect = tokenRequests();
      await refreshNow(throughProxy);
      assert.equal(tokenRequests(), relayedBeforeDirect, 'a token request went through the proxy although http.noProxy covers the issuer');
    } finally {
      await vscode.commands.executeCommand('sessionKeeper.turnOnAutoRefresh', alice);
      await http().update('noProxy', undefined, vscode.ConfigurationTarget.Global);
      await http().update('proxy', undefined, vscode.ConfigurationTarget.Global);
      await proxy.close();
    }
  });
});
