// A stand-in for "any other extension": every authentication call here is made on behalf of
// this extension, so VS Code applies its per-extension access rules, as it would for a real caller.
const vscode = require('vscode');

const TRIVIAL = { id: 'session-keeper-tests.trivial', label: 'Trivial Test Provider' };

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
    /**
     * Registers the simplest provider that does the job (one fixed session, filtered by scope), as
     * the baseline for timing getSession through Session Keeper in the same window.
     */
    registerTrivialProvider: () => {
      const session = { id: 'trivial', accessToken: 'trivial-token', account: { id: 'trivial', label: 'trivial' }, scopes: ['openid'] };
      // Signed out until createSession, so a request for it is a sign-in request, as for Session Keeper.
      let sessions = [];
      const changed = new vscode.EventEmitter();
      const registration = vscode.authentication.registerAuthenticationProvider(TRIVIAL.id, TRIVIAL.label, {
        onDidChangeSessions: changed.event,
        getSessions: async (scopes) => sessions.filter((s) => (scopes ?? []).every((x) => s.scopes.includes(x))),
        createSession: async () => {
          sessions = [session];
          changed.fire({ added: [session], removed: [], changed: [] });
          return session;
        },
        removeSession: async () => undefined,
      });
      context.subscriptions.push(registration, changed);
      return TRIVIAL;
    },
  };
}

module.exports = { activate };
