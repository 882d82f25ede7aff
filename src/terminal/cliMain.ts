// Entry point of dist/cli.js, run by the launcher in the extension's global storage (bin/session-keeper).
import { callerInfo, parentProcessName, readStdin, runCli } from './cli';

runCli(process.argv.slice(2), {
  env: process.env,
  readStdin: () => readStdin(process.stdin),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: () => process.cwd(),
  parentName: () => parentProcessName(),
  caller: () => callerInfo(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`session-keeper: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
