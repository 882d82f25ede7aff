import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startForwardProxy } from '../../support/forwardProxy';
import { configuredProvider, consumer, sessionKeeper, sessionKeeperTestApi } from './fixtures';
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

// code-server runs Session Keeper in the server's extension host, as Codespaces in a browser does:
// package.json's extensionKind has nowhere on the user's side to put it. This host's environment
// and its 127.0.0.1 are then the server's. The test shares the extension host's process, and so
// its environment, with Session Keeper.
suite('On a remote server (code-server runs Session Keeper on the server)', () => {
  test('it runs in the workspace extension host of a remote window', async () => {
    const extension = await sessionKeeper();
    assert.ok(vscode.env.remoteName, 'code-server windows are remote');
    assert.equal(extension.extensionKind, vscode.ExtensionKind.Workspace);
  });

  test("the server's HTTP_PROXY and HTTPS_PROXY are not used: Refresh Now goes to the issuer directly", async function () {
    this.timeout(120_000);
    const provider = configuredProvider();
    const { api } = await consumer();
    const proxy = await startForwardProxy();
    const origin = new URL(issuer).origin;
    const relayed = () => proxy.requests.filter((u) => u.startsWith(`${origin}/`)).length + proxy.tunnels.length;
    const current = async () =>
      (await within(api.getSession(provider.id, ['openid'], { silent: true }), 'getSession', 10_000))?.accessToken;
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY };
    try {
      const before = await current();
      assert.ok(before, "alice's session before the test");
      // As a dev container's containerEnv would set them for the whole server.
      process.env.HTTP_PROXY = proxy.url;
      process.env.HTTPS_PROXY = proxy.url;
      await within(Promise.resolve(vscode.commands.executeCommand('sessionKeeper.refreshNow', provider.id)), 'Refresh Now', 20_000);
      await waitFor(
        async () => {
          const token = await current();
          return token && token !== before ? token : undefined;
        },
        'a new token after Refresh Now',
        20_000,
        250,
      );
      assert.equal(
        relayed(),
        0,
        `the server's proxy variables were used (${proxy.requests.length} requests, ${proxy.tunnels.length} tunnels)`,
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await proxy.close();
    }
  });

  test("plain http to the server's 127.0.0.1 needs sessionKeeper.remote.allowLoopbackHttp; the account waits meanwhile", async function () {
    this.timeout(120_000);
    const provider = configuredProvider();
    const setting = () => vscode.workspace.getConfiguration('sessionKeeper.remote');
    const configured = async () => (await sessionKeeperTestApi()).providers().some((p) => p.id === provider.id);
    assert.equal(setting().get('allowLoopbackHttp'), true, 'the launcher allows it: browser and server share this machine');
    assert.ok(await configured());
    try {
      await setting().update('allowLoopbackHttp', false, vscode.ConfigurationTarget.Global);
      // The http://127.0.0.1 issuer is refused: the provider goes, its accounts stay stored.
      await waitFor(async () => !(await configured()), `${provider.id} to be refused without the setting`, 15_000, 100);
    } finally {
      await setting().update('allowLoopbackHttp', true, vscode.ConfigurationTarget.Global);
    }
    await waitFor(configured, `${provider.id} to be back with the setting`, 15_000, 100);
    const { api } = await consumer();
    const account = await waitFor(
      async () => (await api.getAccounts(provider.id)).find((a) => a.label === 'alice'),
      'alice listed again',
      15_000,
      250,
    );
    assert.ok(account);
  });
});
