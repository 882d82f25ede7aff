// Command ids, as contributed in package.json.
export const Command = {
  signIn: 'sessionKeeper.signIn',
  signOut: 'sessionKeeper.signOut',
  switchAccount: 'sessionKeeper.switchAccount',
  /** The tree's "Switch to This Account"; needs an account row, so it is not in the palette. */
  switchToAccount: 'sessionKeeper.switchToAccount',
  refreshNow: 'sessionKeeper.refreshNow',
  showLog: 'sessionKeeper.showLog',
  addProvider: 'sessionKeeper.addProvider',
  statusBarMenu: 'sessionKeeper.statusBarMenu',
} as const;
export type CommandId = (typeof Command)[keyof typeof Command];
