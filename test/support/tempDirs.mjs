// Temp folders of test runs ("sk-*" in the system temp dir), with one policy for every layer:
// a folder is removed when its user is done with it, when the process exits, and when the run is
// interrupted (Ctrl+C, SIGTERM, SIGHUP). SK_TEST_KEEP=1 keeps them all, and each kept folder is
// named on stdout ("kept /tmp/sk-vscode-…"). See tempDirs.d.mts for the API.
import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

export const keepTempDirs = process.env.SK_TEST_KEEP === '1';

/** @type {Set<string>} */
const live = new Set();
/** @type {Set<() => unknown>} */
const interruptHandlers = new Set();
/** @type {Set<() => void>} */
const exitHandlers = new Set();

/** A fresh `<tmp>/<prefix>XXXXXX`, removed at the latest when the process exits. */
export function makeTempDir(prefix) {
  if (!/^sk-[\w-]*$/.test(prefix)) throw new TypeError(`temp dir prefixes start with "sk-", got "${prefix}"`);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  return dir;
}

/** Removes `dir` now (or keeps and names it with SK_TEST_KEEP=1). Returns whether it was removed. */
export function removeTempDir(dir) {
  live.delete(dir);
  if (keepTempDirs) {
    console.log(`kept ${dir}`);
    return false;
  }
  // Processes that were just killed may still be closing files in it.
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  return true;
}

/** Runs `fn` (awaited, at most 30 s for all of them) before the process exits on a signal. */
export function onInterrupt(fn) {
  interruptHandlers.add(fn);
  return () => interruptHandlers.delete(fn);
}

/** Runs `fn` synchronously when the process exits, before the temp folders are removed. */
export function onExit(fn) {
  exitHandlers.add(fn);
  return () => exitHandlers.delete(fn);
}

process.on('exit', () => {
  for (const fn of exitHandlers) {
    try {
      fn();
    } catch {
      // the folders go anyway
    }
  }
  for (const dir of [...live]) {
    try {
      removeTempDir(dir);
    } catch (e) {
      console.error(`could not remove ${dir}: ${e.message}`);
    }
  }
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    // A terminal's Ctrl+C reaches this process directly and again through npm: clean up once.
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping`);
    const code = 128 + constants.signals[signal];
    const giveUp = setTimeout(() => process.exit(code), 30_000);
    giveUp.unref();
    void Promise.allSettled([...interruptHandlers].map(async (fn) => fn())).finally(() => process.exit(code));
  });
}
