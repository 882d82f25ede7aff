// The `session-keeper` command: asks the VS Code window that opened this terminal for a fresh token
// and prints it the way a tool wants it. Pure Node (no vscode): it runs on the runtime VS Code
// ships, through the launcher the extension writes. It never waits for a person: whatever is
// missing, it says so on stderr and exits at once with a distinct code (see EXIT_CODES).
import { readFileSync, readlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { formatToken, parseGitCredentialInput } from './format';
import { describeProblem, privateDirProblem, privateSocketProblem } from './ownership';
import {
  ENV_FOLDER_SECRET,
  ENV_IPC,
  ENV_SECRET,
  EXIT_CODES,
  FORMATS,
  MAX_CALLER_CHARS,
  MAX_RESPONSE_BYTES,
  PROTOCOL_VERSION,
  RESPONSE_TIMEOUT_MS,
  exitCodeFor,
  parseResponse,
  type CallerInfo,
  type OutputFormat,
  type TerminalRequest,
  type TerminalResponse,
} from './protocol';
import { oneLine } from './text';

export const USAGE = `Usage: session-keeper --provider <id> [--account <id or name>] [--scope <scope>]... [--format <format>] [--tool <name>]

Prints a fresh access token from Session Keeper in VS Code. Works in terminals VS Code opened.

  -p, --provider <id>   identity provider id (from the sessionKeeper.providers setting)
  -a, --account <name>  account id or name; default: the provider's active account
  -s, --scope <scope>   a scope the token must have (repeat, or separate with spaces)
  -f, --format <fmt>    bare (default): the token
                        header: "Authorization: Bearer <token>" (curl -H)
                        json: {"token", "expiresAt", "account"}
                        kubectl: a client.authentication.k8s.io/v1 ExecCredential
                        git: the git credential helper protocol (get; store and erase are ignored)
      --tool <name>     what the caller says it is (VS Code shows it as claimed)
  -h, --help            this text

Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 VS Code not reachable, 4 access not allowed
(yet), 5 not signed in, 6 offline, 7 refused (this terminal's credentials are not valid).
`;

export interface CliOptions {
  readonly provider: string;
  readonly account?: string;
  readonly scopes: readonly string[];
  readonly format: OutputFormat;
  readonly tool?: string;
  /** git's operation (get, store, erase) when format is git. */
  readonly gitOperation?: string;
}

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  let provider: string | undefined;
  let account: string | undefined;
  let format: string = 'bare';
  let tool: string | undefined;
  const scopes: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '-p':
      case '--provider':
        provider = value();
        break;
      case '-a':
      case '--account':
        account = value();
        break;
      case '-s':
      case '--scope':
      case '--scopes': {
        const v = value();
        if (v === undefined) return { kind: 'error', message: `${name} needs a value` };
        scopes.push(...v.split(/\s+/).filter(Boolean));
        break;
      }
      case '-f':
      case '--format':
        format = value() ?? '';
        break;
      case '--tool':
        tool = value();
        break;
      default:
        if (arg.startsWith('-')) return { kind: 'error', message: `unknown option ${arg}` };
        positional.push(arg);
    }
  }
  if (!provider) return { kind: 'error', message: '--provider is required' };
  if (account === '') return { kind: 'error', message: '--account needs a value' };
  if (!(FORMATS as readonly string[]).includes(format))
    return { kind: 'error', message: `unknown format "${format}" (use ${FORMATS.join(', ')})` };
  // git appends its operation; nothing else takes positional arguments.
  if (format === 'git' ? positional.length > 1 : positional.length > 0)
    return { kind: 'error', message: `unexpected argument ${positional.join(' ')}` };
  return {
    kind: 'run',
    options: {
      provider,
      account,
      scopes,
      format: format as OutputFormat,
      tool,
      gitOperation: format === 'git' ? (positional[0] ?? 'get') : undefined,
    },
  };
}

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** git's credential description; only read for `get`, never from a terminal. */
  readStdin(): Promise<string>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** The command's working directory. */
  cwd(): string;
  /** The caller's process name, when the platform tells (Linux: /proc/<ppid>/comm). */
  parentName?(): string | undefined;
  /** The caller's command line and directory, when the platform tells (Linux: /proc/<ppid>). */
  caller?(): CallerInfo;
}

const shells = new Set(['sh', 'bash', 'zsh', 'dash', 'fish', 'ksh', 'mksh', 'tcsh', 'csh', 'pwsh', 'powershell', 'cmd', 'nu', 'xonsh']);
const toolPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/;

/** Who is asking, for the Accounts view: --tool, else the calling program unless it is a shell, else the format's tool. */
export function toolName(options: CliOptions, parent: string | undefined): string {
  const candidates = [options.tool, parent && !shells.has(parent.replace(/\.exe$/i, '').toLowerCase()) ? parent : undefined];
  for (const c of candidates) if (c && toolPattern.test(c)) return c;
  return options.format === 'kubectl' || options.format === 'git' ? options.format : 'shell';
}

/** Runs the command; returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout(USAGE);
    return EXIT_CODES.ok;
  }
  if (parsed.kind === 'error') {
    io.stderr(`session-keeper: ${parsed.message}\n\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  const { options } = parsed;
  // git's store and erase: the token lives in VS Code, nothing to keep or forget here.
  if (options.gitOperation !== undefined && options.gitOperation !== 'get') return EXIT_CODES.ok;

  const path = io.env[ENV_IPC];
  const secret = io.env[ENV_SECRET];
  if (!path || !secret) {
    io.stderr(
      `session-keeper: VS Code cannot be reached from here: ${ENV_IPC} and ${ENV_SECRET} are not set. Run this in a terminal that VS Code opened (with Session Keeper active), or open a new one.\n`,
    );
    return EXIT_CODES.unreachable;
  }
  let cwd: string;
  try {
    cwd = io.cwd();
  } catch {
    io.stderr('session-keeper: the current directory no longer exists. Change to another one and run the command again.\n');
    return EXIT_CODES.usage;
  }
  const gitInput = options.gitOperation === 'get' ? parseGitCredentialInput(await io.readStdin()) : undefined;
  const folderSecret = io.env[ENV_FOLDER_SECRET];
  const request: TerminalRequest = {
    v: PROTOCOL_VERSION,
    secret,
    ...(folderSecret && { folderSecret }),
    provider: options.provider,
    ...(options.account !== undefined && { account: options.account }),
    scopes: options.scopes,
    format: options.format,
    tool: toolName(options, io.parentName?.()),
    cwd,
    caller: io.caller?.() ?? {},
  };
  let response: TerminalResponse;
  try {
    response = await ask(path, request);
  } catch (err) {
    io.stderr(`session-keeper: ${oneLine((err as Error).message)}\n`);
    return (err as { exitCode?: number }).exitCode ?? EXIT_CODES.failed;
  }
  if (!response.ok) {
    // The server's words, never its escape sequences: they would reach the terminal.
    io.stderr(`session-keeper: ${oneLine(response.message)}\n`);
    return exitCodeFor(response.code);
  }
  io.stdout(formatToken(options.format, response, gitInput));
  return EXIT_CODES.ok;
}

/**
 * Why the channel at `path` is not this user's own (POSIX): its folder must be a real 0700 directory
 * and the socket owner-only, both owned by this user. A socket planted at the path of a folder that
 * was removed is someone else's. Undefined when it is fine, or on Windows (a named pipe).
 */
export function channelProblem(path: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32' || typeof process.getuid !== 'function') return undefined;
  const uid = process.getuid();
  const dir = privateDirProblem(dirname(path), uid);
  const problem = dir ?? privateSocketProblem(path, uid);
  if (problem === undefined) return undefined;
  if (problem === 'missing') return GONE;
  const what = dir ? `the folder of ${path}` : path;
  return `not sending this terminal's secret: ${describeProblem(problem, what)}, so it is not VS Code's channel. Open a new terminal in VS Code.`;
}

const GONE = 'VS Code is not running any more (the window that opened this terminal has closed). Open a new terminal in VS Code.';

class ChannelError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** One request over the channel, bounded in size and time. */
export function ask(path: string, request: TerminalRequest, timeoutMs = RESPONSE_TIMEOUT_MS): Promise<TerminalResponse> {
  return new Promise((resolve, reject) => {
    // Whoever listens there gets the secret and writes to this terminal: it must be this user's own channel.
    const untrusted = channelProblem(path);
    if (untrusted) return reject(new ChannelError(untrusted, EXIT_CODES.unreachable));
    const socket = createConnection(path);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setTimeout(timeoutMs, () =>
      finish(() =>
        reject(new ChannelError(`VS Code did not answer within ${Math.round(timeoutMs / 1000)} seconds.`, EXIT_CODES.unreachable)),
      ),
    );
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES)
        return finish(() => reject(new ChannelError('VS Code sent an answer that is too large.', EXIT_CODES.failed)));
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(() => resolve(parseResponse(text.slice(0, newline))));
    });
    socket.on('end', () => finish(() => reject(new ChannelError('VS Code closed the connection without answering.', EXIT_CODES.failed))));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(() => {
        const gone = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
        const denied = err.code === 'EACCES' || err.code === 'EPERM';
        reject(
          new ChannelError(
            gone
              ? GONE
              : denied
                ? `VS Code's channel is not accessible to this user (${err.code}).`
                : `Cannot reach VS Code (${err.code ?? err.message}).`,
            EXIT_CODES.unreachable,
          ),
        );
      }),
    );
  });
}

/** Reads stdin to its end (or a blank line), bounded; a terminal is never read. */
export function readStdin(stdin: NodeJS.ReadStream, limit = 16 * 1024, timeoutMs = 5_000): Promise<string> {
  if (stdin.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      stdin.removeAllListeners('data');
      stdin.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, timeoutMs);
    stdin.setEncoding('utf8');
    stdin.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > limit || /\n\r?\n/.test(text) || text.startsWith('\n')) done();
    });
    stdin.on('end', done);
    stdin.on('error', done);
  });
}

/** A command line as a shell would read it back: words quoted only where they need it, bounded. */
export function commandLine(args: readonly string[]): string {
  const line = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return line.length > MAX_CALLER_CHARS ? `${line.slice(0, MAX_CALLER_CHARS - 1)}…` : line;
}

/** What Linux tells of the program that ran this command; nothing elsewhere. */
export function callerInfo(ppid = process.ppid): CallerInfo {
  const out: { command?: string; cwd?: string } = {};
  try {
    const args = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0');
    if (args.at(-1) === '') args.pop();
    if (args.length) out.command = commandLine(args);
  } catch {
    // not Linux, or the caller is gone
  }
  try {
    const cwd = readlinkSync(`/proc/${ppid}/cwd`);
    if (cwd.length <= 4096) out.cwd = cwd;
  } catch {
    // likewise
  }
  return out;
}

/** Linux tells the caller's name; elsewhere the view shows the format's tool. */
export function parentProcessName(ppid = process.ppid): string | undefined {
  try {
    return readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
