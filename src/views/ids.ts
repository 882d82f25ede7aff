// Names the package.json contributions refer to.
export const ACCOUNTS_VIEW = 'sessionKeeper.accounts';
export const STATUS_BAR_SETTING = 'sessionKeeper.statusBar.enabled';

/** Context keys for `when` clauses: the welcome views and which commands the palette offers. */
export const ContextKey = {
  hasProviders: 'sessionKeeper.hasProviders',
  hasAccounts: 'sessionKeeper.hasAccounts',
} as const;
