// Where plain http is allowed: the user's own computer only (RFC 8252 §8.3 for redirects; the same
// rule for issuers, endpoints and renewal URLs used in local development). Everything else must be
// https. 127.0.0.1 is the user's computer only where the extension runs on it: on a remote server
// (code-server, Codespaces in a browser) it is that server, and whatever listens there.

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** A URL's hostname (as `URL.hostname` gives it) that names the computer the extension runs on. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * https, or http to the loopback while it is the user's computer (`loopbackIsLocal`: the extension
 * runs there, or the user said the server it runs on is their computer).
 */
export function isSecureOrLocal(url: URL, loopbackIsLocal: boolean): boolean {
  return url.protocol === 'https:' || (loopbackIsLocal && url.protocol === 'http:' && isLoopbackHost(url.hostname));
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
