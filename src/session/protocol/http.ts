// HTTP for the OAuth client: undici with connection, header and body time limits, and one place
// that turns transport failures, overloaded servers and oversized answers into SessionKeeperErrors.
import { Agent, fetch as undiciFetch } from 'undici';
import { ErrorCode, SessionKeeperError } from '../base/errors';
import * as l10n from '@vscode/l10n';

/** Time limit for each request to an issuer. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** No discovery document, key set or token response comes near this; decompressed size counts. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The longest an issuer may ask us to wait (Retry-After); the refresher caps it further. */
const MAX_RETRY_AFTER_S = 24 * 3600;

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export function createFetch(timeoutMs: number): Fetch {
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  // Never follow a redirect: a token request must reach the endpoint it was sent to, or fail.
  return (url, init) => undiciFetch(url, { ...(init as object), redirect: 'manual', dispatcher }) as unknown as Promise<Response>;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; absurd values are cut to a day. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) seconds = Number(trimmed);
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    seconds = Math.ceil((date - now) / 1000);
  }
  return Number.isFinite(seconds) ? Math.min(MAX_RETRY_AFTER_S, Math.max(0, seconds)) : undefined;
}

/** OAuth error bodies (RFC 6749 §5.2) seen on 4xx answers, whatever content type they came with. */
const oauthErrors = new WeakMap<Response, { error: string; error_description?: unknown }>();

/** The OAuth `error` object of a 4xx answer, if its body was one. */
export function oauthErrorBody(response: unknown): { error: string; error_description?: unknown } | undefined {
  return response instanceof Object ? oauthErrors.get(response as Response) : undefined;
}

/**
 * Wraps a fetch so that 5xx and 429 answers become transient errors before any protocol
 * parsing (an HTML error page from a gateway is an outage, not a protocol violation), transport
 * failures name the host instead of undici's "fetch failed", and no body is read past
 * MAX_RESPONSE_BYTES. A 4xx body that is an OAuth error is recognized whatever its content type
 * (some servers send `invalid_grant` as text/plain).
 */
export function guardedFetch(inner: Fetch, now: () => number = Date.now, maxBytes = MAX_RESPONSE_BYTES): Fetch {
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
        l10n.t({
          message: '{0} answered HTTP {1}; it may be down or overloaded. Session Keeper will retry.',
          args: [host, response.status],
          comment: ['{0} is a host name, {1} an HTTP status code'],
        }),
        parseRetryAfter(response.headers.get('retry-after'), now()),
      );
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(host);
    }
    const limited = new Response(response.body && response.body.pipeThrough(byteLimit(maxBytes, () => tooLarge(host))), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    if (response.status < 400) return limited;
    return recognizeOAuthError(limited, host, init.signal ?? undefined);
  };
}

async function recognizeOAuthError(response: Response, host: string, signal: AbortSignal | undefined): Promise<Response> {
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw transportError(err, host, signal);
  }
  const headers = new Headers(response.headers);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: an HTML page or plain text, left for the protocol layer to reject.
  }
  const isError = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string';
  // Normalized exactly: oauth4webapi accepts only a plain lower-case application/json here.
  if (isError) headers.set('content-type', 'application/json');
  const rebuilt = new Response(text, { status: response.status, statusText: response.statusText, headers });
  if (isError) oauthErrors.set(rebuilt, body as { error: string });
  return rebuilt;
}

function byteLimit(maxBytes: number, error: () => Error): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(error());
      else controller.enqueue(chunk);
    },
  });
}

function tooLarge(host: string): SessionKeeperError {
  return new SessionKeeperError(
    ErrorCode.ResponseTooLarge,
    l10n.t(
      '{0} sent a response larger than {1} KB, far more than any sign-in needs; it was not read. Session Keeper will retry.',
      host,
      MAX_RESPONSE_BYTES / 1024,
    ),
  );
}

function transportError(err: unknown, host: string, signal: AbortSignal | undefined): SessionKeeperError {
  if (err instanceof SessionKeeperError) return err;
  const inner = (err as { cause?: unknown })?.cause;
  if (inner instanceof SessionKeeperError) return inner;
  const reason = signal?.aborted ? signal.reason : undefined;
  if (reason instanceof SessionKeeperError) return reason;
  const name = (err as { name?: string })?.name;
  const code = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  if (name === 'TimeoutError' || (reason as { name?: string } | undefined)?.name === 'TimeoutError' || /TIMEOUT/.test(code ?? '')) {
    return new SessionKeeperError(
      ErrorCode.Timeout,
      l10n.t('{0} did not answer in time. Check your network; Session Keeper will retry.', host),
    );
  }
  if (name === 'AbortError' && signal?.aborted) {
    return new SessionKeeperError(ErrorCode.Cancelled, l10n.t('The request to {0} was cancelled.', host));
  }
  const known = typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? ` (${code})` : '';
  return new SessionKeeperError(
    ErrorCode.Unreachable,
    l10n.t({
      message: 'Cannot reach {0}{1}. Check the issuer URL and your network.',
      args: [host, known],
      comment: ['{0} is a host name; {1} is empty or a system error code in parentheses, e.g. " (ECONNREFUSED)"'],
    }),
  );
}
