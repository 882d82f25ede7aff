// Reading a renewal answer: the values its read rules name, its expiry, and the errors when they are missing or unusable.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError } from '../../base/errors';
import { resolvePointer } from '../../base/jsonPointer';
import { jwtExpiry } from '../../base/jwt';
import { CONTROL_CHARS as CONTROL } from '../../base/plainText';
import { redactor } from '../../base/redact';
import type { EndpointDeclaration, EndpointValues, ExpiryRule, ReadRule, ValueRef } from './declaration';
import { MAX_LIFETIME_MS, MAX_VALUE_CHARS, own } from './inputs';

/** One answer's text, parsed as JSON only when a rule asks for JSON; `label` names the provider in messages. */
export class Answer {
  private json?: { value: unknown };

  constructor(
    private readonly label: string,
    private readonly text: string,
  ) {}

  /** The value a read rule takes from the answer; it enters the redactor before it is checked. */
  value(rule: ReadRule): string {
    const key = valueKey(rule.target);
    const raw =
      'json' in rule.from
        ? resolvePointer(this.parsed(key, fieldName(key), rule.from.json), rule.from.json)
        : rule.from.regex.capture(this.text);
    const value = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
    // A value too long to use is never kept anywhere, so it needs no place among the redactor's secrets.
    if (typeof value === 'string' && value.length <= MAX_VALUE_CHARS) redactor.add(value);
    if (typeof value !== 'string' || value === '') throw this.missing(rule, key);
    if (value.length > MAX_VALUE_CHARS || CONTROL.test(value)) {
      throw invalid(
        l10n.t({
          message: 'Renewing {0}: the {1} in the answer ({2}) is longer than {3} KB or holds control characters; it was not used.',
          args: [this.label, key, fieldName(key), MAX_VALUE_CHARS / 1024],
          comment: ['{0} is a provider label, {1} a value name such as token, {2} a setting field such as read.token'],
        }),
      );
    }
    return value;
  }

  /** The renewed session's expiry (epoch ms, capped at a year), by the declaration's rule. */
  expiry(rule: ExpiryRule, endpoint: EndpointValues, now: number): number {
    let at: number | undefined;
    let where: string;
    switch (rule.from) {
      case 'json': {
        where = `expiry, JSON pointer ${rule.pointer}`;
        at = timeOf(resolvePointer(this.parsed('expiry', 'expiry', rule.pointer), rule.pointer), rule.as, now);
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
      throw invalid(
        l10n.t({
          message: 'Renewing {0}: the answer has no usable expiry ({1}): it is missing, not a time, or not in the future.',
          args: [this.label, where],
          comment: ['{0} is a provider label, {1} the expiry setting, such as "expiry, JSON pointer /expiresAt" (not translated)'],
        }),
      );
    }
    return Math.round(Math.min(at, now + MAX_LIFETIME_MS));
  }

  /** The error for a session left with nothing of what the declaration serves. */
  nothingToServe(serve: EndpointDeclaration['serve']): SessionKeeperError {
    const what = serve === 'token' ? 'token' : 'cookies';
    return invalid(
      l10n.t({
        message: 'Renewing {0}: the session has no {1} to serve (serve: {1}).',
        args: [this.label, what],
        comment: ['{0} is a provider label, {1} is token or cookies (not translated)'],
      }),
    );
  }

  private parsed(name: string, field: string, pointer: string): unknown {
    if (!this.json) {
      try {
        this.json = { value: JSON.parse(this.text) as unknown };
      } catch {
        throw invalid(
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
    return this.json.value;
  }

  private missing(rule: ReadRule, key: string): SessionKeeperError {
    const how = 'json' in rule.from ? `JSON pointer ${rule.from.json}` : 'regex';
    return invalid(
      l10n.t({
        message: 'Renewing {0}: the answer has no "{1}" ({2}, {3}).',
        args: [this.label, key, fieldName(key), how],
        comment: [
          '{0} is a provider label, {1} a value name such as token, {2} a setting field such as read.token, {3} "JSON pointer /..." or "regex" (not translated)',
        ],
      }),
    );
  }
}

/** The name a value is kept under: `token`, or the value's own name. */
export function valueKey(ref: ValueRef): string {
  return ref.kind === 'token' ? 'token' : ref.name;
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

/** The setting field a value is read by: read.token or read.value:<name>. */
function fieldName(key: string): string {
  return key === 'token' ? 'read.token' : `read.value:${key}`;
}

function invalid(message: string): SessionKeeperError {
  return new SessionKeeperError(ErrorCode.InvalidResponse, message);
}
