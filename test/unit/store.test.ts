import assert from 'node:assert/strict';
import {
  INDEX_KEY,
  SessionStore,
  accountKey,
  defaultMigrations,
  freshRefreshState,
  type StoredSession,
} from '../../src/session/storage/store';
import { createLogger, silentLogger } from '../../src/session/base/log';
import { SET_ASIDE_KEEP_MS, sweepSetAside, type Revoker } from '../../src/session/storage/setAside';
import { CapturingSink, MemoryMemento, MemorySecrets } from '../support/fakes';

function session(id: string, scopes = ['openid'], extra: Partial<StoredSession> = {}): StoredSession {
  return {
    id,
    scopes,
    accessToken: `access-token-of-${id}`,
    tokenType: 'Bearer',
    refreshToken: `refresh-token-of-${id}`,
    expiresAt: 2_000_000,
    createdAt: 1_000_000,
    refresh: freshRefreshState(true),
    ...extra,
  };
}

function setup(options: ConstructorParameters<typeof SessionStore>[3] = {}) {
  const secrets = new MemorySecrets();
  const memento = new MemoryMemento();
  const warnings: string[] = [];
  const make = () => new SessionStore(secrets, memento, silentLogger, { now: () => 42, onQuarantine: (m) => warnings.push(m), ...options });
  return { secrets, memento, warnings, make };
}

describe('session store', () => {
  it('keeps one secret per account plus an index, and reads them back in a new window', async () => {
    const { secrets, make } = setup();
    const a = make();
    await a.load();
    await a.putSession('corp', 'https://idp', { id: 'alice-sub', label: 'alice' }, session('s1'));
    await a.putSession('corp', 'https://idp', { id: 'bob-sub', label: 'bob' }, session('s2'));
    assert.deepEqual([...secrets.data.keys()].sort(), [INDEX_KEY, accountKey('corp', 'alice-sub'), accountKey('corp', 'bob-sub')].sort());
    const record = JSON.parse(secrets.data.get(accountKey('corp', 'alice-sub'))!);
    assert.equal(record.v, 2);
    assert.equal(record.kind, 'oauth');
    assert.equal(record.sessions[0].accessToken, 'access-token-of-s1');

    const b = make();
    await b.load();
    assert.deepEqual(
      b
        .accounts('corp')
        .map((r) => r.account.label)
        .sort(),
      ['alice', 'bob'],
    );
    assert.equal(b.find('s2')?.session.refreshToken, 'refresh-token-of-s2');
  });

  it('loses nothing when many sign-ins are saved at once', async () => {
    const { make } = setup();
    const store = make();
    await store.load();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.putSession('corp', 'https://idp', { id: `sub-${i % 5}`, label: `user${i % 5}` }, session(`s${i}`, [`scope${i}`])),
      ),
    );
    const reloaded = make();
    await reloaded.load();
    assert.equal(reloaded.accounts().length, 5);
    assert.equal(reloaded.accounts().flatMap((a) => a.sessions).length, 20);
  });

  it('replaces the session of an account that signs in again with the same scopes', async () => {
    const { make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('old', ['profile', 'openid']));
    const replaced = await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('new', ['openid', 'profile']));
    assert.equal(replaced?.id, 'old');
    assert.deepEqual(
      store.accounts()[0].sessions.map((s) => s.id),
      ['new'],
    );
  });

  it('removes the account secret and its index entry with its last session', async () => {
    const { secrets, memento, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s2', ['api']));
    await store.removeSession('s1');
    assert.ok(secrets.data.has(accountKey('corp', 'a')));
    await store.removeSession('s2');
    assert.ok(!secrets.data.has(accountKey('corp', 'a')));
    assert.deepEqual(JSON.parse(secrets.data.get(INDEX_KEY)!).accounts, []);
    assert.deepEqual(memento.get('sessionKeeper.accountKeys'), []);
  });

  it('keeps fields written by a newer version when it rewrites a record', async () => {
    const { secrets, make } = setup();
    const key = accountKey('corp', 'a');
    const future = {
      v: 3,
      kind: 'oauth',
      providerId: 'corp',
      issuer: 'https://idp',
      account: { id: 'a', label: 'alice', avatar: 'x.png' },
      generation: 3,
      deviceBinding: { kid: 'k1' },
      sessions: [{ ...session('s1'), dpopKey: 'jwk' }],
    };
    secrets.data.set(key, JSON.stringify(future));
    secrets.data.set(INDEX_KEY, JSON.stringify({ v: 3, accounts: [key] }));
    const store = make();
    await store.load();
    await store.updateSession('s1', (s) => ({ ...s, accessToken: 'rotated-access-token' }));
    const written = JSON.parse(secrets.data.get(key)!);
    assert.equal(written.v, 3);
    assert.deepEqual(written.deviceBinding, { kid: 'k1' });
    assert.equal(written.account.avatar, 'x.png');
    assert.equal(written.sessions[0].dpopKey, 'jwk');
    assert.equal(written.sessions[0].accessToken, 'rotated-access-token');
    assert.equal(written.generation, 4);
  });

  it('migrates a version 1 record to version 2: an OAuth account, every field kept, written back as version 2', async () => {
    const { secrets, make } = setup();
    const key = accountKey('corp', 'a');
    const v1 = {
      v: 1,
      providerId: 'corp',
      issuer: 'https://idp',
      clientId: 'vscode',
      account: { id: 'a', label: 'alice' },
      generation: 5,
      sessions: [{ ...session('s1'), refreshToken: 'rt-1' }],
    };
    secrets.data.set(key, JSON.stringify(v1));
    secrets.data.set(INDEX_KEY, JSON.stringify({ v: 1, accounts: [key] }));
    const store = make();
    await store.load();
    const read = store.accounts()[0];
    assert.equal(read.v, 2);
    assert.equal(read.kind, 'oauth');
    assert.equal(store.find('s1')?.session.refreshToken, 'rt-1');
    await store.updateSession('s1', (s) => ({ ...s, accessToken: 'renewed-access-token' }));
    const written = JSON.parse(secrets.data.get(key)!);
    assert.deepEqual({ ...written, sessions: undefined }, { ...v1, v: 2, kind: 'oauth', generation: 6, sessions: undefined });
    assert.deepEqual(written.sessions, [{ ...v1.sessions[0], accessToken: 'renewed-access-token' }]);
  });

  it('keeps an endpoint session and its values through a rewrite, and refuses malformed values', async () => {
    const { secrets, warnings, make } = setup();
    const store = make();
    await store.load();
    const endpoint = { values: { token: 'tok-1', fingerprint: 'fp-1' }, cookies: { sid: { value: 'sid-1', expiresAt: 2_000_000 } } };
    await store.putSession('dash', 'http://127.0.0.1:1', { id: 'a', label: 'alice' }, { ...session('s1'), endpoint });
    const again = make();
    await again.load();
    assert.equal(again.accounts()[0].kind, 'endpoint');
    assert.deepEqual(again.find('s1')?.session.endpoint, endpoint);
    const key = accountKey('dash', 'a');
    const damaged = JSON.parse(secrets.data.get(key)!);
    damaged.sessions[0].endpoint.cookies.sid = 'not-a-cookie';
    secrets.data.set(key, JSON.stringify(damaged));
    const third = make();
    await third.load();
    assert.equal(third.find('s1'), undefined);
    assert.equal(warnings.length, 1);
  });

  it('runs migrations in order when reading an older record', async () => {
    const { secrets, make } = setup({
      schemaVersion: 3,
      migrations: {
        ...defaultMigrations,
        2: (r) => ({ ...r, sessions: (r.sessions as StoredSession[]).map((s) => ({ ...s, migrated: true })) }),
      },
    });
    const key = accountKey('corp', 'a');
    secrets.data.set(
      key,
      JSON.stringify({
        v: 1,
        providerId: 'corp',
        issuer: 'https://idp',
        account: { id: 'a', label: 'alice' },
        generation: 1,
        sessions: [session('s1')],
      }),
    );
    secrets.data.set(INDEX_KEY, JSON.stringify({ v: 1, accounts: [key] }));
    const store = make();
    await store.load();
    assert.equal(store.accounts()[0].v, 3);
    assert.equal(store.accounts()[0].kind, 'oauth');
    assert.equal(store.find('s1')?.session.migrated, true);
  });

  it('sets a corrupt account aside with one warning and keeps the other accounts', async () => {
    const { secrets, warnings, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    await store.putSession('corp', 'https://idp', { id: 'b', label: 'bob' }, session('s2'));
    secrets.data.set(accountKey('corp', 'b'), '{"v":1,"providerId":"corp", truncated');

    const next = make();
    await next.load();
    assert.deepEqual(
      next.accounts().map((a) => a.account.label),
      ['alice'],
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /damaged saved sign-in for b \(corp\)/);
    const aside = [...secrets.data.keys()].filter((k) => k.startsWith('sessionKeeper.quarantine/'));
    assert.equal(aside.length, 1);
    assert.equal(secrets.data.get(aside[0]), '{"v":1,"providerId":"corp", truncated');

    // Set aside once: the next load is quiet.
    await make().load();
    assert.equal(warnings.length, 1);
  });

  it('sets aside a record that parses but breaks the schema', async () => {
    const { secrets, warnings, make } = setup();
    const key = accountKey('corp', 'a');
    secrets.data.set(
      key,
      JSON.stringify({
        v: 1,
        providerId: 'corp',
        issuer: 'x',
        account: { id: 'a', label: 'alice' },
        generation: 1,
        sessions: [{ id: 's', scopes: 'openid' }],
      }),
    );
    secrets.data.set(INDEX_KEY, JSON.stringify({ v: 1, accounts: [key] }));
    const store = make();
    await store.load();
    assert.equal(store.accounts().length, 0);
    assert.equal(warnings.length, 1);
  });

  it('rebuilds a corrupt index from the account list mirror, signing nobody out', async () => {
    const { secrets, warnings, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    await store.putSession('other', 'https://idp2', { id: 'b', label: 'bob' }, session('s2'));
    secrets.data.set(INDEX_KEY, 'not json');
    const next = make();
    await next.load();
    assert.equal(next.accounts().length, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /account list damaged/);
  });

  it('keeps an account it cannot read right now and finds it once the keychain opens', async () => {
    const { secrets, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    secrets.unreadable.add(accountKey('corp', 'a'));
    const locked = make();
    await locked.load();
    assert.equal(locked.accounts().length, 0);
    // A write while it is unreadable must not drop it from the index.
    await locked.putSession('corp', 'https://idp', { id: 'b', label: 'bob' }, session('s2'));
    secrets.unreadable.clear();
    const later = make();
    await later.load();
    assert.deepEqual(
      later
        .accounts()
        .map((a) => a.account.label)
        .sort(),
      ['alice', 'bob'],
    );
    assert.ok(secrets.data.has(accountKey('corp', 'a')));
  });

  it('announces changes by provider', async () => {
    const { make } = setup();
    const store = make();
    await store.load();
    const seen: string[][] = [];
    store.onDidChange((e) => seen.push([...e.providerIds]));
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    await store.updateSession('s1', (s) => ({ ...s, accessToken: 'next' }));
    await store.removeSession('s1');
    assert.deepEqual(seen, [['corp'], ['corp'], ['corp']]);
  });

  it('never shows a half-loaded store: while a reload reads a slow keychain, every account stays visible', async () => {
    const { secrets, make } = setup();
    const writer = make();
    await writer.load();
    for (let i = 0; i < 5; i++) await writer.putSession('corp', 'https://idp', { id: `sub-${i}`, label: `user${i}` }, session(`s${i}`));
    const store = make();
    await store.load();
    // Every read now takes 20 ms, as an OS keychain under load can.
    const get = secrets.get.bind(secrets);
    secrets.get = async (key: string) => {
      await new Promise((r) => setTimeout(r, 20));
      return get(key);
    };
    let reloading = true;
    let samples = 0;
    const reload = Promise.all([store.load(), store.secretChanged(accountKey('corp', 'sub-2'))]).finally(() => (reloading = false));
    while (reloading) {
      assert.equal(store.accounts().length, 5, 'an account disappeared during a reload');
      assert.ok(store.find('s3'), 'a session disappeared during a reload');
      samples++;
      await new Promise((r) => setTimeout(r, 2));
    }
    await reload;
    assert.ok(samples > 20, `sampled ${samples} times`);
  });

  it("does not reload for a change it wrote itself, and does for another window's", async () => {
    const { secrets, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    let reads = 0;
    const get = secrets.get.bind(secrets);
    secrets.get = (key: string) => (reads++, get(key));
    await store.secretChanged(accountKey('corp', 'a'));
    assert.equal(reads, 1, 'one read to compare, no reload');
    const other = JSON.parse(secrets.data.get(accountKey('corp', 'a'))!);
    other.sessions[0].accessToken = 'written-by-another-window';
    other.generation++;
    secrets.data.set(accountKey('corp', 'a'), JSON.stringify(other));
    await store.secretChanged(accountKey('corp', 'a'));
    assert.equal(store.find('s1')?.session.accessToken, 'written-by-another-window');
  });

  it('repairs impossible times instead of setting the account aside', async () => {
    const { secrets, warnings, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    const raw = JSON.parse(secrets.data.get(accountKey('corp', 'a'))!);
    raw.sessions[0].expiresAt = null; // what JSON makes of Infinity or NaN
    raw.sessions[0].refresh.nextRefreshAt = null;
    secrets.data.set(accountKey('corp', 'a'), JSON.stringify(raw));
    const next = make();
    await next.load();
    assert.deepEqual(warnings, []);
    const s = next.find('s1')!.session;
    assert.equal(s.expiresAt, undefined);
    assert.equal(s.refresh.nextRefreshAt, undefined);
    assert.equal(s.accessToken, 'access-token-of-s1');
  });

  it('binds each account to its issuer and client: the same subject elsewhere is another account', async () => {
    const { make } = setup();
    const store = make();
    await store.load();
    const corp = { issuer: 'https://idp', clientId: 'vscode' };
    await store.putSession('corp', corp, { id: 'a', label: 'alice' }, session('s1'));
    await store.putSession('corp', { issuer: 'https://look-alike', clientId: 'vscode' }, { id: 'a', label: 'alice' }, session('s2'));
    await store.putSession('corp', { ...corp, clientId: 'other-client' }, { id: 'a', label: 'alice' }, session('s3'));
    const records = store.accounts('corp');
    assert.equal(records.length, 3);
    assert.deepEqual(
      records.map((r) => [r.issuer, r.clientId, r.sessions.map((s) => s.id)]),
      [
        ['https://idp', 'vscode', ['s1']],
        ['https://look-alike', 'vscode', ['s2']],
        ['https://idp', 'other-client', ['s3']],
      ],
    );
    const reloaded = make();
    await reloaded.load();
    assert.equal(reloaded.find('s1')!.account.issuer, 'https://idp');
    assert.equal(reloaded.find('s2')!.account.issuer, 'https://look-alike');
  });

  it('adopts a record written before sessions were bound to a client, keeping its key', async () => {
    const { secrets, make } = setup();
    const store = make();
    await store.load();
    await store.putSession('corp', 'https://idp', { id: 'a', label: 'alice' }, session('s1'));
    assert.equal(store.accounts()[0].clientId, undefined);
    await store.putSession('corp', { issuer: 'https://idp', clientId: 'vscode' }, { id: 'a', label: 'alice' }, session('s2', ['profile']));
    assert.equal(store.accounts().length, 1);
    assert.equal(store.accounts()[0].clientId, 'vscode');
    assert.ok(secrets.data.has(accountKey('corp', 'a')));
  });
});

describe('records set aside as damaged', () => {
  const DAY = 86_400_000;
  const good = (refreshToken: string | undefined) =>
    JSON.stringify({
      v: 2,
      kind: 'oauth',
      providerId: 'corp',
      issuer: 'https://idp.example',
      clientId: 'vscode',
      account: { id: 'a', label: 'alice' },
      generation: 'damaged',
      sessions: [{ ...session('s1'), refreshToken }],
    });

  async function world(records: Record<string, string>, options: { listKeys?: boolean } = {}) {
    let now = 1_000_000;
    const secrets = new MemorySecrets();
    if (options.listKeys) Object.assign(secrets, { keys: async () => [...secrets.data.keys()] });
    const memento = new MemoryMemento();
    for (const [key, raw] of Object.entries(records)) secrets.data.set(key, raw);
    secrets.data.set(INDEX_KEY, JSON.stringify({ v: 2, accounts: Object.keys(records).filter((k) => k.includes('.account/')) }));
    const sink = new CapturingSink();
    const logger = createLogger(sink);
    const store = new SessionStore(secrets, memento, logger, { now: () => now });
    await store.load();
    const revoked: Array<{ issuer: string; token: string }> = [];
    let failing = false;
    const revoker: Revoker = (binding) =>
      binding.issuer === 'https://idp.example' && (binding.clientId ?? 'vscode') === 'vscode'
        ? async (token) => {
            if (failing) throw new Error('issuer down');
            revoked.push({ issuer: binding.issuer, token });
            return true;
          }
        : undefined;
    const sweep = () => sweepSetAside({ store, now: () => now, logger, revoker });
    const aside = () => [...secrets.data.keys()].filter((k) => k.startsWith('sessionKeeper.quarantine/'));
    return {
      secrets,
      memento,
      sink,
      store,
      revoked,
      sweep,
      aside,
      pass: (ms: number) => (now += ms),
      fail: (on: boolean) => (failing = on),
    };
  }

  it('revokes a refresh token once, where the record came from, and removes the record after seven days', async () => {
    const w = await world({ [accountKey('corp', 'a')]: good('rt-of-the-damaged-record') });
    assert.equal(w.aside().length, 1);
    assert.equal((await w.sweep()).nextRemoval, 1_000_000 + SET_ASIDE_KEEP_MS);
    assert.deepEqual(w.revoked, [{ issuer: 'https://idp.example', token: 'rt-of-the-damaged-record' }]);
    w.pass(6 * DAY);
    await w.sweep();
    assert.equal(w.revoked.length, 1, 'revoked once');
    assert.equal(w.aside().length, 1);
    w.pass(DAY);
    assert.deepEqual(await w.sweep(), { nextRemoval: undefined, pending: false });
    assert.deepEqual(w.aside(), []);
    assert.deepEqual(w.memento.get('sessionKeeper.setAside'), []);
    const log = w.sink.text();
    assert.match(log, /Revoked 1 refresh token\(s\) of a record set aside, at https:\/\/idp\.example; the record is removed on 1970-01-08/);
    assert.match(log, /Removed a record set aside on 1970-01-01, 7 days later/);
    assert.ok(!log.includes('rt-of-the-damaged-record'));
  });

  it('tries a failed revocation again, and still removes the record in time', async () => {
    const w = await world({ [accountKey('corp', 'a')]: good('rt-x-123456789') });
    w.fail(true);
    assert.equal((await w.sweep()).pending, true);
    assert.match(w.sink.text(), /failed .*issuer down.*tried again later/);
    w.fail(false);
    await w.sweep();
    assert.equal(w.revoked.length, 1);
    w.fail(true);
    w.pass(SET_ASIDE_KEEP_MS);
    await w.sweep();
    assert.deepEqual(w.aside(), []);
  });

  it('sends nothing for a record without a readable binding, another issuer or client, no refresh token, or no JSON at all', async () => {
    const broken = JSON.parse(good('rt-unbound-1234567')) as Record<string, unknown>;
    const w = await world({
      [accountKey('corp', 'a')]: JSON.stringify({ ...broken, issuer: 42 }),
      [accountKey('corp', 'b')]: JSON.stringify({ ...broken, issuer: 'https://other.example' }),
      [accountKey('corp', 'c')]: JSON.stringify({ ...broken, clientId: 'another' }),
      [accountKey('corp', 'd')]: good(undefined),
      [accountKey('corp', 'e')]: '{"v":2, cut short',
      [accountKey('dash', 'f')]: JSON.stringify({ ...broken, kind: 'endpoint' }),
    });
    assert.equal(w.aside().length, 6);
    // A provider for another issuer or client comes with a change of settings, which sweeps again.
    assert.equal((await w.sweep()).pending, false);
    assert.deepEqual(w.revoked, []);
    assert.match(w.sink.text(), /does not say which issuer/);
    assert.match(w.sink.text(), /is not an OAuth session, so nothing of it is revoked/);
    assert.match(w.sink.text(), /comes from https:\/\/other\.example, which no provider names now/);
    w.pass(SET_ASIDE_KEEP_MS);
    await w.sweep();
    assert.deepEqual(w.aside(), []);
    assert.deepEqual(w.revoked, []);
  });

  it('leaves the old refresh token alone once the account is signed in again (some issuers would end the new sign-in too)', async () => {
    const w = await world({ [accountKey('corp', 'a')]: good('rt-old-123456789') });
    await w.store.putSession('corp', { issuer: 'https://idp.example', clientId: 'vscode' }, { id: 'a', label: 'alice' }, session('s9'));
    await w.sweep();
    assert.deepEqual(w.revoked, []);
    assert.match(w.sink.text(), /is signed in again, so its old refresh token is not revoked/);
    w.pass(SET_ASIDE_KEEP_MS);
    await w.sweep();
    assert.deepEqual(w.aside(), []);
    assert.equal(w.store.accounts().length, 1, 'the new sign-in stays');
  });

  it('finds records an earlier version set aside without noting them, where SecretStorage lists its keys', async () => {
    const legacy = `sessionKeeper.quarantine/500000/${accountKey('corp', 'a')}`;
    const w = await world({ [legacy]: good('rt-legacy-123456789') }, { listKeys: true });
    await w.sweep();
    assert.deepEqual(
      w.revoked.map((r) => r.token),
      ['rt-legacy-123456789'],
    );
    w.pass(SET_ASIDE_KEEP_MS);
    await w.sweep();
    assert.deepEqual(w.aside(), []);
  });
});
