import assert from 'node:assert/strict';
import { describeProblem, parseProviders } from '../../src/session/config';

const good = { id: 'corp', label: 'Corp SSO', issuer: 'https://login.example.com/realms/dev', clientId: 'vscode' };

describe('provider configuration', () => {
  it('accepts a Keycloak-style entry and fills in defaults', () => {
    const { providers, problems } = parseProviders([{ id: 'corp', issuer: good.issuer, clientId: 'vscode' }]);
    assert.deepEqual(problems, []);
    assert.equal(providers.length, 1);
    assert.equal(providers[0].label, 'corp');
    assert.deepEqual(providers[0].scopes, ['email', 'offline_access', 'openid', 'profile']);
    assert.deepEqual(providers[0].authorizationParameters, {});
  });

  it('always asks for openid, even when scopes are configured without it', () => {
    const { providers } = parseProviders([{ ...good, scopes: ['api:read'] }]);
    assert.deepEqual(providers[0].scopes, ['api:read', 'openid']);
  });

  it('reports a bad entry by name and keeps the others working', () => {
    const { providers, problems } = parseProviders([
      { ...good, id: 'broken', issuer: 'not a url' },
      good,
      { ...good, id: 'nosecret', clientId: '' },
    ]);
    assert.deepEqual(
      providers.map((p) => p.id),
      ['corp'],
    );
    assert.equal(problems.length, 2);
    assert.match(describeProblem(problems[0]), /^Identity provider "broken": "issuer" must be an absolute URL/);
    assert.match(describeProblem(problems[1]), /^Identity provider "nosecret": "clientId" is missing/);
  });

  it('rejects a duplicate id, naming it, and keeps the first entry', () => {
    const { providers, problems } = parseProviders([good, { ...good, label: 'Second' }]);
    assert.equal(providers.length, 1);
    assert.equal(providers[0].label, 'Corp SSO');
    assert.match(problems[0].message, /"corp" is used by an earlier entry/);
    assert.equal(problems[0].index, 1);
  });

  it('allows plain http only for loopback issuers', () => {
    assert.equal(parseProviders([{ ...good, issuer: 'http://127.0.0.1:8080' }]).problems.length, 0);
    assert.equal(parseProviders([{ ...good, issuer: 'http://localhost:8080/realms/x' }]).problems.length, 0);
    const { problems } = parseProviders([{ ...good, issuer: 'http://login.example.com' }]);
    assert.match(problems[0].message, /must use https/);
  });

  it("refuses plain http to 127.0.0.1 where that is a remote server, not the user's computer, and says how to allow it", () => {
    for (const issuer of ['http://127.0.0.1:8080', 'http://localhost:8080/realms/x', 'http://[::1]:8080']) {
      const { providers, problems } = parseProviders([{ ...good, issuer }], false);
      assert.equal(providers.length, 0);
      assert.match(
        problems[0].message,
        /"issuer" must use https here: Session Keeper runs on a remote server .*sessionKeeper\.remote\.allowLoopbackHttp/,
      );
    }
    assert.match(
      parseProviders([{ ...good, issuer: 'http://login.example.com' }], false).problems[0].message,
      /plain http is allowed only/,
    );
    assert.equal(parseProviders([{ ...good, issuer: 'https://127.0.0.1:8443' }], false).problems.length, 0);
  });

  it('refuses authorization parameters the flow sets itself', () => {
    const { problems } = parseProviders([{ ...good, authorizationParameters: { redirect_uri: 'http://evil.example' } }]);
    assert.match(problems[0].message, /cannot set "redirect_uri"/);
    assert.equal(
      parseProviders([{ ...good, authorizationParameters: { audience: 'api' } }]).providers[0].authorizationParameters.audience,
      'api',
    );
  });

  it('rejects malformed ids, scopes and non-object entries with a message each', () => {
    const { providers, problems } = parseProviders([
      { ...good, id: 'has space' },
      { ...good, id: 'x', scopes: ['two words'] },
      'corp',
      null,
    ]);
    assert.equal(providers.length, 0);
    assert.equal(problems.length, 4);
    assert.deepEqual(
      problems.map((p) => p.index),
      [0, 1, 2, 3],
    );
  });

  it('treats a missing setting as no providers and a non-array as one clear problem', () => {
    assert.deepEqual(parseProviders(undefined), { providers: [], problems: [] });
    const { problems } = parseProviders({ id: 'corp' });
    assert.equal(problems.length, 1);
    assert.match(describeProblem(problems[0]), /must be an array/);
  });
});
