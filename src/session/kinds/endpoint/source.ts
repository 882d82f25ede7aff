// Endpoint sessions: a service's own token, cookies and named values, kept alive by calling its
// declared renewal endpoint (endpointDeclaration.ts). Every value is a secret: it is sent to the
// renewal URL's origin only, enters the redactor before anything could log it, and never appears
// in an error message; neither does any header, query or body text.
import * as l10n from '@vscode/l10n';
import { parseSetCookie } from 'set-cookie-parser';
import { ErrorCode, SessionKeeperError, findSessionKeeperError } from '../../base/errors';
import { resolvePointer } from '../../base/jsonPointer';
import { jwtExpiry } from '../../base/jwt';
import { CONTROL_CHARS as CONTROL, withoutControls } from '../../base/plainText';
import { redactor } from '../../base/redact';
import { PartialRenewal, type Credentials, type SessionSource } from '../../refresh/source';
import type { StoredAccount, StoredSession } from '../../storage/store';
import type { CookieValue, EndpointDeclaration, EndpointValues, ExpiryRule, InputSpec, ReadRule, ValueRef } from './declaration';
import { guardedFetch, type Fetch } from '../../net/http';

/** The longest value accepted, pasted or read: far above any real token, far below a body. */
export const MAX_VALUE_CHARS = 16 * 1024;

/** A year: no session is meant to live longer, and a bigger number is a broken or hostile answer (as for OAuth). */
const MAX_LIFETIME_MS = 366 * 24 * 3600_000;

/** reachable() waits at most this long. */
const REACHABLE_TIMEOUT_MS = 5_000;

/** RFC 6265 §4.1.1 cookie-value: cookie-octets, optionally in double quotes. */
const COOKIE_VALUE = /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")$/;

/** RFC 9110 §5.6.2 token: what a cookie name (and a header name) may be. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What a header value can carry on the wire (RFC 9110 field-value, as undici accepts it). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const PLACEHOLDER = /\$\{([^}]*)\}/g;

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
    const { url, init } = this.request(current);
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

  /** The renewal request of the declaration, with this session's values in its placeholders. */
  private request(current: EndpointValues): { url: string; init: RequestInit } {
    const renew = this.options.declaration.renew;
    let url = expand(renew.url, current, 'renew.url', encodeURIComponent);
    const extra = Object.entries(renew.query).map(
      ([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(expand(v, current, `renew.query.${k}`))}`,
    );
    if (extra.length) {
      const hash = url.indexOf('#');
      if (hash >= 0) url = url.slice(0, hash);
      url += (url.includes('?') ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?') + extra.join('&');
    }
    const target = new URL(url);
    if (target.origin !== this.origin) {
      // Only possible with a placeholder in the scheme, host or port, which the declaration forbids.
      throw new SessionKeeperError(
        ErrorCode.InvalidConfiguration,
        l10n.t('The renewal URL of {0} must name its host literally; nothing was sent.', this.label),
      );
    }
    const headers = new Headers();
    for (const [name, template] of Object.entries(renew.headers)) {
      const value = expand(template, current, `renew.headers.${name}`);
      if (!TOKEN.test(name) || !HEADER_VALUE.test(value)) {
        throw new SessionKeeperError(
          ErrorCode.InvalidConfiguration,
          l10n.t(
            'Renewing {0}: the header {1} would hold characters a header cannot carry; nothing was sent.',
            this.label,
            configText(name, 64),
          ),
        );
      }
      headers.set(name, value);
    }
    if (renew.sendCookies && Object.keys(current.cookies).length) {
      const stored = cookieHeader(current.cookies);
      const declared = headers.get('cookie');
      headers.set('cookie', declared ? `${declared}; ${stored}` : stored);
    }
    let body: string | undefined;
    if (typeof renew.body === 'string') body = expand(renew.body, current, 'renew.body');
    else if (renew.body !== undefined) {
      body = JSON.stringify(expandJson(renew.body, current, 'renew.body'));
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    return { url: target.href, init: { method: renew.method, headers, ...(body === undefined ? {} : { body }) } };
  }

  /** The values after a successful answer: read values replace, Set-Cookie updates, the rest is kept. */
  private credentials(current: EndpointValues, text: string, setCookies: string[]): Credentials {
    const now = this.now();
    const declaration = this.options.declaration;
    let json: { value: unknown } | undefined;
    const parsed = (name: string, field: string, pointer: string): unknown => {
      if (!json) {
        try {
          json = { value: JSON.parse(text) as unknown };
        } catch {
          throw this.invalid(
            l10n.t({
              message: 'Renewing {0}: the answer is not JSON, so it has no {1} ({2}, JSON pointer {3}).',
              args: [this.label, name, field, pointer],
              comment: [
                '{0} is a provider label, {1} a value name such as token, {2} a setting field such as read.token, {3} a JSON pointer',
              ],
            }),
          );
        }
      }
      return json.value;
    };

    const cookies = new Map(Object.entries(current.cookies));
    for (const cookie of parseSetCookie(setCookies, { decodeValues: false, silent: true, split: false })) {
      if (!TOKEN.test(cookie.name)) {
        throw this.invalid(l10n.t('Renewing {0}: the answer sets a cookie with an invalid name; nothing was stored.', this.label));
      }
      if (cookie.value.length <= MAX_VALUE_CHARS) redactor.add(cookie.value);
      if (cookie.value.length > MAX_VALUE_CHARS || CONTROL.test(cookie.value)) {
        throw this.invalid(
          l10n.t({
            message:
              'Renewing {0}: the answer sets the cookie {1} to a value longer than {2} KB or with control characters; nothing was stored.',
            args: [this.label, configText(cookie.name, 64), MAX_VALUE_CHARS / 1024],
            comment: ['{0} is a provider label, {1} a cookie name'],
          }),
        );
      }
      // RFC 6265 §5.2.2: Max-Age wins over Expires; zero or less, or an Expires in the past, deletes.
      let expiresAt: number | undefined;
      if (cookie.maxAge !== undefined) expiresAt = cookie.maxAge <= 0 ? -Infinity : now + cookie.maxAge * 1000;
      else if (cookie.expires) expiresAt = cookie.expires.getTime();
      if (expiresAt !== undefined && !(expiresAt > now)) {
        cookies.delete(cookie.name);
        continue;
      }
      cookies.set(
        cookie.name,
        expiresAt === undefined ? { value: cookie.value } : { value: cookie.value, expiresAt: Math.min(expiresAt, now + MAX_LIFETIME_MS) },
      );
    }

    // The answer may have rotated a cookie already: from here on, a failure keeps the new cookies.
    try {
      const values = new Map(Object.entries(current.values));
      for (const rule of declaration.read) {
        const key = valueKey(rule.target);
        const raw =
          'json' in rule.from ? resolvePointer(parsed(key, fieldName(key), rule.from.json), rule.from.json) : rule.from.regex.capture(text);
        const value = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
        // A value too long to use is never kept anywhere, so it needs no place among the redactor's secrets.
        if (typeof value === 'string' && value.length <= MAX_VALUE_CHARS) redactor.add(value);
        if (typeof value !== 'string' || value === '') throw this.missing(rule, key);
        if (value.length > MAX_VALUE_CHARS || CONTROL.test(value)) {
          throw this.invalid(
            l10n.t({
              message: 'Renewing {0}: the {1} in the answer ({2}) is longer than {3} KB or holds control characters; it was not used.',
              args: [this.label, key, fieldName(key), MAX_VALUE_CHARS / 1024],
              comment: ['{0} is a provider label, {1} a value name such as token, {2} a setting field such as read.token'],
            }),
          );
        }
        values.set(key, value);
      }

      const endpoint: EndpointValues = { values: Object.fromEntries(values), cookies: Object.fromEntries(cookies) };
      const expiresAt = this.expiry(declaration.expiry, endpoint, parsed, now);
      if (declaration.serve === 'token') {
        const token = values.get('token');
        if (!token) throw this.nothingToServe();
        return { accessToken: token, tokenType: 'Bearer', expiresAt, endpoint };
      }
      if (!cookies.size) throw this.nothingToServe();
      return { accessToken: cookieHeader(endpoint.cookies), tokenType: 'Cookie', expiresAt, endpoint };
    } catch (err) {
      if (!setCookies.length || !(err instanceof SessionKeeperError) || !err.transient) throw err;
      const endpoint: EndpointValues = { values: current.values, cookies: Object.fromEntries(cookies) };
      throw new PartialRenewal(err, endpoint, declaration.serve === 'cookies' && cookies.size ? cookieHeader(endpoint.cookies) : undefined);
    }
  }

  private expiry(
    rule: ExpiryRule,
    endpoint: EndpointValues,
    parsed: (name: string, field: string, pointer: string) => unknown,
    now: number,
  ): number {
    let at: number | undefined;
    let where: string;
    switch (rule.from) {
      case 'json': {
        where = `expiry, JSON pointer ${rule.pointer}`;
        at = timeOf(resolvePointer(parsed('expiry', 'expiry', rule.pointer), rule.pointer), rule.as, now);
        break;
      }
      case 'jwt': {
        where = 'expiry, JWT exp';
        const token = own(endpoint.values, 'token');
        at = token === undefined ? undefined : jwtExpiry(token);
        break;
      }
      case 'cookie':
        where = `expiry, cookie ${rule.name}`;
        at = own(endpoint.cookies, rule.name)?.expiresAt;
        break;
      case 'fixed':
        where = 'expiry, fixed';
        at = now + rule.seconds * 1000;
        break;
    }
    if (at === undefined || !Number.isFinite(at) || at <= now) {
      throw this.invalid(
        l10n.t({
          message: 'Renewing {0}: the answer has no usable expiry ({1}): it is missing, not a time, or not in the future.',
          args: [this.label, where],
          comment: ['{0} is a provider label, {1} the expiry setting, such as "expiry, JSON pointer /expiresAt" (not translated)'],
        }),
      );
    }
    return Math.round(Math.min(at, now + MAX_LIFETIME_MS));
  }

  private missing(rule: ReadRule, key: string): SessionKeeperError {
    const how = 'json' in rule.from ? `JSON pointer ${rule.from.json}` : 'regex';
    return this.invalid(
      l10n.t({
        message: 'Renewing {0}: the answer has no "{1}" ({2}, {3}).',
        args: [this.label, key, fieldName(key), how],
        comment: [
          '{0} is a provider label, {1} a value name such as token, {2} a setting field such as read.token, {3} "JSON pointer /..." or "regex" (not translated)',
        ],
      }),
    );
  }

  private nothingToServe(): SessionKeeperError {
    const what = this.options.declaration.serve === 'token' ? 'token' : 'cookies';
    return this.invalid(
      l10n.t({
        message: 'Renewing {0}: the session has no {1} to serve (serve: {1}).',
        args: [this.label, what],
        comment: ['{0} is a provider label, {1} is token or cookies (not translated)'],
      }),
    );
  }

  private invalid(message: string): SessionKeeperError {
    return new SessionKeeperError(ErrorCode.InvalidResponse, message);
  }
}

// ---------------------------------------------------------------------------------------------
// Pure helpers.

/**
 * The template with `${token}`, `${value:<name>}`, `${cookie:<name>}` and `${cookies}` replaced by
 * the session's values, each passed through `encode` (URL parts pass encodeURIComponent). A value
 * the session lacks is an error naming the placeholder and the field `where`, never an empty string.
 */
export function expand(template: string, current: EndpointValues, where: string, encode: (value: string) => string = (v) => v): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = placeholderValue(name, current);
    if (value === undefined) {
      throw new SessionKeeperError(
        ErrorCode.InvalidConfiguration,
        l10n.t({
          message: 'The session holds no value for {0}, which {1} uses. Sign in again if it keeps happening.',
          args: [configText(`\${${name}}`), configText(where)],
          comment: ['{0} is a placeholder name such as token or cookie:sid, {1} a setting field such as renew.headers.Authorization'],
        }),
      );
    }
    return encode(value);
  });
}

function placeholderValue(name: string, current: EndpointValues): string | undefined {
  if (name === 'token') return own(current.values, 'token');
  if (name === 'cookies') return Object.keys(current.cookies).length ? cookieHeader(current.cookies) : undefined;
  if (name.startsWith('value:')) return own(current.values, name.slice('value:'.length));
  if (name.startsWith('cookie:')) return own(current.cookies, name.slice('cookie:'.length))?.value;
  return undefined;
}

/** An object body with every string leaf (at any depth, in arrays too) expanded. */
function expandJson(value: unknown, current: EndpointValues, where: string): unknown {
  if (typeof value === 'string') return expand(value, current, where);
  if (Array.isArray(value)) return value.map((v, i) => expandJson(v, current, `${where}.${i}`));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandJson(v, current, `${where}.${k}`)]));
  }
  return value;
}

/** A `Cookie` header value: `a=1; b=2`. */
export function cookieHeader(cookies: Readonly<Record<string, CookieValue>>): string {
  return Object.entries(cookies)
    .map(([name, c]) => `${name}=${c.value}`)
    .join('; ');
}

/**
 * The cookies of a pasted `Cookie` header value (`a=1; b=2`, optionally with a leading `Cookie:`);
 * undefined when it is not one: a part without `=`, a name that is not a token, a value that is
 * not RFC 6265 cookie-value, or no pair at all. The first of two same-named cookies counts.
 */
export function parseCookieHeader(text: string): Record<string, CookieValue> | undefined {
  const body = text.trim().replace(/^cookie\s*:/i, '');
  const cookies = new Map<string, CookieValue>();
  for (const part of body.split(';')) {
    const pair = part.trim();
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!TOKEN.test(name) || !COOKIE_VALUE.test(value) || value.length > MAX_VALUE_CHARS) return undefined;
    if (!cookies.has(name)) cookies.set(name, { value });
  }
  return cookies.size ? Object.fromEntries(cookies) : undefined;
}

/**
 * What is wrong with a pasted value, or undefined when it can be used. Leading and trailing
 * whitespace is not part of a value (callers store the trimmed text). Never quotes the value.
 */
export function inputProblem(spec: InputSpec, text: string): string | undefined {
  const value = text.trim();
  if (!value) return l10n.t('Paste a value; this one is empty.');
  if (value.length > MAX_VALUE_CHARS)
    return l10n.t('This value is longer than {0} KB; that is not a session value.', MAX_VALUE_CHARS / 1024);
  if (CONTROL.test(value)) return l10n.t('This value holds control characters (line breaks, tabs or escape codes).');
  switch (spec.kind) {
    case 'token':
      return /\s/.test(value)
        ? l10n.t('A token has no spaces; this value has some. Paste the token alone, without a prefix such as Bearer.')
        : undefined;
    case 'cookie':
      return COOKIE_VALUE.test(value)
        ? undefined
        : l10n.t(
            'This is not a cookie value: a cookie value has no spaces, commas, semicolons, backslashes or double quotes (unless it is all in double quotes).',
          );
    case 'cookies':
      return parseCookieHeader(value)
        ? undefined
        : l10n.t('This is not a Cookie header: paste name=value pairs separated by semicolons, like a=1; b=2.');
    case 'value':
      return undefined;
  }
}

/** An expiry field as epoch ms, or undefined when it is not one. Numbers as strings are accepted for the numeric kinds. */
function timeOf(value: unknown, as: 'seconds' | 'epochSeconds' | 'epochMillis' | 'date', now: number): number | undefined {
  if (as === 'date') {
    if (typeof value !== 'string') return undefined;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : at;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  if (as === 'seconds') return now + n * 1000;
  return as === 'epochSeconds' ? n * 1000 : n;
}

function valueKey(ref: ValueRef): string {
  return ref.kind === 'token' ? 'token' : ref.name;
}

/** The setting field a value is read by: read.token or read.value:<name>. */
function fieldName(key: string): string {
  return key === 'token' ? 'read.token' : `read.value:${key}`;
}

/** Text from the user's own settings, for a message: not a secret, but kept to one short line. */
function configText(text: string, max = 80): string {
  const line = withoutControls(text);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A record's own entry only: a name such as `constructor` or `__proto__` is a name like any other. */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

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

/** Settles with the promise, or rejects as soon as the signal aborts (whatever the promise does). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, host: string): Promise<T> {
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

function abortError(signal: AbortSignal, host: string): SessionKeeperError {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason instanceof SessionKeeperError) return reason;
  if (reason?.name === 'TimeoutError') {
    return new SessionKeeperError(ErrorCode.Timeout, l10n.t('{0} did not answer in time. Check your network.', host));
  }
  return new SessionKeeperError(ErrorCode.Cancelled, l10n.t('The request to {0} was cancelled.', host));
}

/** A failure while reading an answer's body: the size limit, the time limit, or the connection. */
function bodyError(err: unknown, signal: AbortSignal, host: string): SessionKeeperError {
  const own = findSessionKeeperError(err);
  if (own) return own;
  if (signal.aborted) return abortError(signal, host);
  return new SessionKeeperError(ErrorCode.Unreachable, l10n.t('The connection to {0} broke while its answer was read.', host));
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
