import assert from 'node:assert/strict';
import type { Health } from '../../../src/session/refresh/health';
import type { ProviderSummary } from '../../../src/session/model';
import { formatLongDuration, formatShortDuration } from '../../../src/views/duration';
import { statusMenu, statusView, type StatusView } from '../../../src/views/statusText';
import { nextHealthTextChange } from '../../../src/views/countdown';
import { EXPIRES, MIN, NOW, account, formatTime, provider, session, withHealth } from './fixtures';

const S = 1000;

function view(p: ProviderSummary | undefined, now = NOW, enabled = true): StatusView {
  return statusView({ enabled, provider: p, now, formatTime });
}

function seen(v: StatusView) {
  return { text: v.text, background: v.background, label: v.accessibilityLabel };
}

describe('status bar', () => {
  it('a healthy session shows the account and the minutes left, in words for screen readers', () => {
    assert.deepEqual(seen(view(provider())), {
      text: '$(account) alice · 42m',
      background: undefined,
      label: 'Session Keeper: signed in to Acme SSO as alice, session expires in 42 minutes',
    });
  });

  it('a session without an expiry shows just the account', () => {
    assert.deepEqual(seen(view(withHealth({ state: 'healthy' }))), {
      text: '$(account) alice',
      background: undefined,
      label: 'Session Keeper: signed in to Acme SSO as alice',
    });
  });

  it('while refreshing, the icon spins', () => {
    assert.deepEqual(seen(view(withHealth({ state: 'refreshing', expiresAt: EXPIRES }))), {
      text: '$(sync~spin) alice · renewing…',
      background: undefined,
      label: 'Session Keeper: signed in to Acme SSO as alice, renewing the session',
    });
  });

  it('offline turns the item to the warning colour and says when it retries', () => {
    assert.deepEqual(seen(view(withHealth({ state: 'offline', expiresAt: EXPIRES, nextRefreshAt: NOW + 30 * S }))), {
      text: '$(debug-disconnect) alice · offline',
      background: 'warning',
      label: 'Session Keeper: signed in to Acme SSO as alice, offline, next retry in 30 seconds',
    });
    assert.equal(
      view(withHealth({ state: 'offline' })).accessibilityLabel,
      'Session Keeper: signed in to Acme SSO as alice, offline, retrying',
    );
  });

  it('a session that will expire without a refresh token warns with the minutes left', () => {
    assert.deepEqual(seen(view(withHealth({ state: 'expiring', expiresAt: NOW + 3 * MIN + 10 * S }, { renewable: false }))), {
      text: '$(warning) alice · 3m',
      background: 'warning',
      label: 'Session Keeper: signed in to Acme SSO as alice, session expires in 3 minutes and cannot be renewed',
    });
  });

  it('a session that needs a new sign-in turns the item to the error colour', () => {
    assert.deepEqual(seen(view(withHealth({ state: 'signInNeeded', lastError: 'The grant was revoked.' }))), {
      text: '$(error) alice · sign-in needed',
      background: 'error',
      label: 'Session Keeper: signed in to Acme SSO as alice, sign-in needed',
    });
  });

  it('without an account it invites to sign in to the first provider', () => {
    const v = view(provider({ accounts: [] }));
    assert.deepEqual(seen(v), {
      text: '$(account) Sign in to Acme SSO',
      background: undefined,
      label: 'Session Keeper: not signed in to Acme SSO; select to sign in',
    });
    assert.equal(v.visible, true);
    assert.equal(v.nextChangeAt, undefined);
  });

  it('stays hidden without a configured provider', () => {
    assert.equal(view(undefined).visible, false);
  });

  it('stays hidden when sessionKeeper.statusBar.enabled is off, whatever the state', () => {
    assert.equal(view(provider(), NOW, false).visible, false);
    assert.equal(view(withHealth({ state: 'signInNeeded' }), NOW, false).visible, false);
  });

  it('follows the active account, not the first one', () => {
    const bob = account({ id: 'bob-sub', label: 'bob', active: true, sessions: [session({ id: 'b1', health: { state: 'refreshing' } })] });
    assert.equal(view(provider({ accounts: [account({ active: false }), bob] })).text, '$(sync~spin) bob · renewing…');
  });

  it('shows a long session in hours and minutes', () => {
    const h: Health = { state: 'healthy', expiresAt: NOW + 65 * MIN + 10 * S };
    const v = view(withHealth(h));
    assert.equal(v.text, '$(account) alice · 1h 5m');
    assert.equal(v.accessibilityLabel, 'Session Keeper: signed in to Acme SSO as alice, session expires in 1 hour and 5 minutes');
  });

  it('an account name cannot inject status bar icons', () => {
    const p = provider({ accounts: [account({ label: '$(zap) mallory' })] });
    assert.equal(view(p).text, '$(account) \\$(zap) mallory · 42m');
  });

  it('updates its text exactly when the minutes left change', () => {
    const p = provider();
    const v = view(p);
    assert.equal(view(p, v.nextChangeAt! - 1).text, v.text);
    assert.equal(view(p, v.nextChangeAt).text, '$(account) alice · 41m');
  });

  it('the tooltip names the account, its state, expiry, the last error and how many others there are', () => {
    const bob = account({ id: 'bob-sub', label: 'bob', active: false });
    const p = provider({
      accounts: [
        account({
          sessions: [session({ health: { state: 'offline', expiresAt: EXPIRES, lastError: 'timed out', nextRefreshAt: NOW + 30 * S } })],
        }),
        bob,
      ],
    });
    const tooltip = view(p).tooltip!;
    assert.equal(tooltip.title, 'Acme SSO');
    assert.deepEqual(Object.fromEntries(tooltip.fields.map((f) => [f.label, f.value])), {
      Account: 'alice',
      Status: 'offline, retry in 30 s',
      Expires: formatTime(EXPIRES),
      'Last error': 'timed out',
      'Other accounts': '1',
    });
  });

  it('short and long durations agree with each other', () => {
    assert.deepEqual([formatShortDuration(30 * S), formatLongDuration(30 * S)], ['30s', '30 seconds']);
    assert.deepEqual([formatShortDuration(1 * S), formatLongDuration(1 * S)], ['1s', '1 second']);
    assert.deepEqual([formatShortDuration(MIN), formatLongDuration(MIN)], ['60s', '60 seconds']);
    assert.deepEqual([formatShortDuration(119 * S), formatLongDuration(119 * S)], ['119s', '119 seconds']);
    assert.deepEqual([formatShortDuration(2 * MIN), formatLongDuration(2 * MIN)], ['2m', '2 minutes']);
    assert.deepEqual([formatShortDuration(120 * MIN), formatLongDuration(120 * MIN)], ['2h', '2 hours']);
    assert.deepEqual([formatShortDuration(61 * MIN), formatLongDuration(61 * MIN)], ['1h 1m', '1 hour and 1 minute']);
  });
});

describe('status bar menu', () => {
  const labels = (p: ProviderSummary | undefined) => statusMenu(p, NOW).map((e) => ('separator' in e ? '---' : e.label));

  it('offers each other account, then sign in, refresh, sign out and the view', () => {
    const bob = account({ id: 'bob-sub', label: 'bob', active: false });
    const entries = statusMenu(provider({ accounts: [account(), bob] }), NOW);
    assert.deepEqual(
      entries.map((e) => ('separator' in e ? '---' : e.label)),
      [
        '$(arrow-swap) Switch to bob',
        '---',
        '$(sign-in) Sign In Another Account…',
        '$(refresh) Refresh Now',
        '$(sign-out) Sign Out alice…',
        '$(list-tree) Open Accounts View',
      ],
    );
    assert.deepEqual(entries.flatMap((e) => ('action' in e ? [e.action] : [])).slice(0, 4), [
      { kind: 'switch', accountId: 'bob-sub' },
      { kind: 'signIn' },
      { kind: 'refresh', accountId: 'alice-sub' },
      { kind: 'signOut', accountId: 'alice-sub' },
    ]);
  });

  it('with a single account there is nothing to switch to', () => {
    assert.deepEqual(labels(provider()), [
      '$(sign-in) Sign In Another Account…',
      '$(refresh) Refresh Now',
      '$(sign-out) Sign Out alice…',
      '$(list-tree) Open Accounts View',
    ]);
  });

  it('without an account it offers to sign in, without a provider to add one', () => {
    assert.deepEqual(labels(provider({ accounts: [] })), ['$(sign-in) Sign In to Acme SSO…', '$(list-tree) Open Accounts View']);
    assert.deepEqual(labels(undefined), ['$(add) Add Identity Provider…', '$(list-tree) Open Accounts View']);
  });
});

describe('status bar: watching a renewal', () => {
  it('says "renewing…" for a moment after a renewal, so it can be seen, then counts down again', () => {
    const h: Health = { state: 'healthy', expiresAt: NOW + 10 * MIN + 20 * S, lastRefreshAt: NOW - 500 };
    const during = view(withHealth(h));
    assert.equal(during.text, '$(sync~spin) alice · renewing…');
    assert.equal(during.nextChangeAt, NOW + 1_000);
    const after = statusView({
      enabled: true,
      provider: provider({ accounts: [account({ sessions: [session({ health: h })], health: h })] }),
      now: NOW + 1_000,
    });
    assert.equal(after.text, '$(account) alice · 10m');
  });

  it('tells in the tooltip how long ago the session was renewed, and keeps that current', () => {
    const h: Health = { state: 'healthy', expiresAt: NOW + 40 * MIN, lastRefreshAt: NOW - 12 * S };
    const v = view(withHealth(h));
    assert.deepEqual(
      v.tooltip!.fields.find((f) => f.label === 'Renewed'),
      { label: 'Renewed', value: '12 s ago' },
    );
    assert.equal(v.nextChangeAt, NOW + 500, 'the tooltip changes at the next second');
    const old = view(withHealth({ ...h, lastRefreshAt: NOW - 3 * 3_600_000 }));
    assert.notEqual(old.tooltip!.fields.find((f) => f.label === 'Renewed')!.value, undefined);
    assert.equal(old.nextChangeAt, nextHealthTextChange({ ...h, lastRefreshAt: NOW - 3 * 3_600_000 }, NOW), 'an old renewal does not tick');
  });
});
