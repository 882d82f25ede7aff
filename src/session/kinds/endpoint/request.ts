// The renewal request of an endpoint declaration, with the session's values in its `${...}` placeholders.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError } from '../../base/errors';
import { cookieHeader } from './cookies';
import type { EndpointValues, RenewRequest } from './declaration';
import { HEADER_VALUE, TOKEN, configText, own } from './inputs';

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/**
 * The renewal request of the declaration, with this session's values in its placeholders. Its URL
 * must stay on `origin`; `label` names the provider in messages.
 */
export function renewalRequest(
  renew: RenewRequest,
  current: EndpointValues,
  origin: string,
  label: string,
): { url: string; init: RequestInit } {
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
  if (target.origin !== origin) {
    // Only possible with a placeholder in the scheme, host or port, which the declaration forbids.
    throw new SessionKeeperError(
      ErrorCode.InvalidConfiguration,
      l10n.t('The renewal URL of {0} must name its host literally; nothing was sent.', label),
    );
  }
  const headers = new Headers();
  for (const [name, template] of Object.entries(renew.headers)) {
    const value = expand(template, current, `renew.headers.${name}`);
    if (!TOKEN.test(name) || !HEADER_VALUE.test(value)) {
      throw new SessionKeeperError(
        ErrorCode.InvalidConfiguration,
        l10n.t('Renewing {0}: the header {1} would hold characters a header cannot carry; nothing was sent.', label, configText(name, 64)),
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
