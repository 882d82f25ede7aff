import assert from 'node:assert/strict';
import { normalizeScopes, requestScopes, scopesSatisfy } from '../../src/session/base/scopes';

describe('scope matching', () => {
  it('treats scope lists as sets: order and duplicates do not matter', () => {
    assert.deepEqual(normalizeScopes(['profile', 'openid', 'profile', 'email']), ['email', 'openid', 'profile']);
    assert.ok(scopesSatisfy(['email', 'openid', 'profile'], ['profile', 'openid', 'openid']));
  });

  it('splits space-delimited entries the way RFC 6749 §3.3 writes them', () => {
    assert.deepEqual(normalizeScopes(['openid  profile', ' email ']), ['email', 'openid', 'profile']);
  });

  it('serves a request only from a session granted every requested scope', () => {
    assert.ok(scopesSatisfy(['openid', 'profile'], ['openid']));
    assert.ok(!scopesSatisfy(['openid'], ['openid', 'api:read']));
  });

  it('is case-sensitive, as scope values are', () => {
    assert.ok(!scopesSatisfy(['openid'], ['OpenID']));
  });

  it('serves an empty request from any session', () => {
    assert.ok(scopesSatisfy(['openid'], []));
    assert.ok(scopesSatisfy([], []));
  });

  it('asks for the provider defaults plus what the caller needs', () => {
    assert.deepEqual(requestScopes(['openid', 'offline_access'], ['api:read', 'openid']), ['api:read', 'offline_access', 'openid']);
  });
});
