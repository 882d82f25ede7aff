// Endpoint sessions through the whole engine, configured from the setting as a user writes it:
// sign-in from pasted values, getSessions, background renewal before expiry, the end of a session,
// a renewal that rotated a cookie and then failed, and a setting that names another origin.
import assert from 'node:assert/strict';
import { systemClock } from '../../src/session/base/clock';
import { createLogger, type LogSink } from '../../src/session/base/log';
import { parseProviders } from '../../src/session/config';
import { SessionKeeperEngine } from '../../src/session/engine';
import { endpointSignIn, type EndpointHost } from '../../src/session/kinds/endpoint/paste';
import { EndpointSource } from '../../src/session/kinds/endpoint/source';
import { createFetch } from '../../src/session/net/http';
import { defaultPolicy } from '../../src/session/refresh/refresher';
import { SessionStore, type StoredAccount } from '../../src/session/storage/store';
import { MemoryMemento, MemorySecrets } from '../support/fakes';
import { startHtmlSessionService, type HtmlSessionService } from '../support/htmlSessionService';
import { startJsonSessionService, type JsonSessionService } from '../support/jsonSessionService';
import { jsonServiceSetting } from '../support/jsonServiceSetting.mjs';
import { waitFor } from '../support/wait.mjs';

/** The README's JSON example: cookies in, a token and its expiry date out. */
const jsonSetting = (origin: string) => jsonServiceSetting(origin, { id: 'dash', label: 'Team Dashboard' });

/** The README's HTML example: the token and a fingerprint in the query, the new JWT inside a script. */
const htmlSetting = (origin: string) => ({
  kind: 'endpoint',
  id: 'booking',
  label: 'Booking',
  inputs: ['token', 'value:fingerprint'],
  renew: { url: `${origin}/setrefresh`, query: { token: '${token}', fp: '${value:fingerprint}' } },
  read: { token: { regex: 'localStorage\\.setItem\\("token",\\s*"([^"]+)"\\)' } },
  expiry: { jwt: true },
  ends: { status: [401], body: 'session expired' },
});

function setup(settings: unknown[], answers: string[]) {
  const lines: string[] = [];
  const push = (l: string) => void lines.push(l);
  const sink: LogSink = { trace: push, debug: push, info: push, warn: push, error: push };
  const logger = createLogger(sink);
  const store = new SessionStore(new MemorySecrets(), new MemoryMemento(), logger);
  const ended: Array<{ account: StoredAccount; message: string }> = [];
  const host: EndpointHost = {
    askSecret: async () => answers.shift(),
    askText: async () => answers.shift(),
  };
  const engine = new SessionKeeperEngine({
    store,
    clock: systemClock,
    logger,
    fetch: createFetch(5_000),
    requestTimeoutMs: 5_000,
    policy: { ...defaultPolicy, leadMs: 500, heartbeatMs: 250, baseBackoffMs: 200, maxBackoffMs: 1_000, inlineWaitMs: 5_000 },
    memento: new MemoryMemento(),
    signIn: async (config, source) => {
      assert.ok(source instanceof EndpointSource, 'an endpoint provider signs in with its endpoint');
      return endpointSignIn(source, config.endpoint!.inputs, host, logger, {
        providerLabel: config.label,
        signal: new AbortController().signal,
      });
    },
    onSignInNeeded: (account, message) => ended.push({ account, message }),
  });
  const configure = (raw: unknown[]) => {
    const { providers, problems } = parseProviders(raw);
    assert.deepEqual(problems, []);
    engine.configure(providers);
  };
  configure(settings);
  return { engine, store, ended, lines, configure };
}

describe('endpoint sessions through the engine', function () {
  this.timeout(90_000);
  let json: JsonSessionService;
  let other: JsonSessionService;
  let html: HtmlSessionService;
  let engine: SessionKeeperEngine | undefined;
  beforeEach(async () => {
    json = await startJsonSessionService({ lifetimeS: 3 });
    other = await startJsonSessionService({ lifetimeS: 3 });
    html = await startHtmlSessionService({ lifetimeS: 3 });
  });
  afterEach(async () => {
    engine?.dispose();
    engine = undefined;
    await Promise.all([json.close(), other.close(), html.close()]);
  });

  it('signs in from a pasted Cookie header, serves the token, renews it before expiry with each rotated cookie, and ends once', async () => {
    const t = setup([jsonSetting(json.url)], [`sid=${json.current().sid}; theme=dark`, 'alice']);
    engine = t.engine;
    await engine.signIn('dash');
    const provider = engine.provider('dash')!;
    const first = await provider.getSessions([]);
    assert.equal(first.length, 1);
    assert.equal(first[0].account.label, 'alice');
    // The sign-in renewed once to check the pasted values: the token is the service's newest.
    assert.equal(first[0].accessToken, json.current().token);

    // 3 s tokens renew every 1.5 s; each renewal presents the cookie the one before set.
    await waitFor(() => json.stats.renewals >= 4, 'three background renewals');
    const renewals = json.stats.requests.filter((r) => r.url === '/session');
    for (const r of renewals) assert.equal(r.cookies.theme, 'dark', 'cookies the service did not rotate are kept');
    // Between two renewals, callers get the service's newest token and the store holds its newest sid.
    await waitFor(
      async () =>
        (await provider.getSessions([]))[0]?.accessToken === json.current().token &&
        t.store.accounts('dash')[0].sessions[0].endpoint?.cookies.sid.value === json.current().sid,
      'the newest token served and the newest sid stored',
      60_000,
    );
    const stored = t.store.accounts('dash')[0];
    assert.equal(stored.kind, 'endpoint');
    assert.ok(stored.sessions[0].refresh.refreshCount >= 3);
    assert.ok(t.lines.some((l) => /Team Dashboard: alice · valid · renews in \d+s · refreshed \d+× · last error none/.test(l)));

    json.mode({ kind: 'end' });
    await waitFor(() => t.ended.length > 0, 'the end of the session');
    assert.match(t.ended[0].message, /Team Dashboard ended the session \(HTTP 401\)/);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(t.ended.length, 1, 'one notice, however often the service is asked');
    assert.deepEqual(await provider.getSessions([]), []);
    assert.equal(t.store.accounts('dash').length, 1, 'the account stays listed for a new sign-in');
    for (const line of t.lines) {
      for (const r of renewals) assert.ok(!line.includes(r.cookies.sid), 'no cookie value in the log');
    }
  });

  it('keeps the cookie a failed renewal rotated, so the next attempt renews instead of ending the session', async () => {
    const t = setup([jsonSetting(json.url)], [`sid=${json.current().sid}`, 'alice']);
    engine = t.engine;
    await engine.signIn('dash');
    const session = () => t.store.accounts('dash')[0].sessions[0];
    // Answers that rotate the sid but carry no token, then normal answers.
    json.mode({ kind: 'missing' });
    await waitFor(() => session().refresh.consecutiveFailures > 0, 'a failed renewal, recorded');
    json.mode({ kind: 'normal' });
    const count = session().refresh.refreshCount;
    await waitFor(() => session().refresh.refreshCount > count && session().refresh.consecutiveFailures === 0, 'a renewal after it');
    assert.equal(t.ended.length, 0, 'the session did not end');
    assert.equal(session().refresh.needsSignIn, undefined);
    // Between two renewals, the store holds the sid the service last set.
    await waitFor(() => session().endpoint?.cookies.sid.value === json.current().sid, 'the store to hold the live sid', 60_000);
  });

  it('signs in with a token and a fingerprint, and renews from the JWT inside the HTML answer', async () => {
    const t = setup([htmlSetting(html.url)], [html.current().token, html.current().fp, 'bob']);
    engine = t.engine;
    await engine.signIn('booking');
    await waitFor(() => html.stats.renewals >= 3, 'two background renewals');
    const [session] = await engine.provider('booking')!.getSessions([]);
    assert.equal(session.account.label, 'bob');
    await waitFor(
      async () => (await engine!.provider('booking')!.getSessions([]))[0]?.accessToken === html.current().token,
      'the newest token served',
      60_000,
    );
    const requests = html.stats.requests.filter((r) => r.url.startsWith('/setrefresh'));
    for (const r of requests) assert.equal(new URL(r.url, html.url).searchParams.get('fp'), html.current().fp);
  });

  it('sends nothing to an origin the setting names after sign-in: the session waits, and works again when the setting returns', async () => {
    const t = setup([jsonSetting(json.url)], [`sid=${json.current().sid}`, 'alice']);
    engine = t.engine;
    await engine.signIn('dash');
    t.configure([jsonSetting(other.url)]);
    const renewals = json.stats.renewals;
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(other.stats.requests.length, 0, 'the other origin got no request');
    assert.equal(json.stats.renewals, renewals, 'and the session was not renewed anywhere');
    assert.deepEqual(await engine.provider('dash')!.getSessions([]), []);
    assert.equal(engine.providers()[0].accounts[0].health.state, 'dormant');
    t.configure([jsonSetting(json.url)]);
    await waitFor(() => json.stats.renewals > renewals, 'a renewal at its own origin again');
    assert.equal((await engine.provider('dash')!.getSessions([])).length, 1);
  });
});
