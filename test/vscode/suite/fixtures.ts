// The cast of the in-editor tests: Session Keeper, the test consumer (any other extension) and the IdP.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { issuer } from './ui';

export const sessionKeeperId = 'session-keeper.session-keeper';
export const consumerId = 'session-keeper-tests.consumer';

/** What test/vscode/consumer/extension.js returns from activate(). */
export interface ConsumerApi {
  getSession(providerId: string, scopes: readonly string[], options?: vscode.AuthenticationGetSessionOptions): Promise<vscode.AuthenticationSession | undefined>;
  getAccounts(providerId: string): Promise<readonly vscode.AuthenticationSessionAccountInformation[]>;
  sessionChangeCount(providerId: string): number;
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
