// `npm run demo`: VS Code in your browser (code-server, on this machine only) with the packaged
// Session Keeper installed and configured for a local OpenID Provider with two demo users, and for
// a local service with a cookie session (an endpoint session, no OAuth).
//   npm run demo -- [--port 8080] [--idp-port 9400]
// Ctrl+C stops the identity provider and code-server with all its processes.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { format, parseArgs, stripVTControlCharacters } from 'node:util';
import { ensureCodeServer } from './ensure-code-server.mjs';
import { DEFAULT_USERS, startIdp } from '../test/idp/idp.mjs';
import { tsImport } from 'tsx/esm/api';
import { jsonServiceSetting } from '../test/support/jsonServiceSetting.mjs';
import { root, writeUserSettings } from '../test/vscode/fixture.mjs';

// Two-minute access tokens: Session Keeper renews at half their life, so about every minute.
// Three minutes: the status bar counts down in minutes, then seconds, then shows the renewal.
const ACCESS_TOKEN_TTL_S = 180;
const PASSWORD = 'demo'; // the demo IdP accepts any password for a known user
const vsix = join(root, 'dist', 'session-keeper.vsix');
const demoDir = join(root, '.vscode-test', 'demo');
const paths = {
  userData: join(demoDir, 'user-data'),
  extensions: join(demoDir, 'extensions'),
  workspace: join(demoDir, 'workspace'),
  tmp: join(demoDir, 'tmp'),
  idpLog: join(demoDir, 'idp.log'),
  serverLog: join(demoDir, 'code-server.log'),
};

let idp;
let service;
let server;
let stopping = false;

const USAGE = 'usage: npm run demo -- [--port 8080] [--idp-port 9400]';

function parsePorts() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8080' },
        'idp-port': { type: 'string', default: '9400' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new Failure(`${e.message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const port = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Failure(`--${name} must be a port number, got "${values[name]}"`);
    return n;
  };
  return { port: port('port'), idpPort: port('idp-port') };
}

/** An expected failure whose message says it all; printed without a stack trace. */
class Failure extends Error {}

async function assertPortFree(port, flag) {
  const probe = createServer();
  const error = await new Promise((res) => probe.once('error', res).listen(port, '127.0.0.1', () => probe.close(() => res(undefined))));
  if (error) throw new Failure(`port ${port} on 127.0.0.1 is not free (${error.code}); choose another with ${flag} <port>`);
}

function step(text) {
  console.log(`• ${text}`);
}

/** Builds and packages the extension the way it ships: `npm run package`. */
function buildPackage() {
  step('Building and packaging the extension (npm run package)');
  const r = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8' });
  const output = stripVTControlCharacters(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0) {
    console.error(output);
    throw new Failure(`npm run package failed (exit ${r.status ?? r.error?.message})`);
  }
  // vsce warnings mean something is wrong with the package; show them instead of hiding them.
  for (const line of output.split('\n').filter((l) => /^\s*WARNING\b/.test(l))) console.log(`  ${line.trim()}`);
  console.log(`  ${relative(root, vsix)} (${(statSync(vsix).size / 1024).toFixed(0)} KB)`);
}

/** code-server needs Node 24; `npm run` already puts the project's Node 24 first. */
function node24() {
  return process.version.startsWith('v24.') ? process.execPath : join(root, 'node_modules', '.bin', 'node');
}

/** A fresh profile each run: the IdP starts empty too, so old sessions would only fail. */
function prepareProfile(issuer, serviceUrl) {
  rmSync(demoDir, { recursive: true, force: true });
  for (const dir of [paths.userData, paths.extensions, paths.workspace, paths.tmp]) mkdirSync(dir, { recursive: true });
  writeUserSettings(paths.userData, {
    // code-server runs Session Keeper on the server, and the demo's IdP and service listen on its
    // 127.0.0.1: the server is this computer, which the user has to say (README, remote windows).
    'sessionKeeper.remote.allowLoopbackHttp': true,
    'sessionKeeper.providers': [
      { id: 'demo', label: 'Demo SSO', issuer, clientId: 'session-keeper' },
      // An endpoint session: no OAuth, a cookie session renewed at the service's own endpoint.
      jsonServiceSetting(serviceUrl, { id: 'dashboard', label: 'Team Dashboard' }),
    ],
    'workbench.secondarySideBar.defaultVisibility': 'hidden', // an empty chat pane otherwise
  });
}

function installExtension(entry) {
  step('Installing the .vsix into .vscode-test/demo/extensions');
  const r = spawnSync(
    node24(),
    [entry, '--install-extension', vsix, '--extensions-dir', paths.extensions, '--user-data-dir', paths.userData],
    {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: paths.tmp },
    },
  );
  if (r.status !== 0 || !/successfully installed/.test(r.stdout)) {
    console.error(`${r.stdout}${r.stderr}`);
    throw new Failure(`code-server --install-extension failed (exit ${r.status})`);
  }
}

async function startIdentityProvider(idpPort) {
  // oidc-provider's development notices go to a log file, not the terminal.
  console.info = console.warn = (...args) => appendFileSync(paths.idpLog, `${format(...args)}\n`);
  idp = await startIdp({ port: idpPort, accessTokenTtl: ACCESS_TOKEN_TTL_S, users: DEFAULT_USERS });
  watchIdp();
}

/** Reports sign-ins and renewals as the IdP sees them (counts only, never tokens). */
function watchIdp() {
  let last = idp.stats();
  const timer = setInterval(() => {
    const now = idp.stats();
    const time = new Date().toLocaleTimeString();
    const signIns = now.tokensIssued - now.refreshes - (last.tokensIssued - last.refreshes);
    if (signIns > 0) console.log(`  ${time}  IdP: sign-in completed`);
    if (now.refreshes > last.refreshes) console.log(`  ${time}  IdP: session renewed with its refresh token`);
    if (now.revocations > last.revocations) console.log(`  ${time}  IdP: token revoked (sign-out)`);
    if (now.invalidGrant > last.invalidGrant) console.log(`  ${time}  IdP: refused an invalid or expired grant`);
    last = now;
  }, 1_000);
  timer.unref();
}

/** The test suite's JSON session service: a cookie session that rotates its `sid` on every renewal. */
async function startDashboard() {
  const { startJsonSessionService } = await tsImport('../test/support/jsonSessionService.ts', import.meta.url);
  service = await startJsonSessionService({ lifetimeS: ACCESS_TOKEN_TTL_S });
  let renewals = service.stats.renewals;
  const timer = setInterval(() => {
    if (service.stats.renewals > renewals)
      console.log(`  ${new Date().toLocaleTimeString()}  Team Dashboard: session renewed, cookie rotated`);
    renewals = service.stats.renewals;
  }, 1_000);
  timer.unref();
}

/** Starts code-server in its own process group: its extension hosts must not outlive the demo. */
async function startCodeServer(entry, port) {
  step(`Starting code-server on 127.0.0.1:${port}`);
  const log = openSync(paths.serverLog, 'a');
  const child = spawn(
    node24(),
    [
      entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      paths.userData,
      '--extensions-dir',
      paths.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      paths.workspace,
    ],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, TMPDIR: paths.tmp } },
  );
  closeSync(log); // the child has its own copy
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  server = { pid: child.pid, exited, running: true };
  exited.then(() => {
    server.running = false;
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!server.running) throw new Failure(`code-server exited while starting; see ${paths.serverLog}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Failure(`code-server did not answer within 60 s; see ${paths.serverLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`\ncode-server stopped unexpectedly (${signal ?? `exit ${code}`}); see ${paths.serverLog}`);
    void shutdown(1);
  });
}

function killGroup(signal) {
  try {
    process.kill(-server.pid, signal);
  } catch {
    // already gone
  }
}

function groupAlive() {
  try {
    process.kill(-server.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops code-server (and every extension host it started) and the IdP, then exits. */
async function shutdown(exitCode) {
  if (stopping) return;
  stopping = true;
  if (server || idp) console.log('\nStopping the demo…');
  if (server) {
    if (server.running) {
      killGroup('SIGTERM');
      await Promise.race([server.exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    // Extension hosts wait hours for a reconnecting browser unless killed.
    killGroup('SIGKILL');
    for (let i = 0; i < 50 && groupAlive(); i += 1) await new Promise((r) => setTimeout(r, 100));
  }
  await idp?.close();
  await service?.close();
  if (server || idp) console.log('Stopped.');
  process.exit(exitCode);
}

function printInstructions(port) {
  const users = Object.keys(DEFAULT_USERS).join(' or ');
  console.log(`
Session Keeper demo is running.

  Open      http://127.0.0.1:${port}/   in a browser on this machine
  Sign in   as ${users}, password "${PASSWORD}" (any password works)

  1. Click the Session Keeper icon (the shield) in the activity bar → Sign In, or run
     "Session Keeper: Sign In…" from the Command Palette (F1).
  2. In the tab that opens, log in and allow access; the tab then says you can close it.
  3. You are signed in: the Accounts menu (bottom left) lists the account under Demo SSO.
     Watch the Session Keeper view and the status bar: access tokens live ${ACCESS_TOKEN_TTL_S / 60} minutes and are
     renewed when about 90 seconds are left, so the countdown turns to seconds, then shows "renewing…"
     and starts again; the tooltip tells when it last renewed.

  A service without OAuth: sign in to "Team Dashboard" (the view, or F1 → Session Keeper: Sign In…)
  and paste this Cookie header, as you would copy it from a browser:

     sid=${service.current().sid}

  Session Keeper renews it at the service's endpoint and stores the rotated cookie each time.
  (The cookie changes with every renewal: after a sign-out, restart the demo for a new one.)

  Identity provider  ${idp.issuer}   (starts empty every run; sign in again after a restart)
  Logs               ${relative(root, paths.serverLog)}; in VS Code, run "Session Keeper: Show Log"

Press Ctrl+C to stop.
`);
}

async function main() {
  const { port, idpPort } = parsePorts();
  await assertPortFree(port, '--port');
  await assertPortFree(idpPort, '--idp-port');
  buildPackage();
  const entry = ensureCodeServer();
  const issuer = `http://127.0.0.1:${idpPort}`;
  await startDashboard();
  prepareProfile(issuer, service.url);
  installExtension(entry);
  step(`Starting the identity provider at ${issuer}`);
  await startIdentityProvider(idpPort);
  await startCodeServer(entry, port);
  printInstructions(port);
}

// `npm run` forwards Ctrl+C to this process as well, so a second SIGINT is normal: ignore repeats.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(0));
process.on('exit', () => {
  if (server) killGroup('SIGKILL');
}); // last resort
// npm passes SIGTERM only to its shell, which dies without passing it on: notice the lost parent.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0);
}, 1_000).unref();

main().catch((e) => {
  if (stopping) return; // Ctrl+C during start-up: shutdown() is already under way
  console.error(`\ndemo failed: ${e instanceof Failure ? e.message : e.stack}`);
  void shutdown(1);
});
