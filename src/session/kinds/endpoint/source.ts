// Endpoint sessions: a service's own token, cookies and named values, kept alive by calling its
// declared renewal endpoint (declaration.ts). Every value is a secret: it is sent to the
// renewal URL's origin only, enters the redactor before anything could log it, and never appears
// in an error message; neither does any header, query or body text.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError } from '../../base/errors';
import { redactor } from '../../base/redact';
import { PartialRenewal, type Credentials, type SessionSource } from '../../refresh/source';
import type { StoredAccount, StoredSession } from '../../storage/store';
import { bodyError, discard, untilAborted } from '../../net/abort';
import { guardedFetch, type Fetch } from '../../net/http';
import { Answer, valueKey } from './answer';
import { cookieHeader, mergeSetCookies } from './cookies';
import type { EndpointDeclaration, EndpointValues } from './declaration';
import { renewalRequest } from './request';

/** reachable() waits at most this long. */
const REACHABLE_TIMEOUT_MS = 5_000;

type EndpointSession = StoredSession & { readonly endpoint?: EndpointValues };

export interface EndpointSourceOptions {
  /** The provider's label, for messages. */
  readonly label: string;
  readonly declaration: EndpointDeclaration;
  readonly fetch: Fetch;
  /** Time limit of one renewal, request and answer together. */
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export class EndpointSource implements SessionSource {
  readonly origin: string;
  private readonly now: () => number;
  private readonly fetch: Fetch;

  constructor(private readonly options: EndpointSourceOptions) {
    this.origin = new URL(options.declaration.renew.url).origin;
    this.now = options.now ?? Date.now;
    this.fetch = guardedFetch(options.fetch, this.now, undefined, 'service');
  }

  async renew(session: StoredSession, account: StoredAccount): Promise<Credentials> {
    if (sameOrigin(account.issuer, this.origin) === false) {
      throw new SessionKeeperError(
        ErrorCode.InvalidConfiguration,
        l10n.t('The session of {0} belongs to another address than {1}; nothing was sent.', this.label, this.origin),
      );
    }
    const current = (session as EndpointSession).endpoint;
    if (!current) {
      // A session that holds nothing to renew with can never renew: retrying cannot help.
      throw new SessionKeeperError(
        ErrorCode.GrantRevoked,
        l10n.t('The session of {0} holds no values to renew with. Sign in again.', this.label),
      );
    }
    return this.renewValues(current);
  }

  /** Renews a session from its current values; at sign-in, this checks the pasted values. */
  async renewValues(current: EndpointValues, signal?: AbortSignal): Promise<Credentials> {
    remember(current);
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const { url, init } = renewalRequest(this.options.declaration.renew, current, this.origin, this.label);
    const host = new URL(url).host;
    const response = await untilAborted(this.fetch(url, { ...init, redirect: 'manual', signal: combined }), combined, host);
    const { ends } = this.options.declaration;
    const status = response.status;
    if (ends.status.includes(status)) {
      await discard(response);
      throw this.ended(status);
    }
    if (status >= 300 && status < 400) {
      await discard(response);
      throw new SessionKeeperError(
        ErrorCode.InvalidResponse,
        l10n.t({
          message: 'Renewing {0}: {1} answered with a redirect (HTTP {2}), which is not followed. Check the renewal URL.',
          args: [this.label, host, status],
          comment: ['{0} is a provider label, {1} a host name, {2} an HTTP status code'],
        }),
      );
    }
    let text: string;
    try {
      text = await untilAborted(response.text(), combined, host);
    } catch (err) {
      throw bodyError(err, combined, host);
    }
    if (ends.body?.test(text)) throw this.ended(status);
    if (status < 200 || status >= 300) {
      throw new SessionKeeperError(
        ErrorCode.InvalidResponse,
        l10n.t({
          message: 'Renewing {0}: {1} answered HTTP {2}.',
          args: [this.label, host, status],
          comment: ['{0} is a provider label, {1} a host name, {2} an HTTP status code'],
        }),
      );
    }
    return this.credentials(current, text, response.headers.getSetCookie());
  }

  /** Whether the origin answers at all: a HEAD of its root, with no session value. Never throws. */
  async reachable(): Promise<boolean> {
    try {
      const signal = AbortSignal.timeout(Math.min(REACHABLE_TIMEOUT_MS, this.options.timeoutMs));
      const response = await untilAborted(
        this.options.fetch(`${this.origin}/`, { method: 'HEAD', redirect: 'manual', signal }),
        signal,
        '',
      );
      await discard(response);
      return true;
    } catch {
      return false;
    }
  }

  private get label(): string {
    return this.options.label;
  }

  private ended(status: number): SessionKeeperError {
    return new SessionKeeperError(
      ErrorCode.GrantRevoked,
      l10n.t({
        message: '{0} ended the session (HTTP {1}). Sign in again.',
        args: [this.label, status],
        comment: ['{0} is a provider label, {1} an HTTP status code'],
      }),
    );
  }

  /** The values after a successful answer: read values replace, Set-Cookie updates, the rest is kept. */
  private credentials(current: EndpointValues, text: string, setCookies: string[]): Credentials {
    const now = this.now();
    const declaration = this.options.declaration;
    const answer = new Answer(this.label, text);
    const cookies = mergeSetCookies(current.cookies, setCookies, now, this.label);

    // The answer may have rotated a cookie already: from here on, a failure keeps the new cookies.
    try {
      const values = new Map(Object.entries(current.values));
      for (const rule of declaration.read) values.set(valueKey(rule.target), answer.value(rule));

      const endpoint: EndpointValues = { values: Object.fromEntries(values), cookies: Object.fromEntries(cookies) };
      const expiresAt = answer.expiry(declaration.expiry, endpoint, now);
      if (declaration.serve === 'token') {
        const token = values.get('token');
        if (!token) throw answer.nothingToServe(declaration.serve);
        return { accessToken: token, tokenType: 'Bearer', expiresAt, endpoint };
      }
      if (!cookies.size) throw answer.nothingToServe(declaration.serve);
      return { accessToken: cookieHeader(endpoint.cookies), tokenType: 'Cookie', expiresAt, endpoint };
    } catch (err) {
      if (!setCookies.length || !(err instanceof SessionKeeperError) || !err.transient) throw err;
      const endpoint: EndpointValues = { values: current.values, cookies: Object.fromEntries(cookies) };
      throw new PartialRenewal(err, endpoint, declaration.serve === 'cookies' && cookies.size ? cookieHeader(endpoint.cookies) : undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Every value of a session enters the redactor before anything could log it. */
function remember(current: EndpointValues): void {
  for (const [, v] of Object.entries(current.values)) redactor.add(v);
  for (const [, c] of Object.entries(current.cookies)) redactor.add(c.value);
}

/** false when the account's issuer is another origin; undefined when it says nothing usable. */
function sameOrigin(issuer: unknown, origin: string): boolean | undefined {
  if (typeof issuer !== 'string' || !issuer) return undefined;
  try {
    return new URL(issuer).origin === origin;
  } catch {
    return false;
  }
}
