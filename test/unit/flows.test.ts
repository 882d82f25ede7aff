// Which sign-in flows a window offers, and in which order: a query over the flows table by host
// kind, issuer capabilities and the provider's `flows` setting; and "try another way" after a
// flow fails or is given up.
import assert from 'node:assert/strict';
import { ErrorCode, SessionKeeperError } from '../../src/session/base/errors';
import { parseProviders } from '../../src/session/config';
import { signInTimedOut } from '../../src/session/kinds/oauth/flows/authorizationCode';
import { DEFAULT_DEVICE_TIMING } from '../../src/session/kinds/oauth/flows/device';
import {
  FLOWS,
  FLOW_IDS,
  chooseFlows,
  hostKind,
  issuerFeatures,
  runFlows,
  type FlowResult,
  type FlowSetting,
  type HostKind,
  type IssuerFeature,
  type SignInFlow,
} from '../../src/session/kinds/oauth/flows/index';

const full: IssuerFeature[] = ['authorization_endpoint', 'device_authorization_endpoint', 'userinfo_endpoint'];
const codeOnly: IssuerFeature[] = ['authorization_endpoint', 'userinfo_endpoint'];
const deviceOnly: IssuerFeature[] = ['device_authorization_endpoint'];
const none: IssuerFeature[] = [];

const cases: Array<[string, HostKind, IssuerFeature[], FlowSetting | undefined, string[]]> = [
  ['desktop, every capability', 'desktop', full, undefined, ['loopback', 'uriHandler', 'device', 'paste']],
  ['remote (SSH, containers), every capability', 'remote', full, undefined, ['loopback', 'uriHandler', 'device', 'paste']],
  ['web workbench: device first, no URI handler', 'web', full, undefined, ['device', 'loopback', 'paste']],
  ['desktop, no device endpoint', 'desktop', codeOnly, undefined, ['loopback', 'uriHandler', 'paste']],
  ['web, no device endpoint', 'web', codeOnly, undefined, ['loopback', 'paste']],
  ['desktop, only a device endpoint', 'desktop', deviceOnly, undefined, ['device', 'paste']],
  ['web, an issuer with no interactive flow', 'web', none, undefined, ['paste']],
  ['pinned order is kept', 'desktop', full, { only: ['device', 'loopback'] }, ['device', 'loopback']],
  ['a pinned flow the host cannot run is dropped', 'web', full, { only: ['uriHandler', 'paste'] }, ['paste']],
  ['a pinned flow the issuer cannot run is dropped', 'desktop', codeOnly, { only: ['device', 'loopback'] }, ['loopback']],
  ['excluded flows leave the host order', 'desktop', full, { exclude: ['paste', 'uriHandler'] }, ['loopback', 'device']],
  ['excluding on the web', 'web', full, { exclude: ['device'] }, ['loopback', 'paste']],
];

describe('choosing the sign-in flows', () => {
  for (const [name, host, issuer, setting, expected] of cases) {
    it(`${name}: ${expected.join(' → ')}`, () => {
      assert.deepEqual(
        chooseFlows({ host, issuer: new Set(issuer), setting }).map((f) => f.id),
        expected,
      );
    });
  }

  it('tells the host kind from uiKind and remoteName', () => {
    assert.equal(hostKind({ web: false }), 'desktop');
    assert.equal(hostKind({ web: false, remoteName: 'ssh-remote' }), 'remote');
    assert.equal(hostKind({ web: true, remoteName: '127.0.0.1:8080' }), 'web');
  });

  it('reads the capabilities from the discovery document', () => {
    assert.deepEqual(
      [...issuerFeatures({ authorization_endpoint: 'https://a/auth', device_authorization_endpoint: 'https://a/device', jwks_uri: 'x' })],
      ['authorization_endpoint', 'device_authorization_endpoint'],
    );
  });

  it('the FLOWS ids are exactly FLOW_IDS, and each row has its own label, at least one host and one trigger', () => {
    // What the flows setting accepts is what the table runs: no id without a row, no row twice.
    assert.deepEqual(FLOWS.map((f) => f.id).sort(), [...FLOW_IDS].sort());
    // The labels are generic (no provider names them); each "Try another way" offer must still read differently.
    const labels = FLOWS.map((f) => f.label.trim());
    assert.equal(new Set(labels).size, labels.length, labels.join(' | '));
    for (const flow of FLOWS) {
      assert.ok(flow.label.trim().length > 3, flow.id);
      assert.ok(Object.keys(flow.options.hosts).length > 0, flow.id);
      assert.equal(typeof flow.trigger, 'function');
    }
  });
});

describe('the flows setting', () => {
  const entry = (flows: unknown) => ({ id: 'corp', issuer: 'https://login.example.com', clientId: 'vscode', flows });
  const valid: Array<[unknown, FlowSetting]> = [
    [['device', 'loopback'], { only: ['device', 'loopback'] }],
    [['!paste'], { exclude: ['paste'] }],
  ];
  for (const [raw, setting] of valid) {
    it(`accepts ${JSON.stringify(raw)}`, () => {
      const { providers, problems } = parseProviders([entry(raw)]);
      assert.deepEqual(problems, []);
      assert.deepEqual(providers[0].flows, setting);
    });
  }
  const invalid: Array<[unknown, RegExp]> = [
    [[], /non-empty array/],
    ['device', /non-empty array/],
    [['device', 'magic'], /unknown sign-in flow "magic"/],
    [['device', '!paste'], /not both/],
    [['device', 'device'], /twice/],
    [['!loopback', '!uriHandler', '!device', '!paste'], /every sign-in flow/],
  ];
  for (const [raw, message] of invalid) {
    it(`refuses ${JSON.stringify(raw)}, naming the entry`, () => {
      const { providers, problems } = parseProviders([entry(raw)]);
      assert.equal(providers.length, 0);
      assert.equal(problems[0].id, 'corp');
      assert.match(problems[0].message, message);
    });
  }
});

describe('trying another way', () => {
  const result: FlowResult = { tokens: { accessToken: 'at', tokenType: 'Bearer' }, account: { id: 'sub', label: 'alice' } };
  const order = chooseFlows({ host: 'desktop', issuer: new Set(full) });
  const cancelled = new SessionKeeperError(ErrorCode.Cancelled, 'cancelled');
  const failed = new SessionKeeperError(ErrorCode.OAuthError, 'refused');

  async function run(outcomes: Record<string, unknown>, accept: boolean) {
    const tried: string[] = [];
    const offers: Array<[string, string, unknown]> = [];
    const outcome = await runFlows(
      order,
      async (flow: SignInFlow) => {
        tried.push(flow.id);
        if (outcomes[flow.id] !== undefined) throw outcomes[flow.id];
        return result;
      },
      async (flow, err, next) => {
        offers.push([flow.id, next.id, err]);
        return accept;
      },
    ).then(
      (r) => r,
      (e: unknown) => e,
    );
    return { tried, offers, outcome };
  }

  it('after a failure, offers the next flow and runs it when the user accepts', async () => {
    const r = await run({ loopback: failed }, true);
    assert.deepEqual(r.tried, ['loopback', 'uriHandler']);
    assert.deepEqual(r.offers, [['loopback', 'uriHandler', failed]]);
    assert.equal(r.outcome, result);
  });

  it('after a cancel, offers the next flow too', async () => {
    const r = await run({ loopback: cancelled, uriHandler: failed }, true);
    assert.deepEqual(r.tried, ['loopback', 'uriHandler', 'device']);
    assert.deepEqual(
      r.offers.map(([a, b]) => `${a}→${b}`),
      ['loopback→uriHandler', 'uriHandler→device'],
    );
  });

  it('stops with the error of the flow when the user declines the offer', async () => {
    const r = await run({ loopback: cancelled }, false);
    assert.deepEqual(r.tried, ['loopback']);
    assert.equal(r.outcome, cancelled);
  });

  it('after the last flow fails there is nothing to offer and its error stands', async () => {
    const r = await run({ loopback: failed, uriHandler: failed, device: failed, paste: cancelled }, true);
    assert.deepEqual(r.tried, ['loopback', 'uriHandler', 'device', 'paste']);
    assert.equal(r.offers.length, 3);
    assert.equal(r.outcome, cancelled);
  });

  it('with no flow left for this host and issuer, says so', async () => {
    await assert.rejects(
      runFlows(
        [],
        async () => result,
        async () => true,
      ),
      (e: unknown) => e instanceof SessionKeeperError && e.code === ErrorCode.InvalidConfiguration,
    );
  });
});

describe('the time limit of a sign-in', () => {
  it('is told in the unit it was given in, never as "0 minutes"', () => {
    const told = (ms: number) => {
      const err = signInTimedOut(ms);
      assert.equal(err.code, ErrorCode.SignInTimedOut);
      return err.message;
    };
    assert.equal(told(300), 'Sign-in did not finish within a second. Try again.');
    assert.equal(told(8_000), 'Sign-in did not finish within 8 seconds. Try again.');
    assert.equal(told(90_000), 'Sign-in did not finish within 90 seconds. Try again.');
    assert.equal(told(60_000), 'Sign-in did not finish within a minute. Try again.');
    assert.equal(told(5 * 60_000), 'Sign-in did not finish within 5 minutes. Try again.');
  });
});

describe('the device flow between polls', () => {
  const { sleep } = DEFAULT_DEVICE_TIMING;

  it('waits out the interval when nothing cancels', async () => {
    await sleep(1, new AbortController().signal);
  });

  it('stops waiting as soon as the sign-in is cancelled', async () => {
    const controller = new AbortController();
    const waiting = sleep(3_600_000, controller.signal);
    controller.abort();
    await assert.rejects(waiting);
  });

  it('does not start waiting when the sign-in is already cancelled', async () => {
    await assert.rejects(sleep(3_600_000, AbortSignal.abort()));
  });
});
