// The terminal channel's wire format: one JSON line from the `session-keeper` command, one JSON
// line back. Pure (no vscode, no sockets): the server, the command and the tests share it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { posix, win32 } from 'node:path';
import { hasControls } from './text';

/** Environment variables the extension gives the terminals of its window. */
export const ENV_IPC = 'SESSION_KEEPER_IPC';
export const ENV_SECRET = 'SESSION_KEEPER_SECRET';
/** Given only to the terminals of one workspace folder: tells the window which folder a terminal belongs to. */
export const ENV_FOLDER_SECRET = 'SESSION_KEEPER_FOLDER_SECRET';

/** The request format's version; the command and the server always come from the same build. */
export const PROTOCOL_VERSION = 2;

/** Largest request line the server reads; larger ones are refused unread. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** Largest answer line the command reads (a token and its expiry fit many times over). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** How long the server waits for the request line; once it has it, HANDLE_TIMEOUT_MS applies instead. */
export const REQUEST_READ_TIMEOUT_MS = 5_000;
/** The longest the server takes to answer a request it has read, an inline renewal included. */
export const HANDLE_TIMEOUT_MS = 40_000;
/** How long the command waits for the answer: longer than the server may take, so its answer always arrives. */
export const RESPONSE_TIMEOUT_MS = HANDLE_TIMEOUT_MS + 5_000;

export const FORMATS = ['bare', 'header', 'json', 'kubectl', 'git'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** What the OS tells of the program that ran the command (Linux: /proc/<ppid>); shown to the user, never trusted. */
export interface CallerInfo {
  /** Its command line, arguments separated by spaces (quoted where needed). */
  readonly command?: string;
  readonly cwd?: string;
}

export interface TerminalRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly secret: string;
  /** The terminal's workspace folder secret, when VS Code started the terminal for a folder. */
  readonly folderSecret?: string;
  readonly provider: string;
  /** An account id or label; the provider's active account when absent. */
  readonly account?: string;
  /** Scopes the token must carry beyond what any session has. */
  readonly scopes: readonly string[];
  readonly format: OutputFormat;
  /** What the caller says it is (kubectl, git, curl, …): shown as claimed, never trusted. */
  readonly tool: string;
  /** The command's working directory (absolute): a grant covers the terminal's folder only from inside it. */
  readonly cwd: string;
  readonly caller: CallerInfo;
}

/**
 * Why a request failed. Each has its own exit code in the command (see EXIT_CODES), so scripts can
 * tell "allow it in VS Code" from "sign in" from "offline".
 */
export type FailureCode =
  'badRequest' | 'forbidden' | 'unknownProvider' | 'consentRequired' | 'denied' | 'notSignedIn' | 'offline' | 'failed';

export type TerminalResponse =
  | { readonly ok: true; readonly token: string; readonly expiresAt?: number; readonly account: string }
  | { readonly ok: false; readonly code: FailureCode; readonly message: string };

/** The command's exit codes, documented in README.md ("Tokens in the terminal"). */
export const EXIT_CODES = {
  ok: 0,
  /** Anything unexpected: a broken answer, an internal error. */
  failed: 1,
  /** Wrong options (unknown format, missing --provider value, unknown provider). */
  usage: 2,
  /** VS Code cannot be reached: not started from its terminal, the window closed, socket gone. */
  unreachable: 3,
  /** The account is not allowed for terminal tools yet (asked in VS Code now) or was denied. */
  notAllowed: 4,
  /** No session: not signed in, or no session with the requested scopes. */
  notSignedIn: 5,
  /** Signed in, but the token cannot be renewed right now (the issuer cannot be reached). */
  offline: 6,
  /** The server refused the request: a wrong or missing secret, or a malformed request. */
  refused: 7,
} as const;

export function exitCodeFor(code: FailureCode): number {
  switch (code) {
    case 'badRequest':
    case 'forbidden':
      return EXIT_CODES.refused;
    case 'unknownProvider':
      return EXIT_CODES.usage;
    case 'consentRequired':
    case 'denied':
      return EXIT_CODES.notAllowed;
    case 'notSignedIn':
      return EXIT_CODES.notSignedIn;
    case 'offline':
      return EXIT_CODES.offline;
    case 'failed':
      return EXIT_CODES.failed;
  }
}

const providerPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const scopePattern = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/; // RFC 6749 §3.3 scope-token
const toolPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,31}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: FailureCode; message: string };

const bad = (message: string): Parsed<never> => ({ ok: false, code: 'badRequest', message });

/** Checks one request line (without its newline). Secrets are compared later, in constant time. */
export function parseRequest(line: string | Buffer): Parsed<TerminalRequest> {
  const text = typeof line === 'string' ? line : line.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES) return bad(`The request is larger than ${MAX_REQUEST_BYTES} bytes.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad('The request is not JSON.');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('The request is not a JSON object.');
  const r = raw as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION) return bad('Unsupported request version.');
  if (typeof r.secret !== 'string' || r.secret.length === 0)
    return { ok: false, code: 'forbidden', message: 'The request carries no secret.' };
  if (r.folderSecret !== undefined && (typeof r.folderSecret !== 'string' || r.folderSecret.length === 0 || r.folderSecret.length > 256))
    return bad('The folder secret is invalid.');
  if (typeof r.provider !== 'string' || !providerPattern.test(r.provider)) return bad('The provider id is missing or invalid.');
  if (r.account !== undefined && (typeof r.account !== 'string' || r.account.length === 0 || r.account.length > 256))
    return bad('The account is invalid.');
  const scopes = r.scopes ?? [];
  if (!Array.isArray(scopes) || scopes.length > 32 || !scopes.every((s) => typeof s === 'string' && scopePattern.test(s)))
    return bad('The scopes are invalid.');
  if (typeof r.format !== 'string' || !(FORMATS as readonly string[]).includes(r.format)) return bad('Unknown output format.');
  const tool = r.tool ?? 'shell';
  if (typeof tool !== 'string' || !toolPattern.test(tool)) return bad('The tool name is invalid.');
  if (!isPath(r.cwd)) return bad('The working directory is missing or invalid.');
  const caller = (r.caller ?? {}) as Record<string, unknown>;
  if (typeof caller !== 'object' || caller === null || Array.isArray(caller)) return bad('The caller is invalid.');
  if (caller.command !== undefined && (typeof caller.command !== 'string' || caller.command.length > MAX_CALLER_CHARS))
    return bad("The caller's command line is invalid.");
  if (caller.cwd !== undefined && !isPath(caller.cwd)) return bad("The caller's working directory is invalid.");
  return {
    ok: true,
    value: {
      v: PROTOCOL_VERSION,
      secret: r.secret,
      ...(r.folderSecret !== undefined && { folderSecret: r.folderSecret }),
      provider: r.provider,
      ...(r.account !== undefined && { account: r.account }),
      scopes: [...new Set(scopes as string[])],
      format: r.format as OutputFormat,
      tool,
      cwd: r.cwd,
      caller: {
        ...(typeof caller.command === 'string' && { command: caller.command }),
        ...(typeof caller.cwd === 'string' && { cwd: caller.cwd }),
      },
    },
  };
}

/** Longest caller command line the command sends (and the server accepts). */
export const MAX_CALLER_CHARS = 1024;
const MAX_PATH_CHARS = 4096;

/** An absolute path of this machine or of Windows, without NUL. */
function isPath(v: unknown): v is string {
  return (
    typeof v === 'string' && v.length > 0 && v.length <= MAX_PATH_CHARS && !v.includes('\0') && (posix.isAbsolute(v) || win32.isAbsolute(v))
  );
}

/** Constant-time comparison: both sides are hashed first, so neither length nor content leaks through timing. */
export function secretMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || expected.length === 0) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Parses an answer line; anything unexpected becomes a 'failed' answer. */
export function parseResponse(line: string): TerminalResponse {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    if (r.ok === true && typeof r.token === 'string' && r.token && typeof r.account === 'string') {
      // Printed as they are, so nothing in them may steer a terminal.
      if (hasControls(r.token) || hasControls(r.account))
        return { ok: false, code: 'failed', message: 'VS Code sent a credential with control characters in it; it was not printed.' };
      return {
        ok: true,
        token: r.token,
        account: r.account,
        ...(typeof r.expiresAt === 'number' && Number.isFinite(r.expiresAt) && { expiresAt: r.expiresAt }),
      };
    }
    if (r.ok === false && typeof r.code === 'string' && typeof r.message === 'string') {
      const known: readonly string[] = [
        'badRequest',
        'forbidden',
        'unknownProvider',
        'consentRequired',
        'denied',
        'notSignedIn',
        'offline',
        'failed',
      ];
      return { ok: false, code: known.includes(r.code) ? (r.code as FailureCode) : 'failed', message: r.message };
    }
  } catch {
    // below
  }
  return { ok: false, code: 'failed', message: 'VS Code sent an answer this command does not understand.' };
}
