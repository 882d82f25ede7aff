// flows/: the ways to sign in, as one table. Each flow says where it works (the kind of host) and
// what the issuer must publish, and runs one contract: validated tokens and the account, nothing
// else. Which flows a sign-in offers, and in which order, is a query over the table.
// Adding a flow = one file and one row in FLOWS.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError } from '../../../base/errors';
import type { Logger } from '../../../base/log';
import type { OAuthClient } from '../client';
import { authorizationCodeFlow, uriHandlerFlow } from './authorizationCode';
import { deviceFlow } from './device';
import { pasteTokenFlow } from './pasteToken';
import type { FlowHost, HostKind } from '../../../host';
export { hostKind, type FlowHost, type HostKind } from '../../../host';
import { accountFromClaims, type FlowId, type FlowRequest, type FlowResult, type FlowSetting } from './contract';

export {
  FLOW_IDS,
  accountFromClaims,
  type FlowAccount,
  type FlowId,
  type FlowRequest,
  type FlowResult,
  type FlowSetting,
} from './contract';

/** Discovery fields (RFC 8414 §2, RFC 8628 §4) a flow may need. */
export type IssuerFeature = 'authorization_endpoint' | 'device_authorization_endpoint' | 'userinfo_endpoint';

export interface FlowContext {
  readonly client: OAuthClient;
  readonly host: FlowHost;
  readonly logger: Logger;
  readonly request: FlowRequest;
}

export interface SignInFlow {
  readonly id: FlowId;
  /** Names the flow in "Try another way" offers. */
  readonly label: string;
  readonly options: {
    /** The hosts the flow works on, with its rank there (lower comes first). Absent: not offered. */
    readonly hosts: Readonly<Partial<Record<HostKind, number>>>;
    /** What the issuer's discovery document must list. */
    readonly requires: readonly IssuerFeature[];
  };
  trigger(ctx: FlowContext): Promise<FlowResult>;
}

export const FLOWS: readonly SignInFlow[] = [
  {
    id: 'loopback',
    get label() {
      return l10n.t('Sign in in the browser');
    },
    // RFC 8252 §7.3. A web workbench reaches it only when the browser shares the machine.
    options: { hosts: { desktop: 1, remote: 1, web: 2 }, requires: ['authorization_endpoint'] },
    async trigger({ client, host, logger, request }) {
      const tokens = await authorizationCodeFlow(client, host, logger, request);
      return { tokens, account: accountFromClaims(tokens.claims) };
    },
  },
  {
    id: 'uriHandler',
    get label() {
      return l10n.t('Sign in in the browser, returning through VS Code');
    },
    // RFC 8252 §7.1. Not on the web: its external URI changes with every request.
    options: { hosts: { desktop: 2, remote: 2 }, requires: ['authorization_endpoint'] },
    async trigger({ client, host, logger, request }) {
      const tokens = await uriHandlerFlow(client, host, logger, request);
      return { tokens, account: accountFromClaims(tokens.claims) };
    },
  },
  {
    id: 'device',
    get label() {
      return l10n.t('Sign in with a code on another device');
    },
    // RFC 8628: needs no redirect at all, so it comes first where redirects cannot be registered.
    options: { hosts: { desktop: 3, remote: 3, web: 1 }, requires: ['device_authorization_endpoint'] },
    trigger: (ctx) => deviceFlow(ctx.client, ctx.host, ctx.logger, ctx.request),
  },
  {
    id: 'paste',
    get label() {
      return l10n.t('Paste a token');
    },
    // For issuers without interactive flows, API keys, or as a last resort.
    options: { hosts: { desktop: 9, remote: 9, web: 9 }, requires: [] },
    trigger: (ctx) => pasteTokenFlow(ctx.client, ctx.host, ctx.logger, ctx.request),
  },
];

/**
 * The flows a sign-in offers, in order: those that work on this host and with this issuer, ranked
 * for the host, or in the pinned order of the setting.
 */
export function chooseFlows(query: {
  readonly host: HostKind;
  readonly issuer: ReadonlySet<IssuerFeature>;
  readonly setting?: FlowSetting;
  readonly flows?: readonly SignInFlow[];
}): SignInFlow[] {
  const { host, issuer, setting, flows = FLOWS } = query;
  const usable = flows.filter((f) => f.options.hosts[host] !== undefined && f.options.requires.every((r) => issuer.has(r)));
  if (setting && 'only' in setting) {
    return setting.only.flatMap((id) => usable.filter((f) => f.id === id));
  }
  const excluded = new Set(setting && 'exclude' in setting ? setting.exclude : []);
  return usable.filter((f) => !excluded.has(f.id)).sort((a, b) => a.options.hosts[host]! - b.options.hosts[host]!);
}

/** The discovery fields of an issuer that the flows table asks about. */
export function issuerFeatures(metadata: Readonly<Record<string, unknown>>): Set<IssuerFeature> {
  const features: IssuerFeature[] = ['authorization_endpoint', 'device_authorization_endpoint', 'userinfo_endpoint'];
  return new Set(features.filter((f) => typeof metadata[f] === 'string'));
}

/**
 * Runs the flows in order. When one fails or the user gives it up, `offerNext` asks whether to try
 * the next one ("Having trouble signing in? Try another way"); without a yes, that error stands.
 */
export async function runFlows(
  order: readonly SignInFlow[],
  attempt: (flow: SignInFlow) => Promise<FlowResult>,
  offerNext: (failed: SignInFlow, error: unknown, next: SignInFlow) => Promise<boolean>,
): Promise<FlowResult> {
  if (!order.length) {
    throw new SessionKeeperError(
      ErrorCode.InvalidConfiguration,
      l10n.t('No sign-in flow works here for this identity provider. Check its "flows" setting and what its issuer publishes.'),
    );
  }
  for (let i = 0; ; i++) {
    try {
      return await attempt(order[i]);
    } catch (err) {
      const next = order[i + 1];
      if (!next || !(await offerNext(order[i], err, next))) throw err;
    }
  }
}
