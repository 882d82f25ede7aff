// The cast of the in-editor tests: Session Keeper, the test consumer (any other extension) and the IdP.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TestApi } from '../../../src/extension';
import { issuer } from './ui';

export const sessionKeeperId = 'session-keeper.session-keeper';
export const consumerId = 'session-keeper-tests.consumer';

/** What test/vscode/consumer/extension.js returns from activate(). */
export interface ConsumerApi {
  getSession(
    providerId: string,
    scopes: readonly string[],
    options?: vscode.AuthenticationGetSessionOptions,
  ): Promise<vscode.AuthenticationSession | undefined>;
  getAccounts(providerId: string): Promise<readonly vscode.AuthenticationSessionAccountInformation[]>;
  sessionChangeCount(providerId: string): number;
  /** Registers a provider that serves one fixed session; returns its id and label. */
  registerTrivialProvider(): { id: string; label: string };
}

export async function sessionKeeper(): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(sessionKeeperId);
  assert.ok(extension, `${sessionKeeperId} is not loaded`);
  await extension.activate();
  return extension;
}

export async function consumer(): Promise<{ extension: vscode.Extension<ConsumerApi>; api: ConsumerApi }> {
  const extension = vscode.extensions.getExtension<ConsumerApi>(consumerId);
  assert.ok(extension, `${consumerId} is not installed`);
  return { extension, api: await extension.activate() };
}

/** The provider the launcher configured in settings.json, as Session Keeper reads it. */
export function configuredProvider(): { id: string; label: string } {
  const [provider] = vscode.workspace.getConfiguration('sessionKeeper').get<{ id: string; label: string }[]>('providers') ?? [];
  assert.ok(provider, 'sessionKeeper.providers is empty in the test settings');
  return provider;
}

/** Another provider of the launcher's settings, by id. */
export function providerById(id: string): { id: string; label: string } {
  const providers = vscode.workspace.getConfiguration('sessionKeeper').get<{ id: string; label: string }[]>('providers') ?? [];
  const provider = providers.find((p) => p.id === id);
  assert.ok(provider, `sessionKeeper.providers has no "${id}" in the test settings`);
  return provider;
}

/** Session Keeper's test API: answers for the input boxes the test workbench refuses, and its URI handler. */
export async function sessionKeeperTestApi(): Promise<TestApi> {
  const api = (await sessionKeeper()).exports as TestApi | undefined;
  assert.ok(api, 'Session Keeper returned no test API (it does so outside production mode only)');
  return api;
}

/** An opaque access token the test IdP hands out for `sub`, as an API-key console would. */
export async function mintAccessToken(sub: string): Promise<string> {
  const response = await fetch(`${issuer}/__test/mint-token?sub=${encodeURIComponent(sub)}`, { method: 'POST' });
  assert.equal(response.status, 200, 'POST /__test/mint-token');
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The test IdP's counters (GET <issuer>/__test/stats). */
export async function idpStats(): Promise<{ revocations: number; refreshTokenReuse: number; grantsRevoked: number }> {
  const response = await fetch(`${issuer}/__test/stats`);
  assert.equal(response.status, 200, 'GET /__test/stats');
  return response.json() as Promise<{ revocations: number; refreshTokenReuse: number; grantsRevoked: number }>;
}

/** A token is a secret: tests check its shape and never print it. */
export function assertUsableAccessToken(session: vscode.AuthenticationSession): void {
  assert.equal(typeof session.accessToken, 'string');
  assert.ok(session.accessToken.length > 0, 'the access token is empty');
  assert.ok(!/\s/.test(session.accessToken), 'the access token contains whitespace');
}

/**
 * Breaches of a contract, collected so one run reports all of them: each kind once, with how often
 * it happened and the detail of its first occurrence. `assertNone` fails with the whole list.
 */
export class Breaches {
  private readonly seen = new Map<string, { count: number; first: string }>();

  add(kind: string, detail = ''): void {
    const known = this.seen.get(kind);
    if (known) known.count += 1;
    else this.seen.set(kind, { count: 1, first: detail });
  }

  assertNone(contract: string): void {
    if (this.seen.size === 0) return;
    const lines = [...this.seen].map(([kind, { count, first }]) =>
      count > 1 ? `- ${kind} (${count} times)${first ? `; first: ${first}` : ''}` : `- ${kind}${first ? ` (${first})` : ''}`,
    );
    assert.fail(`${contract}:\n${lines.join('\n')}`);
  }
}
