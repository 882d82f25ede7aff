// HTTP for the OAuth client: undici with connection, header and body time limits, and one place
// that turns transport failures and overloaded servers into transient SessionKeeperErrors.
import { Agent, fetch as undiciFetch } from 'undici';
import { ErrorCode, SessionKeeperError } from './errors';
import { t } from './l10n';

/** Time limit for each request to an issuer. */
export const REQUEST_TIMEOUT_MS = 30_000;

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export function createFetch(timeoutMs: number): Fetch {
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  return (url, init) => undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Wraps a fetch so that 5xx and 429 answers become transient errors before any protocol
 * parsing (an HTML error page from a gateway is an outage, not a protocol violation), and
 * transport failures name the host instead of undici's "fetch failed".
 */
export function guardedFetch(inner: Fetch, now: () => number = Date.now): Fetch {
  return async (url, init) => {
    const host = new URL(url).host;
    let response: Response;
    try {
      response = await inner(url, init);
    } catch (err) {
      throw transportError(err, host, init.signal ?? undefined);
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel().catch(() => undefined);
      throw new SessionKeeperError(
        ErrorCode.ServerError,
        t('{0} answered HTTP {1}; it may be down or overloaded. Session Keeper will retry.', host, response.status),
        parseRetryAfter(response.headers.get('retry-after'), now()),
      );
    }
    return response;
  };
}

function transportError(err: unknown, host: string, signal: AbortSignal | undefined): SessionKeeperError {
  if (err instanceof SessionKeeperError) return err;
  const reason = signal?.aborted ? signal.reason : undefined;
  if (reason instanceof SessionKeeperError) return reason;
  const name = (err as { name?: string })?.name;
  const code = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  if (name === 'TimeoutError' || (reason as { name?: string } | undefined)?.name === 'TimeoutError' || /TIMEOUT/.test(code ?? '')) {
    return new SessionKeeperError(ErrorCode.Timeout, t('{0} did not answer in time. Check your network; Session Keeper will retry.', host));
  }
  if (name === 'AbortError' && signal?.aborted) {
    return new SessionKeeperError(ErrorCode.Cancelled, t('The request to {0} was cancelled.', host));
  }
  return new SessionKeeperError(
    ErrorCode.Unreachable,
    t('Cannot reach {0}{1}. Check the issuer URL and your network.', host, code ? ` (${code})` : ''),
  );
}
