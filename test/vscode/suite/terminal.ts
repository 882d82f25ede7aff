// Runs shell scripts in VS Code's integrated terminal, as a user would run a tool there: the
// terminal gets Session Keeper's environment (PATH with the launcher, the channel and the secret).
// Output goes to files in the run's temp dir; the test reads them and removes them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { testDir } from './ui';
import { waitFor } from './wait';

export interface TerminalResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the script itself ran, in ms (without the terminal's start-up). */
  readonly ms: number;
}

let count = 0;

/**
 * Runs `script` in a new integrated terminal, started in `cwd` (else where VS Code starts terminals:
 * the first folder). A URI, as VS Code's own "New Terminal" passes a folder: the workbench matches it
 * to a workspace folder, which a plain path of the remote side would not be in code-server.
 */
export async function runInTerminal(
  script: string,
  { timeoutMs = 60_000, cwd }: { timeoutMs?: number; cwd?: vscode.Uri } = {},
): Promise<TerminalResult> {
  const dir = path.join(testDir, 'terminal');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = ++count;
  const file = (ext: string) => path.join(dir, `${id}.${ext}`);
  const q = (p: string) => `'${p}'`;
  fs.writeFileSync(
    file('sh'),
    [
      `start=$(date +%s%N)`,
      `( ${script}\n) >${q(file('out'))} 2>${q(file('err'))}`,
      `rc=$?`,
      `end=$(date +%s%N)`,
      `echo "$rc $(( (end - start) / 1000000 ))" >${q(file('rc.tmp'))} && mv ${q(file('rc.tmp'))} ${q(file('rc'))}`,
      '',
    ].join('\n'),
  );
  // A plain POSIX shell: no profile scripts that could rebuild PATH.
  const terminal = vscode.window.createTerminal({ name: `session-keeper test ${id}`, shellPath: '/bin/sh', shellArgs: [file('sh')], cwd });
  try {
    const [code, ms] = (
      await waitFor(() => fs.existsSync(file('rc')) && fs.readFileSync(file('rc'), 'utf8'), `terminal script ${id}`, timeoutMs)
    )
      .trim()
      .split(' ')
      .map(Number);
    const result = { code, ms, stdout: fs.readFileSync(file('out'), 'utf8'), stderr: fs.readFileSync(file('err'), 'utf8') };
    return result;
  } finally {
    terminal.dispose();
    // Outputs may hold a token: nothing stays behind.
    for (const ext of ['sh', 'out', 'err', 'rc']) fs.rmSync(file(ext), { force: true });
  }
}

/** The message of a request from the workspace folder that must be refused because access is not allowed (yet). */
export const CONSENT_MESSAGE =
  /Terminal access for alice at Acme SSO is not allowed in the workspace folder "workspace" yet. Allow it in VS Code, then run the command again/;
