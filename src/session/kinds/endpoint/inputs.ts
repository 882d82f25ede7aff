// What an endpoint session's values may be: the limits, the grammars of tokens, cookies and headers, and pasted-value checks.
import * as l10n from '@vscode/l10n';
import { CONTROL_CHARS as CONTROL, withoutControls } from '../../base/plainText';
import type { InputSpec } from './declaration';
import { parseCookieHeader } from './cookies';

/** The longest value accepted, pasted or read: far above any real token, far below a body. */
export const MAX_VALUE_CHARS = 16 * 1024;

/** A year: no session is meant to live longer, and a bigger number is a broken or hostile answer (as for OAuth). */
export const MAX_LIFETIME_MS = 366 * 24 * 3600_000;

/** RFC 6265 §4.1.1 cookie-value: cookie-octets, optionally in double quotes. */
export const COOKIE_VALUE = /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")$/;

/** RFC 9110 §5.6.2 token: what a cookie name (and a header name) may be. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What a header value can carry on the wire (RFC 9110 field-value, as undici accepts it). */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

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

/** Text from the user's own settings, for a message: not a secret, but kept to one short line. */
export function configText(text: string, max = 80): string {
  const line = withoutControls(text);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A record's own entry only: a name such as `constructor` or `__proto__` is a name like any other. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
