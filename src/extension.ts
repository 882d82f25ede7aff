import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { Setting, STORAGE_PREFIX, TERMINAL_ACCESS_KEY } from './contributions';
import { affectsNetworkSettings, loopbackIsLocal, readNetworkSettings, runsOnRemoteServer } from './editor/network';
import { notifyQuarantine, notifySignInNeeded, notifyStaleWindow } from './editor/notifications';
import { ProviderRegistry } from './editor/registry';
import { signInInteractively } from './editor/signIn';
import { AppUriHandler, ScriptedInputs, createFlowHost, currentHostKind } from './editor/flowHost';
import { systemClock } from './session/base/clock';
import { onListenerError } from './session/base/events';
import { FileCoordinator } from './session/storage/coordination';
import { SessionKeeperEngine } from './session/engine';
import { REQUEST_TIMEOUT_MS, createFetch } from './session/net/http';
import * as l10n from '@vscode/l10n';
import { createLogger } from './session/base/log';
import { describeError } from './session/base/errors';
import { defaultPolicy, type RefreshPolicy } from './session/refresh/refresher';
import type { ProviderSummary } from './session/model';
import { SessionStore } from './session/storage/store';
import { registerViews } from './views';
import { askTerminalAccess } from './commands/terminalAccess';
import { timeFormatter } from './views/clock';
import { GRANT_LIFETIME_MS, TerminalAccess, type Grant } from './terminal/consent';
import { FolderSecrets, type TerminalFolder } from './terminal/folders';
import { terminalsReachHere, writeLauncher } from './terminal/launcher';
import { ENV_FOLDER_SECRET, ENV_IPC, ENV_SECRET } from './terminal/protocol';
import { TerminalServer, createTokenHandler, newChannel, newSecret, type TokenSource } from './terminal/server';

/** What the extension returns outside production (the in-editor tests): answers for input boxes the test workbench refuses. */
export interface TestApi {
  readonly inputs: ScriptedInputs;
  readonly uriHandler: AppUriHandler;
  /** Every "Sign In Again" notice this window showed, in order; on screen the workbench merges identical ones. */
  readonly signInNotices: readonly SignInNotice[];
  /** What the views show: providers, accounts and their health, without token material. */
  providers(): ProviderSummary[];
  /** Signs an account out without the confirmation the test workbench refuses to show. */
  signOut(providerId: string, accountId: string): Promise<void>;
  /** The terminal grants of a provider's accounts, as the Accounts view lists them. */
  terminalGrants(providerId: string): ReadonlyMap<string, readonly Grant[]>;
}

export interface SignInNotice {
  readonly providerId: string;
  readonly accountLabel: string;
  readonly message: string;
}

export async function activate(context: vscode.ExtensionContext): Promise<TestApi | undefined> {
  // The engine and the pure view modules translate through @vscode/l10n, from the bundle VS Code loaded.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  const channel = vscode.window.createOutputChannel('Session Keeper', { log: true });
  const logger = createLogger(channel);
  const showLog = () => channel.show(true);
  onListenerError((err) => logger.error(`An event listener failed: ${describeError(err)}`));

  // Files every window of this user shares: locks and generation records, never tokens.
  const coordinator = new FileCoordinator(vscode.Uri.joinPath(context.globalStorageUri, 'coordination').fsPath, systemClock, true, {
    onLockCompromised: (message) => logger.warn(message),
  });
  const store = new SessionStore(context.secrets, context.globalState, logger, {
    coordinator,
    onQuarantine: notifyQuarantine,
  });
  await store.load();

  // VS Code's proxy and certificate settings, read again when they change. Where none names a proxy,
  // the extension host's own fetch, which VS Code extends with the system's proxy configuration
  // and certificates; undici loads on the first request that needs it. On a remote server the
  // server's environment and loopback are not the user's (session/net/http.ts).
  let network = readNetworkSettings();
  const remoteServer = runsOnRemoteServer(context.extension);
  const loopback = () => loopbackIsLocal(remoteServer);
  if (remoteServer) {
    logger.info(
      `Running on a remote server (${vscode.env.remoteName}): its proxy and certificate variables are not used, and plain http to its 127.0.0.1 ${loopback() ? 'is allowed (sessionKeeper.remote.allowLoopbackHttp)' : 'is refused'}`,
    );
  }
  const fetch = createFetch(REQUEST_TIMEOUT_MS, {
    network: () => network,
    systemFetch: (url, init) => globalThis.fetch(url, init),
    remoteServer,
    loopbackIsLocal: loopback,
  });
  const uriHandler = new AppUriHandler();
  const scripted = context.extensionMode === vscode.ExtensionMode.Production ? undefined : new ScriptedInputs();
  const signInNotices: SignInNotice[] = [];
  const policy: { -readonly [K in keyof RefreshPolicy]: RefreshPolicy[K] } = { ...defaultPolicy, leadMs: leadTime() };
  const engine: SessionKeeperEngine = new SessionKeeperEngine({
    store,
    clock: systemClock,
    logger,
    fetch,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    policy,
    coordinator,
    memento: context.globalState,
    signIn: (config, client, request) =>
      signInInteractively(config, client, request, {
        logger,
        showLog,
        hostKind: currentHostKind,
        host: (report) => createFlowHost({ uriHandler, scripted, report }),
      }),
    onSignInNeeded: (account, message) => {
      const provider = engine.providers().find((p) => p.id === account.providerId);
      if (scripted) signInNotices.push({ providerId: account.providerId, accountLabel: account.account.label, message });
      notifySignInNeeded(provider?.label ?? account.providerId, account.account.label, message, () => engine.signIn(account.providerId));
    },
    onStaleWindow: notifyStaleWindow,
    loopbackIsLocal: loopback,
  });
  const registry = new ProviderRegistry(engine, logger);
  registry.sync();

  const formatTime = timeFormatter(vscode.env.language, () => engine.now());
  const terminalAccess = new TerminalAccess(context.globalState, TERMINAL_ACCESS_KEY);
  context.subscriptions.push({ dispose: () => terminalAccess.dispose() });
  await startTerminalChannel(context, engine, terminalAccess, formatTime, logger);

  context.subscriptions.push(
    channel,
    vscode.window.registerUriHandler(uriHandler),
    registry,
    engine,
    ...registerCommands({
      model: engine,
      logger,
      showLog,
      checkIssuer: (issuer, signal) => engine.checkIssuer(issuer, signal),
      terminalAccess: {
        grants: (providerId, accountId) => terminalAccess.grants(providerId).get(accountId) ?? [],
        folders: terminalFolders,
        allow: (providerId, accountId, scope, program) => {
          logger.info(`Terminal access for ${providerId} allowed from the Accounts view or the Command Palette`);
          return terminalAccess.decide(providerId, accountId, scope, 'allowed', program, engine.now());
        },
        revoke: (providerId, accountId, grantId) => terminalAccess.revoke(providerId, accountId, grantId, engine.now()),
        until: () => engine.now() + GRANT_LIFETIME_MS,
        formatTime,
      },
    }),
    ...registerViews({ model: engine, terminal: terminalAccess }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Setting.providers) || e.affectsConfiguration(Setting.remoteAllowLoopbackHttp)) registry.sync();
      if (e.affectsConfiguration(Setting.refreshLeadTimeMinutes)) policy.leadMs = leadTime();
      if (affectsNetworkSettings(e)) network = readNetworkSettings();
    }),
    // Desktop VS Code shares secrets between windows and tells each of them about changes.
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith(`${STORAGE_PREFIX}.`))
        store.secretChanged(e.key).catch((err) => logger.error(`Reloading sessions failed: ${describeError(err)}`));
    }),
  );
  logger.info(`Session Keeper ${context.extension.packageJSON.version} started`);
  return (
    scripted && {
      inputs: scripted,
      uriHandler,
      signInNotices,
      providers: () => engine.providers(),
      signOut: (providerId, accountId) => engine.signOut(providerId, accountId),
      terminalGrants: (providerId) => terminalAccess.grants(providerId),
    }
  );
}

/** This window's workspace folders on disk, as the terminal channel knows them (symbolic links resolved). */
function terminalFolders(): TerminalFolder[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .map((f) => {
      let path = f.uri.fsPath;
      try {
        path = realpathSync(path);
      } catch {
        // a folder that does not exist (yet): its terminals cannot start there either
      }
      return { uri: f.uri.toString(), name: f.name, path };
    });
}

/**
 * The `session-keeper` terminal command: a private socket with this window's secret, a launcher on
 * the PATH of the terminals this window opens, a secret of its own for each workspace folder's
 * terminals, and tokens from the providers' own getSessions. A failure here leaves the rest of the
 * extension working.
 */
async function startTerminalChannel(
  context: vscode.ExtensionContext,
  engine: SessionKeeperEngine,
  access: TerminalAccess,
  formatTime: (ms: number) => string,
  logger: ReturnType<typeof createLogger>,
): Promise<void> {
  const env = context.environmentVariableCollection;
  // A restored terminal of an earlier session would carry a dead channel and an old secret.
  env.persistent = false;
  if (!terminalsReachHere(vscode.env.remoteName, context.extension.extensionKind === vscode.ExtensionKind.UI)) {
    // The terminals run on the remote machine, the socket and launcher would be on this one.
    env.clear();
    logger.info(
      `The terminal command is not offered in this window: its terminals run on ${vscode.env.remoteName}, where they cannot reach Session Keeper, which runs on this computer`,
    );
    return;
  }
  const source: TokenSource = {
    providerLabel: (id) => engine.providers().find((p) => p.id === id)?.label,
    accounts: (id) =>
      (engine.providers().find((p) => p.id === id)?.accounts ?? [])
        .filter((a) => !a.dormant)
        .map((a) => ({ id: a.id, label: a.label, active: a.active })),
    getSessions: async (id, scopes, account) => (await engine.provider(id)?.getSessions(scopes, { account })) ?? [],
    expiresAt: (id, accountId, sessionId) =>
      engine
        .providers()
        .find((p) => p.id === id)
        ?.accounts.find((a) => a.id === accountId)
        ?.sessions.find((s) => s.id === sessionId)?.expiresAt,
  };
  try {
    const bin = writeLauncher(context.globalStorageUri.fsPath, process.execPath, path.join(context.extensionPath, 'dist', 'cli.js'));
    const secret = newSecret();
    const folders = new FolderSecrets();
    const server = await TerminalServer.listen({
      channel: newChannel(),
      secret,
      folderOf: (folderSecret) => folders.folderOf(folderSecret),
      logger,
      handle: createTokenHandler({
        source,
        access,
        logger,
        now: () => engine.now(),
        formatTime,
        ask: (question, answer) => askTerminalAccess(question, formatTime, answer),
      }),
    });
    context.subscriptions.push({ dispose: () => void server.close() });
    env.description = vscode.l10n.t('Lets the session-keeper command get tokens from this window.');
    env.replace(ENV_IPC, server.channel.path);
    env.replace(ENV_SECRET, secret);
    env.prepend('PATH', bin + path.delimiter);
    // Each folder's terminals get that folder's secret (VS Code matches a terminal to a folder by its working directory).
    const scopeFolders = (removed: readonly vscode.WorkspaceFolder[] = []) => {
      folders.update(terminalFolders());
      for (const f of removed) env.getScoped({ workspaceFolder: f }).delete(ENV_FOLDER_SECRET);
      // Set again for every folder: VS Code matches scopes by the folder's index, which changes when folders move.
      for (const f of vscode.workspace.workspaceFolders ?? []) {
        const folderSecret = folders.secretOf(f.uri.toString());
        if (folderSecret) env.getScoped({ workspaceFolder: f }).replace(ENV_FOLDER_SECRET, folderSecret);
      }
    };
    scopeFolders();
    context.subscriptions.push(vscode.workspace.onDidChangeWorkspaceFolders((e) => scopeFolders(e.removed)));
    logger.info('Terminal command ready: session-keeper');
  } catch (err) {
    logger.warn(`The terminal command is not available: ${describeError(err)}`);
  }
}

function leadTime(): number {
  const minutes = vscode.workspace.getConfiguration().get<number>(Setting.refreshLeadTimeMinutes, 5);
  return Math.min(60, Math.max(1, minutes)) * 60_000;
}

export function deactivate(): void {}
