// Cookies of an endpoint session: the Cookie header sent, a pasted one read, and an answer's Set-Cookie merged in.
import * as l10n from '@vscode/l10n';
import { parseSetCookie } from 'set-cookie-parser';
import { ErrorCode, SessionKeeperError } from '../../base/errors';
import { CONTROL_CHARS as CONTROL } from '../../base/plainText';
import { redactor } from '../../base/redact';
import type { CookieValue } from './declaration';
import { COOKIE_VALUE, MAX_LIFETIME_MS, MAX_VALUE_CHARS, TOKEN, configText } from './inputs';

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
 * The session's cookies after an answer's Set-Cookie headers: new values replace, expired ones go,
 * the rest is kept. A cookie that could not be stored fails the whole answer, naming only its name.
 */
export function mergeSetCookies(
  current: Readonly<Record<string, CookieValue>>,
  setCookies: string[],
  now: number,
  label: string,
): Map<string, CookieValue> {
  const cookies = new Map(Object.entries(current));
  for (const cookie of parseSetCookie(setCookies, { decodeValues: false, silent: true, split: false })) {
    if (!TOKEN.test(cookie.name)) {
      throw invalid(l10n.t('Renewing {0}: the answer sets a cookie with an invalid name; nothing was stored.', label));
    }
    if (cookie.value.length <= MAX_VALUE_CHARS) redactor.add(cookie.value);
    if (cookie.value.length > MAX_VALUE_CHARS || CONTROL.test(cookie.value)) {
      throw invalid(
        l10n.t({
          message:
            'Renewing {0}: the answer sets the cookie {1} to a value longer than {2} KB or with control characters; nothing was stored.',
          args: [label, configText(cookie.name, 64), MAX_VALUE_CHARS / 1024],
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
  return cookies;
}

function invalid(message: string): SessionKeeperError {
  return new SessionKeeperError(ErrorCode.InvalidResponse, message);
}
