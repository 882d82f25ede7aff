// The pure parts of "Add Identity Provider…": defaults and checks for each answer. No vscode
// import, so the rules can be unit-tested in Node.
import { ID_PATTERN } from '../session/config';
import * as l10n from '@vscode/l10n';

/** The issuer's host, e.g. "login.example.com", as a first label. */
export function suggestLabel(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}

/** A valid, unused id derived from the label: "Acme SSO" → "acme-sso", then "acme-sso-2". */
export function suggestId(label: string, taken: ReadonlySet<string>): string {
  const base =
    label
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .replace(/-+$/, '')
      .slice(0, 56) || 'provider';
  let id = base;
  for (let n = 2; taken.has(id.toLowerCase()); n++) id = `${base}-${n}`;
  return id;
}

/** Lower-cased ids of the entries in any number of raw setting values (ids compare case-insensitively). */
export function takenIds(...values: unknown[]): Set<string> {
  const ids = new Set<string>();
  for (const value of values) {
    if (!Array.isArray(value)) continue;
    for (const entry of value) {
      const id = (entry as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && id.trim()) ids.add(id.trim().toLowerCase());
    }
  }
  return ids;
}

export function idProblem(id: string, taken: ReadonlySet<string>): string | undefined {
  if (!ID_PATTERN.test(id)) return l10n.t('Use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  if (taken.has(id.toLowerCase())) return l10n.t('Another identity provider already uses the id "{0}".', id);
  return undefined;
}

export function clientIdProblem(clientId: string): string | undefined {
  return clientId.trim() ? undefined : l10n.t('Enter the client id registered for VS Code at your identity provider.');
}

export function labelProblem(label: string): string | undefined {
  return label.trim() ? undefined : l10n.t('Enter a name for this identity provider.');
}
