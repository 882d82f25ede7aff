// The contract every sign-in flow keeps: it gets a request and returns validated tokens and the
// account, nothing else.
import { cleanLabel } from '../../../base/plainText';
import type { TokenSet } from '../tokens';
import type { DeviceTiming } from './device';

export type FlowId = 'loopback' | 'uriHandler' | 'device' | 'paste';
export const FLOW_IDS: readonly FlowId[] = ['loopback', 'uriHandler', 'device', 'paste'];

/** The per-provider `flows` setting: a pinned list (in that order) or flows left out. */
export type FlowSetting = { readonly only: readonly FlowId[] } | { readonly exclude: readonly FlowId[] };

/** The account a flow signed in. */
export interface FlowAccount {
  readonly id: string;
  readonly label: string;
}

/** What every flow returns: validated tokens and the account, nothing else. */
export interface FlowResult {
  readonly tokens: TokenSet;
  readonly account: FlowAccount;
}

export interface FlowRequest {
  readonly scopes: readonly string[];
  readonly extraParameters: Readonly<Record<string, string>>;
  readonly prompt?: readonly string[];
  readonly signal: AbortSignal;
  readonly timeoutMs?: number;
  readonly providerLabel: string;
  /** Device flow polling; tests shorten or fake it. */
  readonly deviceTiming?: Partial<DeviceTiming>;
}

/**
 * The account an issuer's claims name. The label is where issuer text becomes a name shown in
 * VS Code's Accounts menu, the views and messages, so it is cleaned here, once (cleanLabel).
 */
export function accountFromClaims(claims: { sub: string; preferred_username?: string; email?: string; name?: string }): FlowAccount {
  const named = [claims.preferred_username, claims.email, claims.name].map((c) => (c === undefined ? '' : cleanLabel(c))).find(Boolean);
  return { id: claims.sub, label: named ?? cleanLabel(claims.sub) };
}

/** The result of a flow whose tokens came with validated ID token claims. */
export function withAccount<T extends TokenSet & { claims: NonNullable<TokenSet['claims']> }>(tokens: T): FlowResult {
  return { tokens, account: accountFromClaims(tokens.claims) };
}
