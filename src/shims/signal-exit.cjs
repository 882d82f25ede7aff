// Stands in for signal-exit in the bundle. proper-lockfile uses it to drop its locks on exit, which
// would patch process.emit and add signal handlers in an extension host that other extensions
// share. Our locks are leases that another window breaks within seconds, so nothing is lost.
module.exports = function onExit() {
  return function remove() {};
};
