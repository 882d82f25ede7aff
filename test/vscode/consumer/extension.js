// A stand-in for "any other extension": every authentication call here is made on behalf of
// this extension, so VS Code applies its per-extension access rules, as it would for a real caller.
const vscode = require('vscode');

function activate(context) {
  const sessionChanges = new Map();
  context.subscriptions.push(
    vscode.authentication.onDidChangeSessions((e) => {
      sessionChanges.set(e.provider.id, (sessionChanges.get(e.provider.id) ?? 0) + 1);
    }),
  );
  return {
    getSession: (providerId, scopes, options) => vscode.authentication.getSession(providerId, scopes, options),
    getAccounts: (providerId) => vscode.authentication.getAccounts(providerId),
    /** How many onDidChangeSessions events this extension has seen for the provider. */
    sessionChangeCount: (providerId) => sessionChanges.get(providerId) ?? 0,
  };
}

module.exports = { activate };
