// HTTP for the OAuth client: undici with connection, header and body time limits, and one place
// that turns transport failures, overloaded servers and oversized answers into SessionKeeperErrors.
//
// Three routes (net/proxy.ts routeFor):
// - a proxy named by VS Code's settings (http.proxy, read by src/editor/network.ts and passed in as
//   plain options) or the usual environment variables: undici's ProxyAgent, with the certificates
//   below and http.proxyStrictSSL, the same in tests as in every host;
// - direct (http.noProxy / NO_PROXY, or http.proxySupport off): an undici Agent;
// - nothing names a proxy: the host's own fetch when the caller passes one (`systemFetch`). In the
//   extension host that is the global fetch VS Code extends (http.proxySupport,
//   http.fetchAdditionalSupport) with what only it can read: the operating system's proxy settings,
//   PAC files, Kerberos/NTLM proxy authentication and the system's certificates. Without one,
//   directly.
// Every route keeps the rules of guardedFetch (size limit, 5xx/429, no redirects) and the caller's
// time limit; the undici routes add connect, header and body limits.
//
// On a remote server (code-server, Codespaces in a browser: `remoteServer`) the process environment
// is the server's, which a repository's dev container sets: no proxy, bypass or certificate is taken
// from it, the host's own fetch (which reads it) is not used, and plain http to 127.0.0.1 (that
// server, not the user's computer) is refused unless `loopbackIsLocal` says the server is theirs.
//
// undici costs about 100 ms to load; it is loaded on the first request that needs it, not when the
// extension starts (esbuild keeps the bundled module behind a lazy initializer until the import runs).
import type * as Undici from 'undici';
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { ErrorCode, SessionKeeperError } from '../base/errors';
import { discard, fetchAbortError } from './abort';
import { describeProxy, routeFor, type Environment, type NetworkSettings, type Route } from './proxy';
import { isLoopbackHost } from '../base/urls';
import * as l10n from '@vscode/l10n';

/** Time limit for each request to an issuer. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** No discovery document, key set or token response comes near this; decompressed size counts. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The longest an issuer may ask us to wait (Retry-After); the refresher caps it further. */
const MAX_RETRY_AFTER_S = 24 * 3600;

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface FetchOptions {
  /** VS Code's network settings, read again for every request (they change while the extension runs). */
  readonly network?: () => NetworkSettings;
  /** Proxy and certificate variables; process.env by default. */
  readonly env?: Environment;
  /** The host's fetch, for requests for which nothing names a proxy (the extension host's, extended by VS Code). */
  readonly systemFetch?: Fetch;
  /** The extension runs on a remote server, not on the user's computer (see above). */
  readonly remoteServer?: boolean;
  /** Whether plain http to 127.0.0.1, [::1] or localhost may be sent (base/urls.ts); read for every request. Default: yes. */
  readonly loopbackIsLocal?: () => boolean;
}

/** The variables that choose a proxy or add trusted certificates. */
const ENV_NAMES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY', 'NODE_EXTRA_CA_CERTS'];
/** Variables that change what OpenSSL, and so Node, reads as the operating system's certificate store. */
const SYSTEM_STORE_NAMES = ['SSL_CERT_FILE', 'SSL_CERT_DIR'];

let undici: Promise<typeof Undici> | undefined;
const loadUndici = () => (undici ??= import('undici'));

interface Connections {
  direct(): Undici.Dispatcher;
  proxied(proxy: URL): Undici.Dispatcher;
  close(): void;
}

export function createFetch(timeoutMs: number, options: FetchOptions = {}): Fetch {
  let current: { key: string; connections: Connections } | undefined;
  const remote = options.remoteServer === true;
  const source = options.env ?? process.env;
  // On a remote server the system store counts only while the server's environment leaves it be.
  const systemStore = !remote || SYSTEM_STORE_NAMES.every((n) => !source[n]);
  const connections = (u: typeof Undici, settings: NetworkSettings, env: Environment): Connections => {
    const key = JSON.stringify([settings, env]);
    if (current?.key !== key) {
      // Requests already under way finish on the old connections, which then close.
      current?.connections.close();
      current = { key, connections: createConnections(u, timeoutMs, settings, env, systemStore) };
    }
    return current.connections;
  };
  return async (url, init) => {
    const target = new URL(url);
    if (target.protocol === 'http:' && isLoopbackHost(target.hostname) && !(options.loopbackIsLocal?.() ?? true)) {
      throw new SessionKeeperError(
        ErrorCode.InvalidConfiguration,
        l10n.t(
          'Session Keeper runs on a remote server here (code-server or Codespaces in a browser), so http://{0} is that server, not your computer; nothing was sent. Use https, or turn on sessionKeeper.remote.allowLoopbackHttp if the server is your own computer.',
          target.host,
        ),
      );
    }
    // Read once per request: the route and the connections must come from the same settings.
    const settings = options.network?.() ?? {};
    const env: Environment = remote ? {} : Object.fromEntries(ENV_NAMES.map((n) => [n, source[n]]));
    let route: Route;
    try {
      route = routeFor(target, settings, env);
    } catch (err) {
      throw new SessionKeeperError(
        ErrorCode.Unreachable,
        l10n.t('The proxy setting (http.proxy, HTTPS_PROXY or HTTP_PROXY) cannot be used: {0}', (err as Error).message),
      );
    }
    const proxy = route.kind === 'proxy' ? route.proxy : undefined;
    try {
      // Never follow a redirect: a token request must reach the endpoint it was sent to, or fail.
      if (route.kind === 'system' && options.systemFetch && !remote) return await options.systemFetch(url, { ...init, redirect: 'manual' });
      const u = await loadUndici();
      const c = connections(u, settings, env);
      const dispatcher = proxy ? c.proxied(proxy) : c.direct();
      return (await u.fetch(url, { ...(init as object), redirect: 'manual', dispatcher })) as unknown as Response;
    } catch (err) {
      throw networkError(err, target, proxy, remote) ?? err;
    }
  };
}

function createConnections(
  u: typeof Undici,
  timeoutMs: number,
  settings: NetworkSettings,
  env: Environment,
  systemStore: boolean,
): Connections {
  let ca: string[] | undefined;
  const trusted = () => (ca ??= trustedCertificates(systemStore ? settings : { ...settings, systemCertificates: false }, env));
  let direct: Undici.Dispatcher | undefined;
  const proxies = new Map<string, Undici.Dispatcher>();
  const limits = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
  return {
    direct: () => (direct ??= new u.Agent({ connect: { timeout: timeoutMs, ca: trusted() }, ...limits })),
    proxied(proxy) {
      let agent = proxies.get(proxy.href);
      if (!agent) {
        // http.proxyStrictSSL: false turns certificate checks off for what goes through a proxy (the
        // proxy itself and, as with a proxy that inspects HTTPS, the issuer behind it), never for
        // direct connections.
        const tlsOptions = { ca: trusted(), rejectUnauthorized: settings.strictSSL !== false };
        agent = new u.ProxyAgent({
          uri: proxy.href,
          ...(settings.proxyAuthorization ? { token: settings.proxyAuthorization } : {}),
          // http requests go to the proxy in absolute form; https ones through a CONNECT tunnel.
          proxyTunnel: false,
          connectTimeout: timeoutMs,
          requestTls: tlsOptions,
          proxyTls: tlsOptions,
          ...limits,
        });
        proxies.set(proxy.href, agent);
      }
      return agent;
    },
    close() {
      for (const d of [direct, ...proxies.values()]) d?.close().catch(() => undefined);
    },
  };
}

/**
 * The certificates an issuer's chain may end in: Node's bundled roots, the operating system's
 * store (unless http.systemCertificates is false; Node 22.15 and later can read it) and the file
 * NODE_EXTRA_CA_CERTS names, which is read here because Node reads it only when it starts.
 */
export function trustedCertificates(settings: NetworkSettings, env: Environment): string[] {
  const certs = new Set<string>(tls.rootCertificates);
  const read = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (settings.systemCertificates !== false && read) {
    try {
      for (const c of read('system')) certs.add(c);
    } catch {
      // No readable system store: the bundled roots remain.
    }
  }
  const extra = env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      for (const c of readFileSync(extra, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])
        certs.add(c);
    } catch {
      // A missing file is ignored, as Node does (it only warns).
    }
  }
  return [...certs];
}

/** Certificate chains that end in a root nobody here trusts. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);
/** Failures to open a connection; through a proxy, that connection is the proxy's. */
const CONNECT_FAILED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_PRX_CONN)$/;

/** The SessionKeeperError for certificate and proxy failures; other failures are left to guardedFetch. */
function networkError(err: unknown, target: URL, proxy: URL | undefined, remote: boolean): SessionKeeperError | undefined {
  const codes: string[] = [];
  const messages: string[] = [];
  for (let e = err, depth = 0; e instanceof Object && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    if (typeof (e as { message?: unknown }).message === 'string') messages.push((e as Error).message);
  }
  const host = target.host;
  const untrusted = codes.find((c) => UNTRUSTED.has(c));
  if (untrusted) {
    const comment = ['{0} is a host name, {1} a certificate error code such as SELF_SIGNED_CERT_IN_CHAIN'];
    return new SessionKeeperError(
      ErrorCode.Unreachable,
      remote
        ? l10n.t({
            message:
              "The certificate of {0} is not trusted ({1}); nothing was sent. Session Keeper runs on a remote server here and does not read its NODE_EXTRA_CA_CERTS: add your company's root certificate to the server's trusted certificates.",
            args: [host, untrusted],
            comment,
          })
        : l10n.t({
            message:
              "The certificate of {0} is not trusted ({1}); nothing was sent. If your company inspects HTTPS traffic, add its root certificate to your system's trusted certificates or set NODE_EXTRA_CA_CERTS to a file that holds it, then restart VS Code.",
            args: [host, untrusted],
            comment,
          }),
    );
  }
  const invalid = codes.find((c) => c === 'CERT_HAS_EXPIRED' || c === 'CERT_NOT_YET_VALID' || c === 'ERR_TLS_CERT_ALTNAME_INVALID');
  if (invalid) {
    return new SessionKeeperError(
      ErrorCode.Unreachable,
      l10n.t({
        message: 'The certificate of {0} is not valid for it ({1}); nothing was sent. Check the address in your settings and the clock.',
        args: [host, invalid],
        comment: ['{0} is a host name, {1} a certificate error code such as CERT_HAS_EXPIRED'],
      }),
    );
  }
  if (!proxy) return undefined;
  const name = describeProxy(proxy);
  const tunnel = messages.map((m) => /^Proxy response \((\d{3})\) !== 200/.exec(m)?.[1]).find(Boolean);
  if (tunnel === '407') {
    return new SessionKeeperError(
      ErrorCode.Unreachable,
      l10n.t(
        'The proxy {0} asks for credentials (HTTP 407). Put them in http.proxy (http://user:password@host:port) or http.proxyAuthorization.',
        name,
      ),
    );
  }
  if (tunnel) {
    return new SessionKeeperError(
      ErrorCode.Unreachable,
      l10n.t({
        message: 'The proxy {0} could not connect to {1} (HTTP {2}).',
        args: [name, host, tunnel],
        comment: ['{0} is a proxy address, {1} a host name, {2} an HTTP status code'],
      }),
    );
  }
  const failed = codes.find((c) => CONNECT_FAILED.test(c));
  if (failed) {
    return new SessionKeeperError(
      ErrorCode.Unreachable,
      l10n.t({
        message: 'Cannot reach the proxy {0} ({1}) on the way to {2}. Check http.proxy, HTTPS_PROXY and your network.',
        args: [name, failed, host],
        comment: ['{0} is a proxy address, {1} a system error code, {2} a host name'],
      }),
    );
  }
  return undefined;
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
export function guardedFetch(
  inner: Fetch,
  now: () => number = Date.now,
  maxBytes = MAX_RESPONSE_BYTES,
  /** What the URLs name, so a failure points at the right setting: an OAuth issuer, or an endpoint session's service. */
  origin: 'issuer' | 'service' = 'issuer',
): Fetch {
  return async (url, init) => {
    const host = new URL(url).host;
    let response: Response;
    try {
      response = await inner(url, init);
    } catch (err) {
      throw transportError(err, host, init.signal ?? undefined, origin);
    }
    if (response.status >= 500 || response.status === 429) {
      await discard(response);
      throw new SessionKeeperError(
        ErrorCode.ServerError,
        l10n.t({
          message: '{0} answered HTTP {1}; it may be down or overloaded.',
          args: [host, response.status],
          comment: ['{0} is a host name, {1} an HTTP status code'],
        }),
        parseRetryAfter(response.headers.get('retry-after'), now()),
      );
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await discard(response);
      throw tooLarge(host);
    }
    const limited = new Response(response.body && response.body.pipeThrough(byteLimit(maxBytes, () => tooLarge(host))), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    if (response.status < 400) return limited;
    return recognizeOAuthError(limited, host, init.signal ?? undefined, origin);
  };
}

async function recognizeOAuthError(
  response: Response,
  host: string,
  signal: AbortSignal | undefined,
  origin: 'issuer' | 'service',
): Promise<Response> {
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw transportError(err, host, signal, origin);
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
      '{0} sent a response larger than {1} KB, far more than any sign-in or renewal needs; it was not read.',
      host,
      MAX_RESPONSE_BYTES / 1024,
    ),
  );
}

function transportError(err: unknown, host: string, signal: AbortSignal | undefined, origin: 'issuer' | 'service'): SessionKeeperError {
  if (err instanceof SessionKeeperError) return err;
  const inner = (err as { cause?: unknown })?.cause;
  if (inner instanceof SessionKeeperError) return inner;
  const aborted = fetchAbortError(err, host, signal);
  if (aborted) return aborted;
  const code = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
  const known = typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? ` (${code})` : '';
  const comment = ['{0} is a host name; {1} is empty or a system error code in parentheses, e.g. " (ECONNREFUSED)"'];
  return new SessionKeeperError(
    ErrorCode.Unreachable,
    origin === 'issuer'
      ? l10n.t({ message: 'Cannot reach {0}{1}. Check the issuer URL and your network.', args: [host, known], comment })
      : l10n.t({ message: 'Cannot reach {0}{1}. Check the renewal URL (renew.url) and your network.', args: [host, known], comment }),
  );
}
