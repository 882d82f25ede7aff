// Every id Session Keeper contributes or stores under, in one place: package.json names the same.
// No vscode import: the engine uses the storage keys.

/** `<publisher>.<name>`: the authority of the URI-handler redirect (`vscode://session-keeper.session-keeper/callback`). */
export const EXTENSION_ID = 'session-keeper.session-keeper';

/** Settings (contributes.configuration). */
export const Setting = {
  /** Application-scoped: a workspace cannot change where sessions go. */
  providers: 'sessionKeeper.providers',
  statusBarEnabled: 'sessionKeeper.statusBar.enabled',
  refreshLeadTimeMinutes: 'sessionKeeper.refresh.leadTimeMinutes',
  /** Application-scoped: only the user can say that a remote server's 127.0.0.1 is their own computer. */
  remoteAllowLoopbackHttp: 'sessionKeeper.remote.allowLoopbackHttp',
} as const;

/** Commands (contributes.commands). */
export const Command = {
  signIn: 'sessionKeeper.signIn',
  signOut: 'sessionKeeper.signOut',
  switchAccount: 'sessionKeeper.switchAccount',
  /** The tree's "Switch to This Account"; needs an account row, so it is not in the palette. */
  switchToAccount: 'sessionKeeper.switchToAccount',
  refreshNow: 'sessionKeeper.refreshNow',
  /** Background renewal of an account off (only Refresh Now renews it) or on again. */
  turnOffAutoRefresh: 'sessionKeeper.turnOffAutoRefresh',
  turnOnAutoRefresh: 'sessionKeeper.turnOnAutoRefresh',
  showLog: 'sessionKeeper.showLog',
  addProvider: 'sessionKeeper.addProvider',
  statusBarMenu: 'sessionKeeper.statusBarMenu',
  /** Programs in a workspace folder's terminals may use the account for a work day, after a modal question (a grant's row, or the palette). */
  allowTerminalAccess: 'sessionKeeper.allowTerminalAccess',
  /** Removes one terminal grant: programs in its folder are asked again. */
  revokeTerminalAccess: 'sessionKeeper.revokeTerminalAccess',
} as const;
export type CommandId = (typeof Command)[keyof typeof Command];

/** The view container and its view (contributes.viewsContainers, contributes.views). */
export const View = {
  container: 'sessionKeeper',
  accounts: 'sessionKeeper.accounts',
} as const;

/** Context keys for `when` clauses: the welcome views and which commands the palette offers. */
export const ContextKey = {
  hasProviders: 'sessionKeeper.hasProviders',
  hasAccounts: 'sessionKeeper.hasAccounts',
} as const;

/** The status bar item's id. */
export const STATUS_BAR_ITEM = 'sessionKeeper.status';

/** Every key Session Keeper writes to SecretStorage or globalState starts with this. */
export const STORAGE_PREFIX = 'sessionKeeper';

/** globalState: the account each provider shows first (account ids only, never tokens). */
export const ACTIVE_ACCOUNTS_KEY = `${STORAGE_PREFIX}.activeAccounts`;

/** globalState: terminal grants per account and folder (ids, folder paths, times, the asking program as shown; never tokens). */
export const TERMINAL_ACCESS_KEY = `${STORAGE_PREFIX}.terminalAccess`;
