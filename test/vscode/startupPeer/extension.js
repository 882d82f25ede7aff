// Nothing of its own: VS Code activates the dependency (GitHub Authentication) before this, at
// onStartupFinished, the event Session Keeper activates on.
function activate() {}

module.exports = { activate };
