// Which proxy a request goes through, from VS Code's settings and the usual environment variables.
// Pure functions: the editor integration reads the settings (src/editor/network.ts), http.ts
// builds the connections.

/** VS Code's network settings, as the editor integration read them. Every field is optional. */
export interface NetworkSettings {
  /** `http.proxy`: the proxy URL, possibly with credentials. Empty: use the environment. */
  readonly proxy?: string;
  /** `http.noProxy`: hosts that are reached directly. */
  readonly noProxy?: readonly string[];
  /** `http.proxyStrictSSL`: false skips certificate checks on connections through a proxy. Default true. */
  readonly strictSSL?: boolean;
  /** `http.proxyAuthorization`: the Proxy-Authorization header value sent to the proxy. */
  readonly proxyAuthorization?: string;
  /** `http.proxySupport`: 'off' makes every request direct. */
  readonly proxySupport?: string;
  /** `http.systemCertificates`: trust the operating system's certificate store too. Default true. */
  readonly systemCertificates?: boolean;
}

/** Environment variables that matter here, read from `process.env` unless a test passes its own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** One `noProxy` / `NO_PROXY` entry. */
export interface NoProxyRule {
  /** Lower-case host name or IP (IPv6 without brackets); '*' matches every host. */
  readonly host: string;
  /** Only this port, when the entry named one. */
  readonly port?: number;
}

/**
 * Entries as curl, undici and VS Code read them: `host`, `host:port`, `.example.com` and
 * `*.example.com` (the domain and its subdomains; a plain `example.com` covers subdomains too),
 * `[::1]:8080`, and `*` alone for every host. Entries are separated by commas or white space.
 */
export function parseNoProxy(entries: readonly string[] | string | undefined): NoProxyRule[] {
  const list = typeof entries === 'string' ? [entries] : (entries ?? []);
  const rules: NoProxyRule[] = [];
  for (const raw of list.flatMap((e) => e.split(/[\s,]+/))) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') {
      rules.push({ host: '*' });
      continue;
    }
    entry = entry.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '');
    let port: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1];
      port = bracketed[2] ? Number(bracketed[2]) : undefined;
    } else {
      const withPort = /^([^:]+):(\d+)$/.exec(entry);
      if (withPort) [entry, port] = [withPort[1], Number(withPort[2])];
    }
    entry = entry.replace(/^\*?\.+/, '').replace(/\.$/, '');
    if (!entry) continue;
    rules.push(port !== undefined && port > 0 && port < 65536 ? { host: entry, port } : { host: entry });
  }
  return rules;
}

/** Whether a rule sends this URL directly. */
export function bypassesProxy(url: URL, rules: readonly NoProxyRule[]): boolean {
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return rules.some(
    (r) => r.host === '*' || ((host === r.host || host.endsWith(`.${r.host}`)) && (r.port === undefined || r.port === port)),
  );
}

/** The first non-empty variable, lower-case spelling first as curl reads it. */
function variable(env: Environment, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value?.trim() || undefined;
}

/**
 * How a request goes out:
 * - `proxy`: through the proxy that `http.proxy` names, or else (https) HTTPS_PROXY then HTTP_PROXY,
 *   or (http) HTTP_PROXY;
 * - `direct`: `http.proxySupport` is 'off', or `http.noProxy` / NO_PROXY covers the host;
 * - `system`: nothing names a proxy, so the operating system's configuration (system settings, a
 *   PAC file) decides, where the host can apply it (see http.ts).
 */
export type Route = { readonly kind: 'proxy'; readonly proxy: URL } | { readonly kind: 'direct' } | { readonly kind: 'system' };

export function routeFor(target: string | URL, settings: NetworkSettings, env: Environment): Route {
  if (settings.proxySupport === 'off') return { kind: 'direct' };
  const url = typeof target === 'string' ? new URL(target) : target;
  const rules = [...parseNoProxy(settings.noProxy), ...parseNoProxy(variable(env, 'no_proxy'))];
  if (bypassesProxy(url, rules)) return { kind: 'direct' };
  const configured =
    settings.proxy?.trim() ||
    (url.protocol === 'https:' ? (variable(env, 'https_proxy') ?? variable(env, 'http_proxy')) : variable(env, 'http_proxy'));
  return configured ? { kind: 'proxy', proxy: parseProxyUrl(configured) } : { kind: 'system' };
}

/** A proxy setting as a URL; a bare `host:port` means an http proxy. Throws a clear error when unusable. */
export function parseProxyUrl(value: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`The proxy setting is not a URL: ${describeProxyText(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Only http and https proxies are supported, not ${url.protocol.slice(0, 12)}`);
  }
  return url;
}

/** A proxy for messages and the log: scheme, host and port only, never its credentials. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

function describeProxyText(text: string): string {
  // Not a URL, so credentials cannot be cut out reliably: keep what follows the last '@'.
  return JSON.stringify(text.slice(text.lastIndexOf('@') + 1).slice(0, 80));
}
