// One `sessionKeeper.providers` entry with `"kind": "endpoint"`, parsed into an EndpointDeclaration,
// or the first problem found, naming its field (`renew.url`, `read.token.regex`, `inputs[2]`, ...).
// Messages never quote a template's text, only names and placeholders: a header may hold a secret.
import * as l10n from '@vscode/l10n';
import { CONTROL_CHARS as CONTROL } from '../../base/plainText';
import { foreignText } from '../../base/redact';
import { isLoopbackHost, isSecureOrLocal } from '../../base/urls';
import { Pattern, PatternError } from '../../base/pattern';
import type { EndpointDeclaration, EndsRule, ExpiryRule, Extractor, InputSpec, ReadRule, RenewRequest, ValueRef } from './declaration';

export interface EndpointProblem {
  /** Where in the entry, e.g. `renew.headers.Authorization`. */
  readonly field: string;
  readonly message: string;
}

/** Every field the parser reads, by object; anything else is a typo and a problem. The settings schema describes each. */
export const ENDPOINT_FIELDS = {
  entry: ['kind', 'id', 'label', 'inputs', 'renew', 'read', 'expiry', 'ends', 'serve'],
  renew: ['method', 'url', 'query', 'headers', 'body', 'sendCookies'],
  read: ['json', 'regex', 'flags'],
  expiry: ['json', 'as', 'jwt', 'cookie', 'seconds'],
  ends: ['status', 'body'],
} as const;

/** Names of `value:<name>`. */
export const VALUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * Names of `cookie:<name>`: RFC 6265 cookie-name (an HTTP token) without `$`, which RFC 2965 reserved
 * for cookie attributes and which would read as the start of a placeholder.
 */
export const COOKIE_NAME = /^[!#%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Headers that frame or route the request: the HTTP client sets them.
const CLIENT_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH'] as const;
const EXPIRY_AS = ['seconds', 'epochSeconds', 'epochMillis', 'date'] as const;
const MAX_REGEX = 1000;
const MAX_FIXED_SECONDS = 366 * 24 * 60 * 60;

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function fail(field: string, message: string): never {
  throw new Invalid(field, message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A user's key, short and clean enough to name in a field path or a message. */
function shown(key: string): string {
  return foreignText(key, 48) || '""';
}

function child(field: string, key: string): string {
  return `${field}.${shown(key)}`;
}

function rejectUnknown(raw: Record<string, unknown>, known: readonly string[], field: string | undefined): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      fail(field ? child(field, key) : shown(key), l10n.t('unknown field; the fields here are {0}.', known.join(', ')));
    }
  }
}

export function isEndpointProblem(result: EndpointDeclaration | EndpointProblem): result is EndpointProblem {
  return 'field' in result;
}

/** `loopbackIsLocal`: whether 127.0.0.1 is the user's computer where the extension runs (base/urls.ts). */
export function parseEndpointDeclaration(entry: Record<string, unknown>, loopbackIsLocal = true): EndpointDeclaration | EndpointProblem {
  try {
    return parse(entry, loopbackIsLocal);
  } catch (err) {
    if (err instanceof Invalid) return { field: err.field, message: err.message };
    throw err;
  }
}

/** What a session can hold when it renews: its inputs, and what `read` takes from each answer. */
interface Holdings {
  readonly token: boolean;
  readonly values: ReadonlySet<string>;
  readonly cookies: ReadonlySet<string>;
  readonly allCookies: boolean;
}

function parse(entry: Record<string, unknown>, loopbackIsLocal: boolean): EndpointDeclaration {
  rejectUnknown(entry, ENDPOINT_FIELDS.entry, undefined);
  const inputs = parseInputs(entry.inputs);
  const read = parseRead(entry.read);
  const holdings: Holdings = {
    token: inputs.some((i) => i.kind === 'token') || read.some((r) => r.target.kind === 'token'),
    values: new Set([
      ...inputs.flatMap((i) => (i.kind === 'value' ? [i.name] : [])),
      ...read.flatMap((r) => (r.target.kind === 'value' ? [r.target.name] : [])),
    ]),
    cookies: new Set(inputs.flatMap((i) => (i.kind === 'cookie' ? [i.name] : []))),
    allCookies: inputs.some((i) => i.kind === 'cookies'),
  };
  const renew = parseRenew(entry.renew, holdings, loopbackIsLocal);
  const expiry = parseExpiry(entry.expiry, holdings);
  const ends = parseEnds(entry.ends);
  const serve = parseServe(entry.serve, holdings);
  return { inputs, renew, read, expiry, ends, serve };
}

function parseInputs(raw: unknown): InputSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    fail(
      'inputs',
      l10n.t('must be a non-empty array of what you paste to start a session: "token", "cookies", "cookie:<name>" or "value:<name>".'),
    );
  }
  const seen = new Set<string>();
  return raw.map((item, index): InputSpec => {
    const field = `inputs[${index}]`;
    if (typeof item !== 'string') fail(field, l10n.t('must be "token", "cookies", "cookie:<name>" or "value:<name>".'));
    if (seen.has(item)) fail(field, l10n.t('"{0}" is listed twice.', shown(item)));
    seen.add(item);
    if (item === 'token') return { kind: 'token' };
    if (item === 'cookies') return { kind: 'cookies' };
    if (item.startsWith('cookie:')) return { kind: 'cookie', name: cookieName(item.slice(7), field) };
    if (item.startsWith('value:')) return { kind: 'value', name: valueName(item.slice(6), field) };
    return fail(field, l10n.t('"{0}" is not an input; use "token", "cookies", "cookie:<name>" or "value:<name>".', shown(item)));
  });
}

function cookieName(name: string, field: string): string {
  if (!COOKIE_NAME.test(name)) {
    fail(field, l10n.t('a cookie name must be 1 to 64 letters, digits or any of {0}.', "! # % & ' * + - . ^ _ ` | ~"));
  }
  return name;
}

function valueName(name: string, field: string): string {
  if (!VALUE_NAME.test(name)) fail(field, l10n.t('a value name must be 1 to 64 letters, digits, ".", "_" or "-".'));
  if (name === 'token') fail(field, l10n.t('a value cannot be named "token"; use "token" for the token itself.'));
  return name;
}

function parseRead(raw: unknown): ReadRule[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) fail('read', l10n.t('must be an object such as {"token": {"json": "/token"}}.'));
  return Object.entries(raw).map(([key, rule]): ReadRule => {
    const field = child('read', key);
    let target: ValueRef;
    if (key === 'token') target = { kind: 'token' };
    else if (key.startsWith('value:')) target = { kind: 'value', name: valueName(key.slice(6), field) };
    else if (key === 'cookies' || key.startsWith('cookie:')) {
      return fail(
        field,
        l10n.t('cookies come from the Set-Cookie headers of each answer and are never read from its body; remove this rule.'),
      );
    } else return fail(field, l10n.t('"read" sets "token" or "value:<name>".'));
    return { target, from: parseExtractor(rule, field) };
  });
}

function parseExtractor(raw: unknown, field: string): Extractor {
  if (!isRecord(raw)) fail(field, l10n.t('must be {"json": "/pointer"} or {"regex": "source with one (capture group)"}.'));
  rejectUnknown(raw, ENDPOINT_FIELDS.read, field);
  const hasJson = raw.json !== undefined;
  const hasRegex = raw.regex !== undefined;
  if (hasJson === hasRegex) fail(field, l10n.t('must have exactly one of "json" or "regex".'));
  if (hasJson) {
    if (raw.flags !== undefined) fail(`${field}.flags`, l10n.t('"flags" go with "regex" only.'));
    return { json: jsonPointer(raw.json, `${field}.json`) };
  }
  let flags = '';
  if (raw.flags !== undefined) {
    if (typeof raw.flags !== 'string' || !/^[ims]*$/.test(raw.flags) || new Set(raw.flags).size !== raw.flags.length) {
      fail(`${field}.flags`, l10n.t('may hold only "i", "m" and "s", each once.'));
    }
    flags = raw.flags;
  }
  const regex = compilePattern(raw.regex, flags, `${field}.regex`);
  if (regex.groups !== 1) {
    fail(
      `${field}.regex`,
      l10n.t('must have exactly one capture group, the value to read; it has {0}. Use (?:...) for other groups.', regex.groups),
    );
  }
  return { regex };
}

/** RFC 6901: empty (the whole document) or `/`-separated tokens, `~` only as `~0` or `~1`. */
function jsonPointer(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || !/^(?:\/(?:[^~]|~[01])*)*$/.test(raw)) {
    fail(field, l10n.t('must be a JSON pointer (RFC 6901) such as "/token" or "/data/expires_in", or "" for the whole answer.'));
  }
  return raw;
}

/**
 * Patterns run on the extension host every extension shares, over answers a server writes: they
 * are compiled for a linear-time engine (base/pattern.ts), which has no backreferences or lookaround.
 */
function compilePattern(raw: unknown, flags: string, field: string): Pattern {
  if (typeof raw !== 'string' || !raw) fail(field, l10n.t('must be a regular expression (a non-empty string).'));
  if (raw.length > MAX_REGEX) fail(field, l10n.t('is longer than {0} characters.', MAX_REGEX));
  try {
    return Pattern.compile(raw, flags);
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    const reason = foreignText(err.message, 80);
    if (err.unsupported) {
      fail(
        field,
        l10n.t(
          'uses what Session Keeper cannot match in linear time ({0}). Backreferences such as \\1 and lookaround such as (?=...), (?!...), (?<=...) and (?<!...) are not supported; match the text itself instead.',
          reason,
        ),
      );
    }
    return fail(field, l10n.t('is not a valid regular expression: {0}.', reason));
  }
}

function parseRenew(raw: unknown, holdings: Holdings, loopbackIsLocal: boolean): RenewRequest {
  if (!isRecord(raw)) fail('renew', l10n.t('must be an object describing the renewal request, at least {"url": "https://..."}.'));
  rejectUnknown(raw, ENDPOINT_FIELDS.renew, 'renew');
  const url = renewUrl(raw.url, loopbackIsLocal);
  checkTemplate(url, 'renew.url', holdings);

  const query = stringMap(raw.query, 'renew.query', holdings, (name, field) => {
    if (!name || CONTROL.test(name)) fail(field, l10n.t('a query parameter name must be non-empty, without control characters.'));
    if (name.includes('${')) fail(field, l10n.t('placeholders are replaced in values only, not in parameter names.'));
  });
  const seenHeaders = new Set<string>();
  const headers = stringMap(raw.headers, 'renew.headers', holdings, (name, field) => {
    if (!HEADER_NAME.test(name)) fail(field, l10n.t('is not a valid HTTP header name.'));
    const lower = name.toLowerCase();
    if (CLIENT_HEADERS.has(lower)) fail(field, l10n.t('is set by the HTTP client; remove it.'));
    if (seenHeaders.has(lower)) fail(field, l10n.t('is set twice (header names ignore case).'));
    seenHeaders.add(lower);
  });

  let body: string | Record<string, unknown> | undefined;
  if (raw.body !== undefined) {
    if (typeof raw.body !== 'string' && !isRecord(raw.body)) {
      fail('renew.body', l10n.t('must be a text, or an object sent as JSON.'));
    }
    checkBody(raw.body, 'renew.body', holdings);
    body = raw.body;
  }

  let method: RenewRequest['method'] = body === undefined ? 'GET' : 'POST';
  if (raw.method !== undefined) {
    const upper = typeof raw.method === 'string' ? raw.method.toUpperCase() : '';
    const known = METHODS.find((m) => m === upper);
    if (!known) fail('renew.method', l10n.t('must be GET, POST, PUT or PATCH.'));
    method = known;
  }
  if (method === 'GET' && body !== undefined) {
    fail('renew.body', l10n.t('a GET request cannot have a body; set "method" to POST, PUT or PATCH, or remove "body".'));
  }

  const headerSetsCookie = seenHeaders.has('cookie');
  let sendCookies = !headerSetsCookie;
  if (raw.sendCookies !== undefined) {
    if (typeof raw.sendCookies !== 'boolean') fail('renew.sendCookies', l10n.t('must be true or false.'));
    if (raw.sendCookies && headerSetsCookie) {
      fail('renew.sendCookies', l10n.t('cannot be true when "headers" sets Cookie: the request would carry two Cookie headers.'));
    }
    sendCookies = raw.sendCookies;
  }
  return { method, url, query, headers, ...(body !== undefined && { body }), sendCookies };
}

/** Absolute, https (http on loopback), and an origin without placeholders: the session's values go there and nowhere else. */
function renewUrl(raw: unknown, loopbackIsLocal: boolean): string {
  const field = 'renew.url';
  if (typeof raw !== 'string' || !raw.trim()) fail(field, l10n.t('is required: the absolute URL that renews the session.'));
  const text = raw.trim();
  // URL parsing silently drops tabs and line breaks; a template must not carry them.
  if (CONTROL.test(text)) fail(field, l10n.t('contains a line break or another control character.'));
  // Checked on the text too: a placeholder there may keep the URL from parsing at all.
  const literalOrigin = l10n.t('placeholders may be used in the path and query only, not in the scheme, host or port.');
  if (/^[^/?#]*(?:\/\/[^/?#]*)?/.exec(text)![0].includes('${')) fail(field, literalOrigin);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(field, l10n.t('must be an absolute URL such as https://app.example.com/api/session, with literal scheme, host and port.'));
  }
  if (url.origin.includes('${')) fail(field, literalOrigin);
  if (!isSecureOrLocal(url, loopbackIsLocal)) {
    fail(
      field,
      loopbackIsLocal || !isLoopbackHost(url.hostname)
        ? l10n.t('must use https (plain http is allowed only for 127.0.0.1, [::1] or localhost).')
        : l10n.t(
            'must use https here: Session Keeper runs on a remote server (code-server or Codespaces in a browser), and 127.0.0.1 or localhost there is that server, not your computer. If the server is your own computer, turn on sessionKeeper.remote.allowLoopbackHttp.',
          ),
    );
  }
  if (url.username || url.password) fail(field, l10n.t('must not contain a user name or password; send credentials in "headers".'));
  if (text.includes('#')) fail(field, l10n.t('must not contain a fragment (#...).'));
  return text;
}

function stringMap(
  raw: unknown,
  field: string,
  holdings: Holdings,
  checkName: (name: string, field: string) => void,
): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) fail(field, l10n.t('must be an object of string values.'));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const at = child(field, name);
    checkName(name, at);
    if (typeof value !== 'string') fail(at, l10n.t('must be a string.'));
    checkTemplate(value, at, holdings);
    out[name] = value;
  }
  return out;
}

function checkBody(value: unknown, field: string, holdings: Holdings): void {
  if (typeof value === 'string') checkTemplate(value, field, holdings);
  else if (Array.isArray(value)) value.forEach((item, index) => checkBody(item, `${field}[${index}]`, holdings));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) checkBody(item, child(field, key), holdings);
}

/** A template's text: no control characters, and only placeholders the session can fill. */
function checkTemplate(text: string, field: string, holdings: Holdings): void {
  if (CONTROL.test(text)) fail(field, l10n.t('contains a line break or another control character.'));
  for (let at = text.indexOf('${'); at >= 0;) {
    const end = text.indexOf('}', at + 2);
    if (end < 0) fail(field, l10n.t('has a placeholder that is not closed with "}".'));
    checkPlaceholder(text.slice(at + 2, end), field, holdings);
    at = text.indexOf('${', end + 1);
  }
}

function checkPlaceholder(inner: string, field: string, holdings: Holdings): void {
  const placeholder = `\${${inner}}`;
  if (inner === 'token') {
    if (!holdings.token) fail(field, l10n.t('"{0}" needs a token: list "token" in "inputs" or read one with "read.token".', placeholder));
  } else if (inner === 'cookies') {
    if (!holdings.allCookies && holdings.cookies.size === 0) {
      fail(field, l10n.t('"{0}" needs cookies: list "cookies" or "cookie:<name>" in "inputs".', placeholder));
    }
  } else if (inner.startsWith('value:') && VALUE_NAME.test(inner.slice(6))) {
    const name = inner.slice(6);
    if (!holdings.values.has(name)) {
      fail(field, l10n.t('"{0}" needs the value "{1}": list "value:{1}" in "inputs" or read it with "read.value:{1}".', placeholder, name));
    }
  } else if (inner.startsWith('cookie:') && COOKIE_NAME.test(inner.slice(7))) {
    const name = inner.slice(7);
    if (!holdings.allCookies && !holdings.cookies.has(name)) {
      fail(field, l10n.t('"{0}" needs the cookie "{1}": list "cookie:{1}" or "cookies" in "inputs".', placeholder, name));
    }
  } else {
    fail(
      field,
      l10n.t(
        'unknown placeholder "{0}"; the placeholders are {1}.',
        foreignText(placeholder, 48),
        '${token}, ${value:<name>}, ${cookie:<name>}, ${cookies}',
      ),
    );
  }
}

function parseExpiry(raw: unknown, holdings: Holdings): ExpiryRule {
  const shapes = '{"json": "/expires_in"}, {"jwt": true}, {"cookie": "<name>"}, {"seconds": 3600}';
  if (!isRecord(raw)) fail('expiry', l10n.t('is required: say how long a renewed session lasts, with one of {0}.', shapes));
  rejectUnknown(raw, ENDPOINT_FIELDS.expiry, 'expiry');
  const sources = (['json', 'jwt', 'cookie', 'seconds'] as const).filter((k) => raw[k] !== undefined);
  if (sources.length !== 1) fail('expiry', l10n.t('must have exactly one of "json", "jwt", "cookie" or "seconds", as in {0}.', shapes));
  const source = sources[0];
  if (raw.as !== undefined && source !== 'json') fail('expiry.as', l10n.t('"as" goes with "json" only.'));
  switch (source) {
    case 'json': {
      const pointer = jsonPointer(raw.json, 'expiry.json');
      const as = raw.as ?? 'seconds';
      const known = EXPIRY_AS.find((a) => a === as);
      if (!known) fail('expiry.as', l10n.t('must be one of {0}.', EXPIRY_AS.join(', ')));
      return { from: 'json', pointer, as: known };
    }
    case 'jwt':
      if (raw.jwt !== true) fail('expiry.jwt', l10n.t('must be true.'));
      if (!holdings.token) fail('expiry.jwt', l10n.t('needs a token: list "token" in "inputs" or read one with "read.token".'));
      return { from: 'jwt' };
    case 'cookie':
      return { from: 'cookie', name: cookieName(typeof raw.cookie === 'string' ? raw.cookie : '', 'expiry.cookie') };
    case 'seconds': {
      const seconds = raw.seconds;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_FIXED_SECONDS) {
        fail('expiry.seconds', l10n.t('must be a whole number of seconds from 1 to {0} (366 days).', MAX_FIXED_SECONDS));
      }
      return { from: 'fixed', seconds };
    }
  }
}

function parseEnds(raw: unknown): EndsRule {
  if (raw === undefined) return { status: [401] };
  if (!isRecord(raw)) fail('ends', l10n.t('must be an object such as {"status": [401, 403]}.'));
  rejectUnknown(raw, ENDPOINT_FIELDS.ends, 'ends');
  let status = [401];
  if (raw.status !== undefined) {
    if (!Array.isArray(raw.status)) fail('ends.status', l10n.t('must be an array of HTTP statuses from 400 to 499.'));
    status = raw.status.map((s: unknown, index) => {
      if (typeof s !== 'number' || !Number.isInteger(s) || s < 400 || s > 499) {
        fail(`ends.status[${index}]`, l10n.t('must be an HTTP status from 400 to 499.'));
      }
      return s;
    });
    if (new Set(status).size !== status.length) fail('ends.status', l10n.t('lists a status twice.'));
  }
  const body = raw.body === undefined ? undefined : compilePattern(raw.body, '', 'ends.body');
  if (status.length === 0 && !body) fail('ends.status', l10n.t('is empty and there is no "body": nothing would end the session.'));
  return { status, ...(body && { body }) };
}

function parseServe(raw: unknown, holdings: Holdings): 'token' | 'cookies' {
  const serve = raw ?? (holdings.token ? 'token' : 'cookies');
  if (serve === 'token') {
    if (!holdings.token) fail('serve', l10n.t('"token" needs a token: list "token" in "inputs" or read one with "read.token".'));
    return serve;
  }
  if (serve === 'cookies') {
    if (!holdings.allCookies && holdings.cookies.size === 0) {
      fail('serve', l10n.t('"cookies" needs cookies: list "cookies" or "cookie:<name>" in "inputs", or read a token and serve "token".'));
    }
    return serve;
  }
  return fail('serve', l10n.t('must be "token" or "cookies".'));
}
