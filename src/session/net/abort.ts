// The one translation of an aborted or timed-out request into a SessionKeeperError, naming the host.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError, findSessionKeeperError, cancelled } from '../base/errors';

function timedOut(host: string): SessionKeeperError {
  return new SessionKeeperError(ErrorCode.Timeout, l10n.t('{0} did not answer in time. Check your network.', host));
}

function requestCancelled(host: string): SessionKeeperError {
  return cancelled(l10n.t('The request to {0} was cancelled.', host));
}

/** What an aborted signal means: its own error, the time limit, or a cancellation. */
export function abortError(signal: AbortSignal, host: string): SessionKeeperError {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason instanceof SessionKeeperError) return reason;
  if (reason?.name === 'TimeoutError') return timedOut(host);
  return requestCancelled(host);
}

/**
 * The abort or timeout a failed fetch stands for (the signal's own error, a time limit, or a
 * cancellation); undefined when the failure is something else, such as the network.
 */
export function fetchAbortError(err: unknown, host: string, signal: AbortSignal | undefined): SessionKeeperError | undefined {
  const reason = signal?.aborted ? signal.reason : undefined;
  if (reason instanceof SessionKeeperError) return reason;
  const name = (err as { name?: string })?.name;
  const code = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  if (name === 'TimeoutError' || (reason as { name?: string } | undefined)?.name === 'TimeoutError' || /TIMEOUT/.test(code ?? '')) {
    return timedOut(host);
  }
  if (name === 'AbortError' && signal?.aborted) return requestCancelled(host);
  return undefined;
}

/** Settles with the promise, or rejects as soon as the signal aborts (whatever the promise does). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, host: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, host));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, host));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** A failure while reading an answer's body: the size limit, the time limit, or the connection. */
export function bodyError(err: unknown, signal: AbortSignal, host: string): SessionKeeperError {
  const own = findSessionKeeperError(err);
  if (own) return own;
  if (signal.aborted) return abortError(signal, host);
  return new SessionKeeperError(ErrorCode.Unreachable, l10n.t('The connection to {0} broke while its answer was read.', host));
}

/** Drops an answer's body unread, so that its connection is freed. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
