import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configuredProvider, consumer, sessionKeeper } from './fixtures';
import * as vscode from 'vscode';
import { acceptSignInRequest, print, printRunningExtensions } from './ui';
import { waitFor } from './wait';

// Measurements, not checks: what VS Code reports for activation; loading each bundle in this
// extension host, like for like; and how long a caller's vscode.authentication.getSession takes
// through Session Keeper, against a provider that returns one fixed session, registered in the same
// window by the test consumer. The numbers are printed; timing never fails a test (see BENCHMARKS.md).
const BLOCK = 40;
const BLOCKS = 6;
const LOADS = 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

suite('Costs in the editor (printed, not asserted)', () => {
  test('activation times, as "Developer: Show Running Extensions" shows them in this window', async () => {
    await sessionKeeper();
    // The yardstick: the built-in GitHub provider, which the startup peer (test/vscode/startupPeer)
    // has VS Code activate at onStartupFinished, as Session Keeper is, in the same window.
    const github = vscode.extensions.getExtension('vscode.github-authentication');
    await waitFor(() => github?.isActive, 'GitHub Authentication activated by the startup peer', 30_000);
    if (await printRunningExtensions()) await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('code loading in this extension host: a fresh require of each bundle, alternating', async () => {
    const ours = join((await sessionKeeper()).extensionPath, 'dist', 'extension.js');
    const github = vscode.extensions.getExtension('vscode.github-authentication');
    assert.ok(github, 'GitHub Authentication is built in');
    const theirs = join(github.extensionPath, 'dist', 'extension.js');
    // Copies under new names: neither the module cache nor a compile cache can answer. Loading runs
    // each bundle's top-level code with the real vscode module, as activation does, but not activate().
    const dir = mkdtempSync(join(tmpdir(), 'sk-load-'));
    const load = createRequire(__filename);
    const samples: Record<'ours' | 'theirs', number[]> = { ours: [], theirs: [] };
    try {
      for (let i = 0; i < LOADS; i++) {
        for (const name of i % 2 ? (['theirs', 'ours'] as const) : (['ours', 'theirs'] as const)) {
          const copy = join(dir, `${name}-${i}.js`);
          copyFileSync(name === 'ours' ? ours : theirs, copy);
          const start = performance.now();
          load(copy);
          samples[name].push(performance.now() - start);
          delete load.cache[copy];
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    print(
      `@@measure code-loading ${JSON.stringify({ oursMs: +median(samples.ours).toFixed(2), theirsMs: +median(samples.theirs).toFixed(2), loads: LOADS })}`,
    );
  });

  test('Session Keeper vs a fixed-session provider, both asked by the consumer', async () => {
    const keeper = configuredProvider();
    await sessionKeeper();
    const { extension, api } = await consumer();
    const trivial = api.registerTrivialProvider();
    // The consumer's access to the trivial provider, granted as a user would.
    assert.equal(await api.getSession(trivial.id, ['openid'], { createIfNone: false }), undefined);
    await acceptSignInRequest(trivial, extension);
    await waitFor(() => api.getSession(trivial.id, ['openid'], { silent: true }), 'the trivial session after signing in', 30_000);
    const providers = { keeper: keeper.id, trivial: trivial.id };
    for (const id of Object.values(providers)) {
      for (let i = 0; i < 20; i++) assert.ok(await api.getSession(id, ['openid'], { silent: true }), `no session from ${id}`);
    }
    const perCall: Record<keyof typeof providers, number[]> = { keeper: [], trivial: [] };
    for (let b = 0; b < BLOCKS; b++) {
      // Alternating blocks, so both see the same load.
      for (const name of b % 2 ? (['trivial', 'keeper'] as const) : (['keeper', 'trivial'] as const)) {
        const start = performance.now();
        for (let i = 0; i < BLOCK; i++) await api.getSession(providers[name], ['openid'], { silent: true });
        perCall[name].push(((performance.now() - start) / BLOCK) * 1000);
      }
    }
    const keeperUs = median(perCall.keeper);
    const trivialUs = median(perCall.trivial);
    print(
      `@@measure getSession ${JSON.stringify({ keeperUs: Math.round(keeperUs), trivialUs: Math.round(trivialUs), ratio: +(keeperUs / trivialUs).toFixed(2), calls: BLOCK * BLOCKS })}`,
    );
  });
});
