// The launcher terminals find on PATH: a tiny script in the extension's global storage that runs
// dist/cli.js on the runtime VS Code ships (its extension host's execPath, with
// ELECTRON_RUN_AS_NODE=1, as VS Code's git extension runs its askpass helper). In code-server the
// host's execPath is Node itself, where the variable is harmless. No Node install is needed.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Writes (atomically replaces) bin/session-keeper, and bin/session-keeper.cmd on Windows; returns the bin dir. */
export function writeLauncher(storageDir: string, execPath: string, cliPath: string, platform: NodeJS.Platform = process.platform): string {
  const bin = join(storageDir, 'bin');
  mkdirSync(bin, { recursive: true });
  const write = (name: string, text: string, mode: number) => {
    const file = join(bin, name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, file);
  };
  if (platform === 'win32') write(`${COMMAND_NAME}.cmd`, windowsLauncher(execPath, cliPath), 0o755);
  else write(COMMAND_NAME, posixLauncher(execPath, cliPath), 0o755);
  return bin;
}
