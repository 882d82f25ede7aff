// The Accounts tree as plain data: provider → account → session → details, built from the
// engine's model and the clock. No vscode import, so every row can be checked in plain Node.
import type { Health, HealthState } from '../session/refresh/health';
import { accountSummaryLine, describeHealth } from './healthText';
import * as l10n from '@vscode/l10n';
import { worstHealth, type AccountSummary, type ProviderSummary, type SessionInfo } from '../session/model';
import { earliest, nextHealthTextChange } from './countdown';
import type { Grant, Outcome } from '../terminal/consent';
import { oneLine } from '../terminal/text';

export type NodeKind = 'provider' | 'account' | 'session' | 'detail' | 'terminal';

/** A codicon id and, where colour helps, a theme colour id. */
export interface NodeIcon {
  readonly id: string;
  readonly color?: string;
}

export interface TooltipField {
  readonly label: string;
  readonly value: string;
}

/** Rendered as markdown by the view; values are plain text and get escaped there. */
export interface Tooltip {
  readonly title: string;
  readonly fields: readonly TooltipField[];
}

/** What a command needs to act on a row. */
export interface NodeTarget {
  readonly kind: NodeKind;
  readonly providerId: string;
  readonly accountId?: string;
  readonly sessionId?: string;
  /** A terminal grant's id, on its row. */
  readonly grantId?: string;
}

export interface TreeNode extends NodeTarget {
  /** Stable across snapshots, so expansion state and targeted refreshes survive. */
  readonly id: string;
  readonly parent?: string;
  readonly children: readonly string[];
  readonly expanded: boolean;
  readonly label: string;
  readonly description?: string;
  readonly icon: NodeIcon;
  /**
   * For `viewItem` in when clauses: provider, account, account.active, session, detail, and
   * terminal.allowed, terminal.denied or terminal.expired for a terminal grant's row.
   */
  readonly contextValue: string;
  readonly accessibilityLabel: string;
  readonly tooltip?: Tooltip;
  /** The health the description counts down from, when it counts down. */
  readonly health?: Health;
  /** An instant the row reads differently from (a terminal grant's expiry). */
  readonly changesAt?: number;
}

export interface TreeSnapshot {
  readonly roots: readonly string[];
  readonly nodes: ReadonlyMap<string, TreeNode>;
  readonly hasProviders: boolean;
  readonly hasAccounts: boolean;
}

export interface TreeOptions {
  /** Formats an epoch-ms instant for details and tooltips. */
  readonly formatTime?: (ms: number) => string;
  /** Terminal grants, per account of a provider. */
  readonly terminalAccess?: (providerId: string) => ReadonlyMap<string, readonly Grant[]>;
}

export const healthIcons: Readonly<Record<HealthState, NodeIcon>> = {
  healthy: { id: 'pass', color: 'testing.iconPassed' },
  expiring: { id: 'warning', color: 'list.warningForeground' },
  refreshing: { id: 'sync~spin' },
  offline: { id: 'debug-disconnect', color: 'list.warningForeground' },
  signInNeeded: { id: 'error', color: 'list.errorForeground' },
  dormant: { id: 'circle-slash', color: 'disabledForeground' },
};

const notSignedInIcon: NodeIcon = { id: 'sign-in' };
/** The active account, when all is well: a filled check beside the others' plain one. */
const activeIcon: NodeIcon = { id: 'pass-filled', color: 'testing.iconPassed' };

export function nodeId(providerId: string, accountId?: string, sessionId?: string): string {
  return [providerId, accountId, sessionId]
    .filter((p) => p !== undefined)
    .map((p) => encodeURIComponent(p))
    .join('/');
}

export function issuerHost(issuer: string): string {
  try {
    return new URL(issuer).host;
  } catch {
    return issuer;
  }
}

export function accountCount(n: number): string {
  return n === 1 ? l10n.t('1 account') : l10n.t('{0} accounts', n);
}

function onOff(on: boolean): string {
  return on ? l10n.t('on') : l10n.t('off');
}

interface Detail {
  readonly key: string;
  readonly icon: string;
  readonly label: () => string;
  /** Undefined leaves the row out. */
  readonly value: (s: SessionInfo, time: (ms: number) => string) => string | undefined;
}

// Absolute times only: detail rows never need a countdown tick.
const details: readonly Detail[] = [
  // The row's label leaves out scopes every session has; this row lists them all.
  { key: 'scopes', icon: 'key', label: () => l10n.t('Scopes'), value: (s) => s.scopes.join(' ') || l10n.t('(no scopes)') },
  {
    key: 'expires',
    icon: 'watch',
    label: () => l10n.t('Expires'),
    value: (s, time) => (s.expiresAt === undefined ? l10n.t('no expiry') : time(s.expiresAt)),
  },
  {
    key: 'lastRefresh',
    icon: 'history',
    label: () => l10n.t('Last refresh'),
    value: (s, time) => (s.refresh.lastRefreshAt === undefined ? l10n.t('never') : time(s.refresh.lastRefreshAt)),
  },
  {
    key: 'nextRefresh',
    icon: 'clock',
    label: () => l10n.t('Next refresh'),
    // When the background renewal is due; none with auto-refresh off or nothing to renew with.
    value: (s, time) => (s.renewsAt === undefined ? undefined : time(s.renewsAt)),
  },
  { key: 'refreshCount', icon: 'sync', label: () => l10n.t('Refreshes'), value: (s) => String(s.refresh.refreshCount) },
  {
    key: 'failures',
    icon: 'debug-disconnect',
    label: () => l10n.t('Failures in a row'),
    value: (s) => (s.refresh.consecutiveFailures > 0 ? String(s.refresh.consecutiveFailures) : undefined),
  },
  { key: 'lastError', icon: 'error', label: () => l10n.t('Last error'), value: (s) => s.refresh.lastError },
  { key: 'autoRefresh', icon: 'sync', label: () => l10n.t('Auto-refresh'), value: (s) => autoRefreshText(s) },
];

function autoRefreshText(s: SessionInfo): string {
  return s.renewable ? onOff(s.refresh.autoRefresh) : l10n.t('off (nothing to renew it with)');
}

// Every session has these; the label shows what tells sessions apart (the tooltip lists all).
const protocolScopes = new Set(['openid', 'offline_access']);

function sessionLabel(s: SessionInfo): string {
  const telling = s.scopes.filter((scope) => !protocolScopes.has(scope));
  return (telling.length ? telling : s.scopes).join(' ') || l10n.t('(no scopes)');
}

export function buildTree(providers: readonly ProviderSummary[], now: number, options: TreeOptions = {}): TreeSnapshot {
  const time = options.formatTime ?? ((ms: number) => new Date(ms).toLocaleString());
  const nodes = new Map<string, TreeNode>();
  const add = (node: TreeNode) => (nodes.set(node.id, node), node.id);

  const sessionNode = (p: ProviderSummary, a: AccountSummary, s: SessionInfo, parent: string): string => {
    const id = nodeId(p.id, a.id, s.id);
    const status = describeHealth(s.health, now);
    const children = details.flatMap((d) => {
      const value = d.value(s, time);
      if (value === undefined) return [];
      const label = d.label();
      return [
        add({
          id: `${id}/${d.key}`,
          parent: id,
          children: [],
          expanded: false,
          kind: 'detail',
          providerId: p.id,
          accountId: a.id,
          sessionId: s.id,
          label,
          description: value,
          icon: { id: d.icon },
          contextValue: 'detail',
          accessibilityLabel: l10n.t('{0}: {1}', label, value),
        }),
      ];
    });
    const fields: TooltipField[] = [
      { label: l10n.t('Status'), value: status },
      { label: l10n.t('Issuer'), value: p.issuer },
      { label: l10n.t('Subject'), value: a.id },
      { label: l10n.t('Scopes'), value: s.scopes.join(' ') },
      { label: l10n.t('Expires'), value: s.expiresAt === undefined ? l10n.t('no expiry') : time(s.expiresAt) },
      { label: l10n.t('Last refresh'), value: s.refresh.lastRefreshAt === undefined ? l10n.t('never') : time(s.refresh.lastRefreshAt) },
      { label: l10n.t('Refresh count'), value: String(s.refresh.refreshCount) },
      { label: l10n.t('Consecutive failures'), value: String(s.refresh.consecutiveFailures) },
      ...(s.refresh.lastError ? [{ label: l10n.t('Last error'), value: s.refresh.lastError }] : []),
      { label: l10n.t('Auto-refresh'), value: autoRefreshText(s) },
    ];
    return add({
      id,
      parent,
      children,
      expanded: false,
      kind: 'session',
      providerId: p.id,
      accountId: a.id,
      sessionId: s.id,
      label: sessionLabel(s),
      description: status,
      icon: healthIcons[s.health.state],
      contextValue: 'session',
      accessibilityLabel: l10n.t('Session for {0}, {1}', sessionLabel(s), status),
      tooltip: { title: l10n.t('Session of {0}', a.label), fields },
      health: s.health,
    });
  };

  const terminalNodes = (p: ProviderSummary, a: AccountSummary, parent: string): string[] =>
    (options.terminalAccess?.(p.id).get(a.id) ?? []).map((grant) => {
      const state = grantState(grant, now);
      const where = grantPlace(grant);
      const label = l10n.t('Terminal: {0}', where);
      const status = grantStatus(grant, now, time);
      const program = grant.program;
      // The program as the system described it; its own name only as a claim.
      const asker = program?.command
        ? oneLine(program.command, 60)
        : program
          ? l10n.t('says it is {0}', oneLine(program.tool, 64))
          : undefined;
      const description = asker ? l10n.t('{0} · {1}', status, asker) : status;
      return add({
        id: `${parent}/terminal/${grant.id}`,
        parent,
        children: [],
        expanded: false,
        kind: 'terminal',
        providerId: p.id,
        accountId: a.id,
        grantId: grant.id,
        label,
        description,
        icon: { id: 'terminal', color: state === 'allowed' ? undefined : 'disabledForeground' },
        contextValue: `terminal.${state}`,
        accessibilityLabel: l10n.t('{0}, {1}', label, description),
        // Until it expires; an expired row no longer changes by itself.
        changesAt: state === 'expired' ? undefined : grant.expiresAt,
        tooltip: {
          title: label,
          fields: [
            { label: l10n.t('Access'), value: status },
            ...(grant.folderPath !== undefined ? [{ label: l10n.t('Workspace folder'), value: oneLine(grant.folderPath) }] : []),
            ...(grant.dir !== undefined ? [{ label: l10n.t('Directory'), value: oneLine(grant.dir) }] : []),
            { label: l10n.t('Decided'), value: time(grant.decidedAt) },
            ...(program
              ? [
                  ...(program.command ? [{ label: l10n.t('Program'), value: oneLine(program.command) }] : []),
                  ...(program.cwd ? [{ label: l10n.t('Program directory'), value: oneLine(program.cwd) }] : []),
                  { label: l10n.t('Says it is'), value: oneLine(program.tool, 64) },
                ]
              : [{ label: l10n.t('Program'), value: l10n.t('(allowed before any program asked)') }]),
            ...(grant.lastUse
              ? [
                  { label: l10n.t('Last used'), value: time(grant.lastUse.at) },
                  { label: l10n.t('Last result'), value: outcomeText(grant.lastUse.outcome) },
                ]
              : []),
          ],
        },
      });
    });

  const accountNode = (p: ProviderSummary, a: AccountSummary, parent: string): string => {
    const id = nodeId(p.id, a.id);
    const status = describeHealth(a.health, now);
    const scopes = [...new Set(a.sessions.flatMap((s) => s.scopes))].join(' ');
    const expiries = a.sessions.flatMap((s) => (s.expiresAt === undefined ? [] : [s.expiresAt]));
    const renewals = a.sessions.flatMap((s) => (s.refresh.lastRefreshAt === undefined ? [] : [s.refresh.lastRefreshAt]));
    return add({
      id,
      parent,
      children: [...a.sessions.map((s) => sessionNode(p, a, s, id)), ...terminalNodes(p, a, id)],
      expanded: false,
      kind: 'account',
      providerId: p.id,
      accountId: a.id,
      label: a.label,
      description: a.active ? l10n.t('active · {0}', status) : status,
      icon: a.active && a.health.state === 'healthy' ? activeIcon : healthIcons[a.health.state],
      // `.manual`: auto-refresh is off; `.fixed`: nothing can renew it. Menus offer the toggle by these.
      contextValue: `account${a.active ? '.active' : ''}${!a.sessions.some((s) => s.renewable) ? '.fixed' : a.autoRefresh ? '' : '.manual'}`,
      accessibilityLabel: a.active ? l10n.t('{0}, active account, {1}', a.label, status) : l10n.t('{0}, {1}', a.label, status),
      tooltip: {
        title: a.label,
        fields: [
          { label: l10n.t('Summary'), value: accountSummaryLine(a, now) },
          { label: l10n.t('Status'), value: status },
          { label: l10n.t('Provider'), value: p.label },
          { label: l10n.t('Issuer'), value: p.issuer },
          { label: l10n.t('Subject'), value: a.id },
          { label: l10n.t('Active'), value: a.active ? l10n.t('yes') : l10n.t('no') },
          { label: l10n.t('Scopes'), value: scopes || l10n.t('(no scopes)') },
          ...(expiries.length ? [{ label: l10n.t('Expires'), value: time(Math.min(...expiries)) }] : []),
          { label: l10n.t('Last refresh'), value: renewals.length ? time(Math.max(...renewals)) : l10n.t('never') },
          { label: l10n.t('Sessions'), value: String(a.sessions.length) },
        ],
      },
      health: a.health,
    });
  };

  const roots = providers.map((p) => {
    const id = nodeId(p.id);
    const host = issuerHost(p.issuer);
    const signedIn = p.accounts.length > 0;
    return add({
      id,
      children: p.accounts.map((a) => accountNode(p, a, id)),
      expanded: true,
      kind: 'provider',
      providerId: p.id,
      label: p.label,
      description: signedIn ? host : l10n.t('{0} · not signed in', host),
      icon: signedIn ? healthIcons[worstHealth(p.accounts.map((a) => a.health)).state] : notSignedInIcon,
      contextValue: 'provider',
      accessibilityLabel: signedIn
        ? l10n.t('{0} at {1}, {2}', p.label, host, accountCount(p.accounts.length))
        : l10n.t('{0} at {1}, not signed in', p.label, host),
      tooltip: {
        title: p.label,
        fields: [
          { label: l10n.t('Provider id'), value: p.id },
          { label: l10n.t('Issuer'), value: p.issuer },
          { label: l10n.t('Accounts'), value: String(p.accounts.length) },
        ],
      },
    });
  });

  const hasAccounts = providers.some((p) => p.accounts.length > 0);
  // Without any account the tree stays empty, so the "Sign In" welcome view shows instead.
  return { roots: hasAccounts ? roots : [], nodes, hasProviders: providers.length > 0, hasAccounts };
}

/** allowed or denied while the grant holds; expired after. */
export function grantState(grant: Grant, now: number): 'allowed' | 'denied' | 'expired' {
  return now >= grant.expiresAt ? 'expired' : grant.decision;
}

/** "allowed until 18:30", "denied until 18:30" or "expired 18:30". */
export function grantStatus(grant: Grant, now: number, time: (ms: number) => string): string {
  const state = grantState(grant, now);
  const until = time(grant.expiresAt);
  return state === 'allowed'
    ? l10n.t('allowed until {0}', until)
    : state === 'denied'
      ? l10n.t('denied until {0}', until)
      : l10n.t('expired {0}', until);
}

/** Where a grant holds, as a row names it: the folder's name, or the directory outside it. */
export function grantPlace(grant: Grant): string {
  if (grant.dir === undefined) return oneLine(grant.folderName ?? grant.folder, 200);
  return grant.folderName !== undefined
    ? l10n.t('{0} (outside {1})', oneLine(grant.dir, 500), oneLine(grant.folderName, 200))
    : oneLine(grant.dir, 500);
}

function outcomeText(outcome: Outcome): string {
  return outcome === 'served' ? l10n.t('token sent') : l10n.t('no token');
}

/** The next instant any row's description can read differently; undefined when none counts down. */
export function nextChangeAt(snapshot: TreeSnapshot, now: number): number | undefined {
  return earliest(
    [...snapshot.nodes.values()].map((n) =>
      n.health ? nextHealthTextChange(n.health, now) : n.changesAt !== undefined && n.changesAt > now ? n.changesAt : undefined,
    ),
  );
}

export interface TreeDiff {
  /** Rows were added, removed or moved: refresh the whole tree. */
  readonly structural: boolean;
  /** Rows that stayed in place but render differently. */
  readonly changed: readonly string[];
}

function rendering(n: TreeNode): string {
  return JSON.stringify([n.label, n.description, n.icon, n.contextValue, n.accessibilityLabel, n.tooltip]);
}

function shape(s: TreeSnapshot): string {
  return JSON.stringify([s.roots, [...s.nodes.values()].map((n) => [n.id, n.kind, n.children])]);
}

export function diffTree(prev: TreeSnapshot | undefined, next: TreeSnapshot): TreeDiff {
  if (!prev || shape(prev) !== shape(next)) return { structural: true, changed: [] };
  const changed = [...next.nodes.values()].filter((n) => rendering(n) !== rendering(prev.nodes.get(n.id)!)).map((n) => n.id);
  return { structural: false, changed };
}
