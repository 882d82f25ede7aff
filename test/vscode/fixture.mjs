// What every launcher of the in-editor suite sets up: a user-data dir whose settings configure the
// provider under test, the test consumer installed beside Session Keeper, and the suite's environment.
import { tsImport } from 'tsx/esm/api';
import { jsonServiceSetting } from '../support/jsonServiceSetting.mjs';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the folder holding the extension's package.json. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const consumerDir = join(root, 'test', 'vscode', 'consumer');
/** Brings the built-in GitHub Authentication up at startup with Session Keeper (suite/latency.test.ts). */
export const startupPeerDir = join(root, 'test', 'vscode', 'startupPeer');
/** The bundled suite, as VS Code wants extensionTestsPath: without `.js`. */
export const suitePath = join(root, 'out', 'test', 'vscode', 'suite', 'index');

/** Settings that keep the workbench quiet and offline-friendly. */
export const quietSettings = {
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
};

/**
 * `otherFlows` adds the same issuer through the device code and a pasted token (the in-editor suite's flows tests);
 * `endpointService` (the JSON session service's origin) adds the endpoint provider "dash" (suite/endpoint.test.ts).
 */
export function providerSettings(issuer, { otherFlows = false, endpointService = undefined } = {}) {
  return {
    // code-server runs the extension on the server, whose 127.0.0.1 the test IdP and services share
    // with the browser: this machine is the user's, which only the user may say (README, remote windows).
    'sessionKeeper.remote.allowLoopbackHttp': true,
    'sessionKeeper.providers': [
      {
        id: 'acme',
        label: 'Acme SSO',
        issuer,
        clientId: 'session-keeper',
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        // The tests of this provider drive the browser redirect.
        flows: ['loopback'],
      },
      // The same issuer through the device code and through a pasted token (suite/flows.test.ts).
      ...(otherFlows
        ? [
            { id: 'acme-device', label: 'Acme Device', issuer, clientId: 'session-keeper', flows: ['device'] },
            { id: 'acme-token', label: 'Acme Token', issuer, clientId: 'session-keeper', flows: ['paste'] },
          ]
        : []),
      // A cookie session renewed at the JSON service: the pasted Cookie header in, its token out.
      ...(endpointService ? [jsonServiceSetting(endpointService, { id: 'dash', label: 'Dash' })] : []),
    ],
  };
}

/** Tokens of the endpoint service live this long, so renewals happen during a test. */
export const ENDPOINT_TOKEN_LIFETIME_S = 20;

/**
 * The JSON session service (test/support/jsonSessionService.ts) in this process, so it outlives the
 * window reloads, and its HTTP controls on a port of their own for the suite.
 * @returns {Promise<{ url: string, controlUrl: string, close: () => Promise<void> }>}
 */
export async function startEndpointService() {
  /** @type {typeof import('../support/jsonSessionService')} */
  const { startJsonSessionService, serveControl } = await tsImport('../support/jsonSessionService.ts', import.meta.url);
  const service = await startJsonSessionService({ lifetimeS: ENDPOINT_TOKEN_LIFETIME_S });
  try {
    const control = await serveControl(service);
    return {
      url: service.url,
      controlUrl: control.url,
      close: async () => {
        await control.close();
        await service.close();
      },
    };
  } catch (e) {
    await service.close();
    throw e;
  }
}

export function writeUserSettings(userDataDir, settings) {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...settings }, null, 2) + '\n');
}

/** Installs an unpacked extension the way VS Code lays out installed ones; no extensions.json is needed. */
export function installExtension(extensionDir, extensionsDir) {
  const { publisher, name, version } = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8'));
  cpSync(extensionDir, join(extensionsDir, `${publisher}.${name}-${version}`), { recursive: true });
}

/** Lays out `dir` for one run; the suite starts in phase 1 (see suite/index.ts). */
export function prepareProfile({ dir, issuer, otherFlows = false, endpointService = undefined }) {
  const profile = {
    userDataDir: join(dir, 'user-data'),
    extensionsDir: join(dir, 'extensions'),
    workspaceDir: join(dir, 'workspace'),
  };
  for (const d of Object.values(profile)) mkdirSync(d, { recursive: true });
  // A second folder, and a workspace of both, for the phase that needs two workspace folders (suite/index.ts).
  const secondFolderDir = join(dir, 'workspace-b');
  mkdirSync(secondFolderDir, { recursive: true });
  const multiRootWorkspace = join(dir, 'two-folders.code-workspace');
  writeFileSync(
    multiRootWorkspace,
    JSON.stringify({ folders: [{ path: profile.workspaceDir }, { path: secondFolderDir }] }, null, 2) + '\n',
  );
  Object.assign(profile, { secondFolderDir, multiRootWorkspace });
  writeUserSettings(profile.userDataDir, providerSettings(issuer, { otherFlows, endpointService }));
  installExtension(consumerDir, profile.extensionsDir);
  installExtension(startupPeerDir, profile.extensionsDir);
  writePhase(dir, 1);
  return profile;
}

export function writePhase(dir, phase) {
  writeFileSync(join(dir, 'phase'), `${phase}\n`);
}

export function readPhase(dir) {
  return Number(readFileSync(join(dir, 'phase'), 'utf8'));
}

/**
 * The suite's environment (the extension host inherits it from the server).
 * `ui` is how UI steps happen: 'browser' (a driver clicks in the page) or 'commands' (no driver).
 * `serviceControl` is the endpoint service's control URL, when there is one.
 */
export function suiteEnv({ dir, issuer, ui, serviceControl = undefined }) {
  return { SK_TEST_ISSUER: issuer, SK_TEST_DIR: dir, SK_TEST_UI: ui, ...(serviceControl && { SK_TEST_SERVICE_CONTROL: serviceControl }) };
}
