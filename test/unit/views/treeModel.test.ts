import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import type { Health, HealthState } from '../../../src/session/refresh/health';
import { CountdownTimer } from '../../../src/views/countdown';
import { buildTree, diffTree, nextChangeAt, nodeId, type TreeNode, type TreeSnapshot } from '../../../src/views/treeModel';
import { EXPIRES, FakeModel, MIN, NOW, account, formatTime, provider, refreshState, session, withHealth } from './fixtures';

const S = 1000;

function build(providers = [provider()], now = NOW): TreeSnapshot {
  return buildTree(providers, now, { formatTime });
}

function node(snapshot: TreeSnapshot, id: string): TreeNode {
  const n = snapshot.nodes.get(id);
  assert.ok(n, `row ${id}`);
  return n;
}

const acme = nodeId('acme');
const alice = nodeId('acme', 'alice-sub');
const aliceSession = nodeId('acme', 'alice-sub', 'session-1');

describe('accounts tree', () => {
  it('nests provider → account → session → details under stable ids', () => {
    const tree = build();
    assert.deepEqual(tree.roots, [acme]);
    assert.deepEqual(node(tree, acme).children, [alice]);
    assert.deepEqual(node(tree, alice).children, [aliceSession]);
    const details = node(tree, aliceSession).children.map((id) => node(tree, id));
    assert.deepEqual(
      details.map((d) => d.label),
      ['Scopes', 'Expires', 'Last refresh', 'Refreshes', 'Auto-refresh'],
    );
    assert.ok(details.every((d) => d.kind === 'detail' && d.contextValue === 'detail' && d.children.length === 0));
    assert.deepEqual(build().roots, tree.roots, 'same ids from a rebuilt snapshot');
  });

  it('gives each health its own icon, on the session and on its account', () => {
    const expected: Record<HealthState, [string, string | undefined]> = {
      healthy: ['pass', 'testing.iconPassed'],
      expiring: ['warning', 'list.warningForeground'],
      refreshing: ['sync~spin', undefined],
      offline: ['debug-disconnect', 'list.warningForeground'],
      signInNeeded: ['error', 'list.errorForeground'],
      dormant: ['circle-slash', 'disabledForeground'],
    };
    for (const [state, [icon, color]] of Object.entries(expected)) {
      const tree = build([withHealth({ state: state as HealthState, expiresAt: NOW + 3 * MIN }, {}, { active: false })]);
      for (const id of [aliceSession, alice]) {
        assert.equal(node(tree, id).icon.id, icon, `${state} icon on ${id}`);
        assert.equal(node(tree, id).icon.color, color, `${state} colour on ${id}`);
      }
    }
  });

  it('marks the active account with its own icon while all is well, and with its health otherwise', () => {
    const bob = account({ id: 'bob-sub', label: 'bob', active: false });
    const tree = build([provider({ accounts: [account(), bob] })]);
    assert.deepEqual(node(tree, alice).icon, { id: 'pass-filled', color: 'testing.iconPassed' });
    assert.deepEqual(node(tree, nodeId('acme', 'bob-sub')).icon, { id: 'pass', color: 'testing.iconPassed' });
    const offline = build([withHealth({ state: 'offline', nextRefreshAt: NOW + 30 * S })]);
    assert.equal(node(offline, alice).icon.id, 'debug-disconnect');
  });

  it('lists scopes, expiry and the last refresh in the account tooltip, and every scope in the session details', () => {
    const s = session({ scopes: ['openid', 'offline_access', 'profile'], refresh: refreshState({ lastRefreshAt: NOW - 5 * MIN }) });
    const tree = build([provider({ accounts: [account({ sessions: [s] })] })]);
    const fields = Object.fromEntries(node(tree, alice).tooltip!.fields.map((f) => [f.label, f.value]));
    assert.equal(fields.Scopes, 'openid offline_access profile');
    assert.equal(fields.Expires, formatTime(EXPIRES));
    assert.equal(fields['Last refresh'], formatTime(NOW - 5 * MIN));
    assert.equal(node(tree, aliceSession).label, 'profile');
    assert.equal(node(tree, `${aliceSession}/scopes`).description, 'openid offline_access profile');
  });

  it('describes each session by its health, and marks the active account "active"', () => {
    const bob = account({
      id: 'bob-sub',
      label: 'bob',
      active: false,
      sessions: [session({ id: 'b1', health: { state: 'offline', nextRefreshAt: NOW + 30 * S } })],
    });
    const tree = build([provider({ accounts: [account(), bob] })]);
    assert.equal(node(tree, aliceSession).description, 'expires in 42 min');
    assert.equal(node(tree, alice).description, 'active · expires in 42 min');
    assert.equal(node(tree, alice).contextValue, 'account.active');
    assert.equal(node(tree, nodeId('acme', 'bob-sub')).description, 'offline, retry in 30 s');
    assert.equal(node(tree, nodeId('acme', 'bob-sub')).contextValue, 'account');
    assert.equal(node(tree, nodeId('acme', 'bob-sub', 'b1')).contextValue, 'session');
  });

  it('shows a provider with its issuer host and its worst account health', () => {
    const bob = account({
      id: 'bob-sub',
      label: 'bob',
      active: false,
      sessions: [session({ id: 'b1', health: { state: 'signInNeeded' } })],
    });
    const p = node(build([provider({ accounts: [account(), bob] })]), acme);
    assert.equal(p.label, 'Acme SSO');
    assert.equal(p.description, 'login.acme.test');
    assert.equal(p.contextValue, 'provider');
    assert.equal(p.icon.id, 'error');
    assert.equal(p.accessibilityLabel, 'Acme SSO at login.acme.test, 2 accounts');
  });

  it('a provider nobody signed in to says so and offers the sign-in icon', () => {
    const other = provider({ id: 'corp', label: 'Corp', issuer: 'https://id.corp.test', accounts: [] });
    const tree = build([provider(), other]);
    assert.deepEqual(tree.roots, [acme, nodeId('corp')]);
    assert.equal(node(tree, nodeId('corp')).description, 'id.corp.test · not signed in');
    assert.equal(node(tree, nodeId('corp')).icon.id, 'sign-in');
  });

  it('stays empty without any account, so the welcome view can offer "Sign In" or "Add Identity Provider"', () => {
    const none = build([]);
    assert.deepEqual([none.roots, none.hasProviders, none.hasAccounts], [[], false, false]);
    const signedOut = build([provider({ accounts: [] })]);
    assert.deepEqual([signedOut.roots, signedOut.hasProviders, signedOut.hasAccounts], [[], true, false]);
    const signedIn = build();
    assert.deepEqual([signedIn.roots.length, signedIn.hasProviders, signedIn.hasAccounts], [1, true, true]);
  });

  it('labels a session by the scopes that tell it apart, not the ones every session has', () => {
    const label = (scopes: string[]) =>
      node(build([provider({ accounts: [account({ sessions: [session({ scopes })] })] })]), aliceSession).label;
    assert.equal(label(['email', 'offline_access', 'openid', 'profile']), 'email profile');
    assert.equal(label(['openid', 'offline_access']), 'openid offline_access');
  });

  it('reads every row aloud in full words', () => {
    const tree = build();
    assert.equal(node(tree, alice).accessibilityLabel, 'alice, active account, expires in 42 min');
    assert.equal(node(tree, aliceSession).accessibilityLabel, 'Session for profile, expires in 42 min');
    assert.equal(node(tree, `${aliceSession}/refreshCount`).accessibilityLabel, 'Refreshes: 0');
  });

  it('details show absolute times, failures and the last error only when there are some', () => {
    const s = session({
      renewsAt: NOW + 37 * MIN,
      refresh: refreshState({
        lastRefreshAt: NOW - 5 * MIN,
        nextRefreshAt: NOW + 37 * MIN,
        refreshCount: 3,
        consecutiveFailures: 2,
        lastError: 'The issuer could not be reached.',
      }),
    });
    const tree = build([provider({ accounts: [account({ sessions: [s] })] })]);
    const rows = node(tree, aliceSession).children.map((id) => [node(tree, id).label, node(tree, id).description]);
    assert.deepEqual(rows, [
      ['Scopes', 'openid profile'],
      ['Expires', formatTime(EXPIRES)],
      ['Last refresh', formatTime(NOW - 5 * MIN)],
      ['Next refresh', formatTime(NOW + 37 * MIN)],
      ['Refreshes', '3'],
      ['Failures in a row', '2'],
      ['Last error', 'The issuer could not be reached.'],
      ['Auto-refresh', 'on'],
    ]);
  });

  it("an account row's context says whether auto-refresh is on, off, or impossible, so menus offer the right toggle", () => {
    const ctx = (over: Parameters<typeof account>[0]) => node(build([provider({ accounts: [account(over)] })]), alice).contextValue;
    assert.equal(ctx({}), 'account.active');
    assert.equal(ctx({ autoRefresh: false }), 'account.active.manual');
    assert.equal(ctx({ active: false, autoRefresh: false }), 'account.manual');
    assert.equal(ctx({ sessions: [session({ renewable: false })] }), 'account.active.fixed');
  });

  it('says why a session with nothing to renew it with will not renew itself', () => {
    const tree = build([provider({ accounts: [account({ sessions: [session({ renewable: false })] })] })]);
    assert.equal(node(tree, `${aliceSession}/autoRefresh`).description, 'off (nothing to renew it with)');
  });

  it("a session's tooltip lists issuer, subject, scopes, expiry, refresh history and auto-refresh, and nothing else", () => {
    const s = session({
      refresh: refreshState({
        lastRefreshAt: NOW - 5 * MIN,
        refreshCount: 3,
        consecutiveFailures: 1,
        lastError: 'timed out',
        autoRefresh: false,
      }),
    });
    const tooltip = node(build([provider({ accounts: [account({ sessions: [s] })] })]), aliceSession).tooltip!;
    assert.equal(tooltip.title, 'Session of alice');
    assert.deepEqual(Object.fromEntries(tooltip.fields.map((f) => [f.label, f.value])), {
      Status: 'expires in 42 min',
      Issuer: 'https://login.acme.test/realms/dev',
      Subject: 'alice-sub',
      Scopes: 'openid profile',
      Expires: formatTime(EXPIRES),
      'Last refresh': formatTime(NOW - 5 * MIN),
      'Refresh count': '3',
      'Consecutive failures': '1',
      'Last error': 'timed out',
      'Auto-refresh': 'off',
    });
  });

  it('no row, description, label or tooltip can show token text, even if a summary carried some', () => {
    const secrets = { accessToken: 'eyJhbGciOi.SECRET-ACCESS.sig', refreshToken: 'SECRET-REFRESH-TOKEN', idToken: 'eyJ.SECRET-ID.sig' };
    const leaky = { ...session(), ...secrets } as ReturnType<typeof session>;
    const tree = build([provider({ accounts: [account({ sessions: [leaky] })] })]);
    const shown = JSON.stringify([...tree.nodes.values()].map((n) => [n.label, n.description, n.accessibilityLabel, n.tooltip]));
    for (const secret of Object.values(secrets)) assert.ok(!shown.includes(secret), `${secret} leaked`);
    assert.ok(!/SECRET/.test(shown));
  });
});

describe('accounts tree: live countdown', () => {
  it('asks to be woken at the next minute boundary of the soonest countdown', () => {
    const later = account({
      id: 'bob-sub',
      label: 'bob',
      active: false,
      sessions: [
        session({ id: 'b1', expiresAt: NOW + 3 * 60 * MIN + 30 * S, health: { state: 'healthy', expiresAt: NOW + 3 * 60 * MIN + 30 * S } }),
      ],
    });
    const soon = provider({
      accounts: [
        account({
          sessions: [session({ expiresAt: NOW + 5 * MIN + 20 * S, health: { state: 'healthy', expiresAt: NOW + 5 * MIN + 20 * S } })],
        }),
        later,
      ],
    });
    assert.equal(nextChangeAt(build([soon]), NOW), NOW + 20 * S + 501);
  });

  it('does not wake for rows that cannot change by themselves', () => {
    const states: Health[] = [{ state: 'refreshing', expiresAt: NOW + MIN }, { state: 'signInNeeded' }, { state: 'healthy' }];
    for (const h of states) assert.equal(nextChangeAt(build([withHealth(h)]), NOW), undefined, h.state);
  });

  it('one minute later reports only the account and session whose description changed', () => {
    const bob = account({ id: 'bob-sub', label: 'bob', active: false, sessions: [session({ id: 'b1', health: { state: 'refreshing' } })] });
    const providers = [provider({ accounts: [account(), bob] })];
    const before = build(providers, NOW);
    const after = build(providers, nextChangeAt(before, NOW));
    const diff = diffTree(before, after);
    assert.equal(diff.structural, false);
    assert.deepEqual([...diff.changed].sort(), [alice, aliceSession]);
  });

  it('reports nothing when nothing visible changed', () => {
    assert.deepEqual(diffTree(build(), build(undefined, NOW + 10 * S)), { structural: false, changed: [] });
  });

  it('a new account, a removed provider or the first render refresh the whole tree', () => {
    const bob = account({ id: 'bob-sub', label: 'bob', active: false });
    assert.equal(diffTree(build(), build([provider({ accounts: [account(), bob] })])).structural, true);
    assert.equal(diffTree(build(), build([])).structural, true);
    assert.equal(diffTree(undefined, build()).structural, true);
  });

  it('switching the active account re-renders the two account rows only', () => {
    const bob = (active: boolean) => account({ id: 'bob-sub', label: 'bob', active, sessions: [session({ id: 'b1' })] });
    const before = build([provider({ accounts: [account(), bob(false)] })]);
    const after = build([provider({ accounts: [account({ active: false }), bob(true)] })]);
    assert.deepEqual(diffTree(before, after), { structural: false, changed: [alice, nodeId('acme', 'bob-sub')] });
  });

  it('as a session nears expiry, one timer refreshes its rows at each minute boundary, then every second below two minutes', () => {
    const model = new FakeModel([withHealth({ state: 'healthy', expiresAt: NOW + 3 * MIN + 30 * S })]);
    const clock = FakeTimers.createClock(NOW);
    let previous: TreeSnapshot | undefined;
    const refreshed: Array<[number, string[]]> = [];
    const timer = new CountdownTimer({ now: () => clock.now, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout }, () => {
      model.clock = clock.now;
      const next = build(model.providers(), model.now());
      const diff = diffTree(previous, next);
      if (previous) refreshed.push([model.now() - NOW, [...diff.changed].sort()]);
      previous = next;
      return nextChangeAt(next, model.now());
    });
    timer.run();
    clock.tick(91 * S);
    assert.deepEqual(refreshed, [
      [30 * S + 501, [alice, aliceSession]],
      [90 * S + 501, [alice, aliceSession]],
    ]);
    assert.equal(node(previous!, aliceSession).description, 'expires in 119 s');
    assert.equal(clock.countTimers(), 1);
    clock.tick(10 * S);
    assert.equal(refreshed.length, 12, 'every second below two minutes');
    assert.equal(node(previous!, aliceSession).description, 'expires in 109 s');
  });
});
