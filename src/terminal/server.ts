// The local channel terminal tools reach the extension through: a Unix socket in a directory only
// this user can enter (a named pipe on Windows), one JSON line in, one JSON line out, every request
// carrying this window's secret. Pure Node with injected callbacks; src/extension.ts wires it to the
// engine's providers (the same getSessions every caller uses) and to the consent question.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError, userMessage } from '../session/base/errors';
import type { Logger } from '../session/base/log';
import { MASK, redactor } from '../session/base/redact';
import type { AuthSession } from '../session/provider';
import { GRANT_LIFETIME_MS, scopeOf, type Outcome, type Program, type Scope, type TerminalAccess } from './consent';
import type { TerminalFolder } from './folders';
import {
  HANDLE_TIMEOUT_MS,
  MAX_REQUEST_BYTES,
  REQUEST_READ_TIMEOUT_MS,
  parseRequest,
  secretMatches,
  type FailureCode,
  type TerminalRequest,
  type TerminalResponse,
} from './protocol';
import { oneLine } from './text';

const MAX_CONNECTIONS = 32;

/** A per-window secret: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface Channel {
  /** The socket or pipe path the command connects to. */
  readonly path: string;
  /** The private directory holding the socket (POSIX), removed on dispose. */
  readonly dir?: string;
}

/** A fresh private channel: `<tmp>/sk-XXXXXX/ipc.sock` in a 0700 directory, or a random named pipe on Windows. */
export function newChannel(platform: NodeJS.Platform = process.platform, base = tmpdir()): Channel {
  if (platform === 'win32') return { path: `\\\\.\\pipe\\session-keeper-${randomBytes(16).toString('hex')}` };
  const dir = mkdtempSync(join(base, 'sk-'));
  chmodSync(dir, 0o700); // mkdtemp already uses 0700; a umask cannot widen it, but say so explicitly
  return { dir, path: join(dir, 'ipc.sock') };
}

export interface AccountRef {
  readonly id: string;
  readonly label: string;
  readonly active: boolean;
}

/** What the token handler needs of the engine. */
export interface TokenSource {
  /** The provider's label, undefined when no such provider is configured. */
  providerLabel(providerId: string): string | undefined;
  /** Signed-in accounts the provider may serve (not dormant). */
  accounts(providerId: string): readonly AccountRef[];
  /** The provider's getSessions(scopes, { account }): the path every caller's token takes. */
  getSessions(providerId: string, scopes: readonly string[], account: { id: string; label: string }): Promise<readonly AuthSession[]>;
  /** The session's expiry (epoch ms) from the engine's model; no token material. */
  expiresAt(providerId: string, accountId: string, sessionId: string): number | undefined;
}

/** What the user is asked when a program in a terminal wants an account's token. */
export interface ConsentQuestion {
  readonly providerLabel: string;
  readonly accountLabel: string;
  /** Where the program runs: what an Allow would cover. */
  readonly scope: Scope;
  readonly program: Program;
  /** Until when an answer given now would hold. */
  readonly until: number;
}

export interface HandlerDeps {
  readonly source: TokenSource;
  readonly access: TerminalAccess;
  readonly logger: Logger;
  readonly now: () => number;
  /** An instant as the user reads it, for messages ("until 18:30"). */
  readonly formatTime: (ms: number) => string;
  readonly platform?: NodeJS.Platform;
  /**
   * Asks the user once whether programs in the question's scope may use the account. Must not
   * wait for the answer: `answer` is called when (and if) the user decides; undefined means the
   * question was dismissed.
   */
  ask(question: ConsentQuestion, answer: (allow: boolean | undefined) => void): void;
}

const fail = (code: FailureCode, message: string): TerminalResponse => ({ ok: false, code, message });

// Long unbroken runs of token alphabet (no slash, so paths survive): a secret on a command line.
const TOKEN_LIKE = /[A-Za-z0-9_~+=.-]{40,}/g;

/** The caller as the user will see it: no control characters, no token-shaped words, bounded. */
export function programOf(request: TerminalRequest): Program {
  const clean = (text: string | undefined, max: number, mask: boolean) => {
    if (text === undefined) return undefined;
    const out = oneLine(redactor.redact(text), max);
    return (mask ? out.replace(TOKEN_LIKE, MASK) : out) || undefined;
  };
  const command = clean(request.caller.command, 300, true);
  const cwd = clean(request.caller.cwd ?? request.cwd, 1000, false);
  return { tool: request.tool, ...(command && { command }), ...(cwd && { cwd }) };
}

/**
 * Answers one validated request whose secret already matched, from a terminal of `folder`
 * (undefined: a terminal without a workspace folder). Never waits for the user.
 */
export function createTokenHandler(
  deps: HandlerDeps,
): (request: TerminalRequest, folder: TerminalFolder | undefined) => Promise<TerminalResponse> {
  const { source, access, logger } = deps;
  return async (request, folder) => {
    const label = source.providerLabel(request.provider);
    const what = `Terminal request from ${request.tool} for ${request.provider} (${request.format})`;
    if (label === undefined) {
      logger.info(`${what}: unknown provider`);
      return fail(
        'unknownProvider',
        l10n.t(
          'No identity provider "{0}" is configured in Session Keeper. Use one of the ids in the sessionKeeper.providers setting.',
          request.provider,
        ),
      );
    }
    const accounts = source.accounts(request.provider);
    const account = request.account
      ? (accounts.find((a) => a.id === request.account) ?? accounts.find((a) => a.label === request.account))
      : (accounts.find((a) => a.active) ?? accounts[0]);
    if (!account) {
      logger.info(`${what}: not signed in`);
      return fail(
        'notSignedIn',
        request.account
          ? l10n.t('{0} is not signed in to {1}. Sign in in VS Code, then run the command again.', oneLine(request.account), label)
          : l10n.t('No account is signed in to {0}. Sign in in VS Code, then run the command again.', label),
      );
    }
    const scope = scopeOf(folder, request.cwd, deps.platform);
    const where = `${what}, account ${account.label}, ${scope.dir === undefined ? `folder ${scope.folderName}` : 'outside the folder'}`;
    const now = deps.now();
    const grant = access.lookup(request.provider, account.id, scope, now);

    if (grant?.decision !== 'allowed') {
      if (grant?.decision === 'denied') {
        logger.info(`${where}: denied`);
        const until = deps.formatTime(grant.expiresAt);
        return fail(
          'denied',
          scope.dir === undefined
            ? l10n.t(
                'Terminal access for {0} at {1} in the workspace folder "{2}" was denied until {3}. Allow it in VS Code (Session Keeper view, the account\'s terminal rows), then run the command again.',
                account.label,
                label,
                scope.folderName ?? '',
                until,
              )
            : l10n.t(
                "Terminal access for {0} at {1} in {2} was denied until {3}. Allow it in VS Code (Session Keeper view, the account's terminal rows), then run the command again.",
                account.label,
                label,
                oneLine(scope.dir),
                until,
              ),
        );
      }
      if (access.beginAsking(request.provider, account.id, scope)) {
        const program = programOf(request);
        deps.ask({ providerLabel: label, accountLabel: account.label, scope, program, until: now + GRANT_LIFETIME_MS }, (allow) => {
          if (allow === undefined) return access.endAsking(request.provider, account.id, scope);
          logger.info(`${where}: the user ${allow ? 'allowed' : 'denied'} terminal access`);
          access.decide(request.provider, account.id, scope, allow ? 'allowed' : 'denied', program, deps.now()).catch(() => undefined);
        });
      }
      logger.info(`${where}: waiting for the user to allow terminal access`);
      return fail(
        'consentRequired',
        scope.dir === undefined
          ? l10n.t(
              'Terminal access for {0} at {1} is not allowed in the workspace folder "{2}" yet. Allow it in VS Code, then run the command again.',
              account.label,
              label,
              scope.folderName ?? '',
            )
          : l10n.t(
              'Terminal access for {0} at {1} is not allowed in {2} yet. Allow it in VS Code, then run the command again.',
              account.label,
              label,
              oneLine(scope.dir),
            ),
      );
    }

    const record = (outcome: Outcome) =>
      access
        .recordUse(request.provider, account.id, grant.id, { at: deps.now(), outcome, tool: request.tool, format: request.format })
        .catch(() => undefined);
    let sessions: readonly AuthSession[];
    try {
      sessions = await source.getSessions(request.provider, request.scopes, { id: account.id, label: account.label });
    } catch (err) {
      await record('failed');
      const offline = err instanceof SessionKeeperError && err.code === ErrorCode.Offline;
      logger.info(`${where}: ${offline ? 'offline' : 'failed'}`);
      return fail(offline ? 'offline' : 'failed', userMessage(err));
    }
    const session = sessions.find((s) => s.account.id === account.id && s.accessToken);
    if (!session) {
      await record('failed');
      logger.info(`${where}: no session with the scopes asked for`);
      return fail(
        'notSignedIn',
        request.scopes.length
          ? l10n.t(
              '{0} at {1} has no session with the scopes {2}. Sign in with them in VS Code, then run the command again.',
              account.label,
              label,
              request.scopes.join(' '),
            )
          : l10n.t('{0} at {1} has no session. Sign in in VS Code, then run the command again.', account.label, label),
      );
    }
    await record('served');
    logger.info(`${where}: served`);
    const expiresAt = source.expiresAt(request.provider, account.id, session.id);
    // The command refuses a name with control characters; an odd display name must not cost the token.
    const name = oneLine(account.label, 256);
    return { ok: true, token: session.accessToken, account: name, ...(expiresAt !== undefined && { expiresAt }) };
  };
}

export interface ServerOptions {
  readonly channel: Channel;
  /** The window's secret: every request carries it. */
  readonly secret: string;
  /** The workspace folder whose terminals got this folder secret; undefined when none did. */
  readonly folderOf?: (folderSecret: string) => TerminalFolder | undefined;
  readonly handle: (request: TerminalRequest, folder: TerminalFolder | undefined) => Promise<TerminalResponse>;
  readonly logger: Logger;
  /** How long answering a request may take (renewal included); less than the command waits. */
  readonly handleTimeoutMs?: number;
  /** How long the request line may take to arrive. */
  readonly readTimeoutMs?: number;
}

/** The socket server. Logs outcomes only: it never sees a reason to log a request or an answer. */
export class TerminalServer {
  private constructor(
    private readonly server: Server,
    readonly channel: Channel,
  ) {}

  static async listen(options: ServerOptions): Promise<TerminalServer> {
    const server = createServer({ allowHalfOpen: false }, (socket) => serve(socket, options));
    // A runaway script cannot pile up connections; each one lives seconds at most.
    server.maxConnections = MAX_CONNECTIONS;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.channel.path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      // Owner-only, in an owner-only directory: the directory is what keeps others out on Linux.
      if (options.channel.dir) chmodSync(options.channel.path, 0o600);
    } catch (err) {
      server.close();
      if (options.channel.dir) rmSync(options.channel.dir, { recursive: true, force: true });
      throw err;
    }
    server.on('error', (err) => options.logger.warn(`The terminal channel failed: ${err.message}`));
    return new TerminalServer(server, options.channel);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.channel.dir) rmSync(this.channel.dir, { recursive: true, force: true });
  }
}

function serve(socket: Socket, options: ServerOptions): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const reply = (response: TerminalResponse) => {
    if (done) return;
    done = true;
    socket.setTimeout(0);
    socket.end(`${JSON.stringify(response)}\n`);
  };
  socket.setTimeout(options.readTimeoutMs ?? REQUEST_READ_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    if (done) return;
    const newline = chunk.indexOf(0x0a);
    const take = newline < 0 ? chunk : chunk.subarray(0, newline);
    size += take.length;
    if (size > MAX_REQUEST_BYTES) {
      options.logger.info('Terminal request refused: too large');
      return reply(fail('badRequest', l10n.t('The request is larger than {0} bytes.', MAX_REQUEST_BYTES)));
    }
    chunks.push(take);
    if (newline < 0) return;
    // The line is in: from here the handler's own limit applies, which allows for an inline renewal.
    socket.setTimeout(0);
    socket.pause();
    void answer(Buffer.concat(chunks), options).then(reply);
  });
}

async function answer(line: Buffer, options: ServerOptions): Promise<TerminalResponse> {
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    options.logger.info(`Terminal request refused: ${parsed.code}`);
    return fail(parsed.code, parsed.message);
  }
  if (!secretMatches(options.secret, parsed.value.secret)) {
    options.logger.info('Terminal request refused: wrong secret');
    return fail(
      'forbidden',
      l10n.t(
        'This terminal does not belong to the running VS Code window (it was opened before a restart, or by another window). Open a new terminal.',
      ),
    );
  }
  let folder: TerminalFolder | undefined;
  if (parsed.value.folderSecret !== undefined) {
    folder = options.folderOf?.(parsed.value.folderSecret);
    if (!folder) {
      options.logger.info('Terminal request refused: the folder secret is not one of this window');
      return fail(
        'forbidden',
        l10n.t(
          "This terminal's workspace folder is no longer open in its VS Code window (or the terminal belongs to another window). Open a new terminal.",
        ),
      );
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeoutMs = options.handleTimeoutMs ?? HANDLE_TIMEOUT_MS;
  try {
    return await Promise.race([
      options.handle(parsed.value, folder),
      new Promise<TerminalResponse>((resolve) => {
        timer = setTimeout(
          () => resolve(fail('offline', l10n.t('No token within {0} seconds; try again.', Math.round(timeoutMs / 1000)))),
          timeoutMs,
        );
      }),
    ]);
  } catch (err) {
    options.logger.warn(`Terminal request failed: ${userMessage(err)}`);
    return fail('failed', userMessage(err));
  } finally {
    clearTimeout(timer);
  }
}
