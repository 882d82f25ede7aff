// Where plain http is allowed: this computer only (RFC 8252 §8.3 for redirects; the same rule for
// issuers, endpoints and renewal URLs used in local development). Everything else must be https.

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A URL's hostname (as `URL.hostname` gives it) that names this computer. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** https, or http on this computer. */
export function isSecureOrLocal(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * A URL that is shown as text and then opened, as its parsed href, when parsing leaves it as it
 * reads (apart from the "/" of an empty path); undefined when parsing would change it (spaces,
 * backslashes, letter case, dot segments) or it is no URL at all.
 */
export function exactHref(url: string): string | undefined {
  let href: string;
  try {
    href = new URL(url).href;
  } catch {
    return undefined;
  }
  return href === url || href === `${url}/` ? href : undefined;
}
