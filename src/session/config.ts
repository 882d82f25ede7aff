// The `sessionKeeper.providers` setting: parsed, normalized and validated. Each problem names its
// entry so one bad entry never hides the others.
import * as l10n from '@vscode/l10n';
import { normalizeScopes } from './base/scopes';
import { FLOW_IDS, type FlowId, type FlowSetting } from './kinds/oauth/flows/contract';
import { ENDPOINT_CLIENT_ID, type EndpointDeclaration } from './kinds/endpoint/declaration';
import { isEndpointProblem, parseEndpointDeclaration } from './kinds/endpoint/settings';
import { cleanLabel } from './base/plainText';
import { isLoopbackHost, isSecureOrLocal } from './base/urls';

export interface ProviderConfig {
  /** `oauth`: an OpenID Connect issuer; `endpoint`: a service renewed by its own endpoint (`endpoint` holds how). */
  readonly kind: 'oauth' | 'endpoint';
  /** The id other extensions pass to vscode.authentication.getSession. */
  readonly id: string;
  readonly label: string;
  /**
   * Issuer identifier; discovery is at `<issuer>/.well-known/openid-configuration`. For an endpoint
   * session, the origin of its renewal URL: with clientId, what its sessions are bound to.
   */
  readonly issuer: string;
  /** The client id; `ENDPOINT_CLIENT_ID` for an endpoint session. */
  readonly clientId: string;
  /** Scopes requested with every sign-in, normalized; always includes `openid`. Empty for an endpoint session. */
  readonly scopes: readonly string[];
  /** Extra authorization request parameters (e.g. `audience`, `prompt`, `acr_values`). */
  readonly authorizationParameters: Readonly<Record<string, string>>;
  /** `flows`: the sign-in flows pinned (in that order) or left out; absent: chosen per host. */
  readonly flows?: FlowSetting;
  readonly endpoint?: EndpointDeclaration;
}

export interface ConfigProblem {
  /** Position of the entry in the setting, and its id when it has one. */
  readonly index: number;
  readonly id?: string;
  /** The field of the entry at fault, when the message does not name it (`renew.url`). */
  readonly field?: string;
  readonly message: string;
}

export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parameters the authorization code flow sets itself (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1). */
const RESERVED_PARAMETERS = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
]);

/**
 * RFC 8414 §2 / OIDC Discovery §3: https only, except a loopback issuer for local development, on
 * the user's own computer (`loopbackIsLocal`, base/urls.ts).
 */
export function issuerProblem(issuer: string, loopbackIsLocal = true): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return l10n.t('"issuer" must be an absolute URL such as https://login.example.com/realms/dev.');
  }
  if (!isSecureOrLocal(url, loopbackIsLocal)) {
    return loopbackIsLocal || !isLoopbackHost(url.hostname)
      ? l10n.t('"issuer" must use https (plain http is allowed only for 127.0.0.1 or localhost).')
      : l10n.t(
          '"issuer" must use https here: Session Keeper runs on a remote server (code-server or Codespaces in a browser), and 127.0.0.1 or localhost there is that server, not your computer. If the server is your own computer, turn on sessionKeeper.remote.allowLoopbackHttp.',
        );
  }
  if (url.search || url.hash) {
    return l10n.t('"issuer" must not contain a query or fragment.');
  }
  return undefined;
}

export function allowsInsecureRequests(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `loopbackIsLocal`: whether 127.0.0.1 is the user's computer where the extension runs (base/urls.ts). */
export function parseProviders(raw: unknown, loopbackIsLocal = true): { providers: ProviderConfig[]; problems: ConfigProblem[] } {
  const providers: ProviderConfig[] = [];
  const problems: ConfigProblem[] = [];
  if (raw === undefined || raw === null) return { providers, problems };
  if (!Array.isArray(raw)) {
    problems.push({ index: -1, message: l10n.t('"sessionKeeper.providers" must be an array of identity providers.') });
    return { providers, problems };
  }
  const seen = new Set<string>();
  raw.forEach((entry, index) => {
    const problem = (message: string, id?: string) => problems.push({ index, id, message });
    if (!isRecord(entry)) {
      problem(l10n.t('The entry must be an object with "id", "issuer" and "clientId".'));
      return;
    }
    const id = typeof entry.id === 'string' ? entry.id.trim() : '';
    const named = id || undefined;
    if (!ID_PATTERN.test(id)) {
      problem(l10n.t('"id" must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.'), named);
      return;
    }
    if (seen.has(id.toLowerCase())) {
      problem(l10n.t('The id "{0}" is used by an earlier entry; ids must be unique.', id), id);
      return;
    }
    // A label is shown everywhere an account's is, so it is cleaned the same way.
    const label = (typeof entry.label === 'string' && cleanLabel(entry.label)) || id;
    if (entry.kind === 'endpoint') {
      const declaration = parseEndpointDeclaration(entry, loopbackIsLocal);
      if (isEndpointProblem(declaration)) {
        problems.push({ index, id, field: declaration.field, message: declaration.message });
        return;
      }
      seen.add(id.toLowerCase());
      providers.push({
        kind: 'endpoint',
        id,
        label,
        issuer: new URL(declaration.renew.url).origin,
        clientId: ENDPOINT_CLIENT_ID,
        scopes: [],
        authorizationParameters: {},
        endpoint: declaration,
      });
      return;
    }
    if (entry.kind !== undefined && entry.kind !== 'oauth') {
      problem(
        l10n.t('"kind" must be "oauth" (an OpenID Connect issuer, the default) or "endpoint" (a service with a renewal endpoint).'),
        id,
      );
      return;
    }
    if (entry.kind === undefined && entry.renew !== undefined) {
      problem(l10n.t('The entry has "renew" but no "kind"; add "kind": "endpoint" for a service renewed by its own endpoint.'), id);
      return;
    }
    const issuer = typeof entry.issuer === 'string' ? entry.issuer.trim() : '';
    const issuerIssue = issuerProblem(issuer, loopbackIsLocal);
    if (issuerIssue) {
      problem(issuerIssue, id);
      return;
    }
    const clientId = typeof entry.clientId === 'string' ? entry.clientId.trim() : '';
    if (!clientId) {
      problem(l10n.t('"clientId" is missing; use the client id registered for VS Code at your identity provider.'), id);
      return;
    }
    let scopes: string[] = [...DEFAULT_SCOPES];
    if (entry.scopes !== undefined) {
      if (!Array.isArray(entry.scopes) || entry.scopes.some((s) => typeof s !== 'string' || !s.trim() || /\s/.test(s.trim()))) {
        problem(l10n.t('"scopes" must be an array of scope names without spaces.'), id);
        return;
      }
      scopes = entry.scopes as string[];
    }
    const authorizationParameters: Record<string, string> = {};
    if (entry.authorizationParameters !== undefined) {
      if (!isRecord(entry.authorizationParameters)) {
        problem(l10n.t('"authorizationParameters" must be an object of string values.'), id);
        return;
      }
      for (const [key, value] of Object.entries(entry.authorizationParameters)) {
        if (RESERVED_PARAMETERS.has(key)) {
          problem(l10n.t('"authorizationParameters" cannot set "{0}"; Session Keeper sets it for each sign-in.', key), id);
          return;
        }
        if (typeof value !== 'string') {
          problem(l10n.t('"authorizationParameters.{0}" must be a string.', key), id);
          return;
        }
        authorizationParameters[key] = value;
      }
    }
    let flows: FlowSetting | undefined;
    if (entry.flows !== undefined) {
      const parsed = parseFlows(entry.flows);
      if (typeof parsed === 'string') {
        problem(parsed, id);
        return;
      }
      flows = parsed;
    }
    seen.add(id.toLowerCase());
    providers.push({
      kind: 'oauth',
      id,
      label,
      issuer,
      clientId,
      scopes: normalizeScopes(['openid', ...scopes]),
      authorizationParameters,
      ...(flows && { flows }),
    });
  });
  return { providers, problems };
}

/**
 * `"flows": ["device", "loopback"]` pins those flows in that order; `"flows": ["!paste"]` leaves
 * flows out of the order chosen for the host. Returns a problem message for anything else.
 */
function parseFlows(raw: unknown): FlowSetting | string {
  const known = FLOW_IDS.join(', ');
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((f) => typeof f !== 'string')) {
    return l10n.t('"flows" must be a non-empty array of sign-in flows ({0}), or of flows to leave out, each starting with "!".', known);
  }
  const names = raw as string[];
  const excluded = names.filter((f) => f.startsWith('!'));
  if (excluded.length && excluded.length !== names.length) {
    return l10n.t('"flows" either lists the flows to use or the flows to leave out (with "!"), not both.');
  }
  const ids = names.map((f) => f.replace(/^!/, ''));
  const unknown = ids.find((f) => !(FLOW_IDS as readonly string[]).includes(f));
  if (unknown !== undefined) return l10n.t('"flows" names an unknown sign-in flow "{0}"; known flows: {1}.', unknown, known);
  if (new Set(ids).size !== ids.length) return l10n.t('"flows" names a sign-in flow twice.');
  if (excluded.length === FLOW_IDS.length) return l10n.t('"flows" leaves out every sign-in flow.');
  return excluded.length ? { exclude: ids as FlowId[] } : { only: ids as FlowId[] };
}

/** Formats a problem for a notification or the log, naming the entry. */
export function describeProblem(p: ConfigProblem): string {
  const where = p.id ? l10n.t('Identity provider "{0}"', p.id) : l10n.t('Identity provider entry {0}', p.index + 1);
  if (p.index < 0) return p.message;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}
