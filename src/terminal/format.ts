// What the `session-keeper` command prints for each tool. Pure: the command formats the token it
// received; nothing here stores or logs it.
import type { OutputFormat } from './protocol';

export interface IssuedToken {
  readonly token: string;
  /** Epoch milliseconds; absent when the issuer gave no lifetime. */
  readonly expiresAt?: number;
  /** The account's label (a user name), used as git's username. */
  readonly account: string;
}

/** kubectl's client-go exec plugin answer (client.authentication.k8s.io/v1). */
export interface ExecCredential {
  readonly apiVersion: 'client.authentication.k8s.io/v1';
  readonly kind: 'ExecCredential';
  readonly status: { readonly token: string; readonly expirationTimestamp?: string };
}

/** RFC 3339 without fractions, as Kubernetes prints times. */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function execCredential(t: IssuedToken): ExecCredential {
  return {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token: t.token, ...(t.expiresAt !== undefined && { expirationTimestamp: rfc3339(t.expiresAt) }) },
  };
}

/** The git credential protocol's answer to `get`: the token is the password. */
export function gitCredential(t: IssuedToken, request: ReadonlyMap<string, string> = new Map()): string {
  // git's own username (from the URL or config) wins; else the account's name.
  const username = request.get('username') || t.account;
  return `username=${oneLine(username)}\npassword=${oneLine(t.token)}\n`;
}

/** Everything the command prints to stdout for a format, ending in a newline. */
export function formatToken(format: OutputFormat, t: IssuedToken, request?: ReadonlyMap<string, string>): string {
  switch (format) {
    case 'bare':
      return `${t.token}\n`;
    case 'header':
      return `Authorization: Bearer ${t.token}\n`;
    case 'json':
      return `${JSON.stringify({ token: t.token, expiresAt: t.expiresAt === undefined ? null : rfc3339(t.expiresAt), account: t.account })}\n`;
    case 'kubectl':
      return `${JSON.stringify(execCredential(t))}\n`;
    case 'git':
      return gitCredential(t, request);
  }
}

/**
 * Reads git's credential description (`key=value` lines up to a blank line). Bounded: git sends a
 * handful of short lines. Unknown or malformed lines are ignored, as git does.
 */
export function parseGitCredentialInput(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(0, 64)) {
    const l = line.replace(/\r$/, '');
    if (l === '') break;
    const eq = l.indexOf('=');
    if (eq <= 0) continue;
    out.set(l.slice(0, eq), l.slice(eq + 1));
  }
  return out;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\0]/g, '');
}
