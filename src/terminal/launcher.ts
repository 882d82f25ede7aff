// The launcher terminals find on PATH: a tiny script in the extension's global storage that runs
// dist/cli.js on the runtime VS Code ships (its extension host's execPath, with
// ELECTRON_RUN_AS_NODE=1, as VS Code's git extension runs its askpass helper). In code-server the
// host's execPath is Node itself, where the variable is harmless. No Node install is needed.
import { chmodSync, lstatSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeProblem, privateDirProblem } from './ownership';

export const COMMAND_NAME = 'session-keeper';

/** A POSIX shell word for any string. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function posixLauncher(execPath: string, cliPath: string): string {
  return `#!/bin/sh\n# Written by Session Keeper: runs its terminal command on VS Code's own runtime.\nELECTRON_RUN_AS_NODE=1 exec ${shellQuote(execPath)} ${shellQuote(cliPath)} "$@"\n`;
}

export function windowsLauncher(execPath: string, cliPath: string): string {
  // cmd has no quoting for '"' inside quotes; such paths do not occur on Windows.
  return `@echo off\r\nsetlocal\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${execPath}" "${cliPath}" %*\r\nexit /b %ERRORLEVEL%\r\n`;
}

/**
 * The launcher's folder, created 0700 (or brought to 0700 when an older version left it wider) and
 * then checked: it goes first on PATH, so nobody else may be able to put a program in it.
 */
export function privateBinDir(storageDir: string, uid: number): string {
  const bin = join(storageDir, 'bin');
  mkdirSync(storageDir, { recursive: true });
  try {
    mkdirSync(bin, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const s = lstatSync(bin);
  // Only a real directory of ours is tightened; anything else is refused below.
  if (s.isDirectory() && !s.isSymbolicLink() && s.uid === uid && (s.mode & 0o777) !== 0o700) chmodSync(bin, 0o700);
  const problem = privateDirProblem(bin, uid);
  if (problem) throw new Error(`the launcher's folder cannot be used: ${describeProblem(problem, bin)}`);
  return bin;
}

/** Writes (atomically replaces) bin/session-keeper, and bin/session-keeper.cmd on Windows; returns the bin dir. */
export function writeLauncher(storageDir: string, execPath: string, cliPath: string, platform: NodeJS.Platform = process.platform): string {
  // Windows has no POSIX owners or modes; the folder lives in the user's profile, which Windows keeps private.
  const bin = platform === 'win32' || !process.getuid ? join(storageDir, 'bin') : privateBinDir(storageDir, process.getuid());
  if (platform === 'win32') mkdirSync(bin, { recursive: true });
  const write = (name: string, text: string) => {
    const file = join(bin, name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o700 });
    chmodSync(tmp, 0o700);
    renameSync(tmp, file);
  };
  if (platform === 'win32') write(`${COMMAND_NAME}.cmd`, windowsLauncher(execPath, cliPath));
  else write(COMMAND_NAME, posixLauncher(execPath, cliPath));
  return bin;
}

/**
 * Whether the terminals of a window can reach this extension host's socket and launcher: not when
 * the window is remote (`remoteName`) and this host is the local UI one, for then the terminals
 * run on the remote machine.
 */
export function terminalsReachHere(remoteName: string | undefined, runsInUiHost: boolean): boolean {
  return remoteName === undefined || !runsInUiHost;
}
