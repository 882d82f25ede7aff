// Which proxy a request takes: VS Code's settings, the environment variables, noProxy patterns,
// and proxy URLs with credentials that must never show in a message.
import assert from 'node:assert/strict';
import { bypassesProxy, describeProxy, parseNoProxy, parseProxyUrl, routeFor } from '../../src/session/net/proxy';

const via = (url: string, settings: Parameters<typeof routeFor>[1], env: Parameters<typeof routeFor>[2] = {}) => {
  // The proxy's URL when the request goes through one; undefined when it goes directly or as the system decides.
  const route = routeFor(url, settings, env);
  return route.kind === 'proxy' ? route.proxy.href : undefined;
};

describe('proxy choice', () => {
  describe('noProxy patterns', () => {
    const bypass = (url: string, entries: string[] | string) => bypassesProxy(new URL(url), parseNoProxy(entries));

    it('matches a host and its subdomains, with or without a leading dot or *.', () => {
      for (const entry of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com.']) {
        assert.ok(bypass('https://example.com/x', [entry]), entry);
        assert.ok(bypass('https://sso.eu.example.com/x', [entry]), entry);
        assert.ok(!bypass('https://notexample.com/x', [entry]), entry);
        assert.ok(!bypass('https://example.com.evil.test/x', [entry]), entry);
      }
    });

    it('honours a port when the entry names one, counting default ports', () => {
      assert.ok(bypass('https://sso.corp:8443/', ['sso.corp:8443']));
      assert.ok(!bypass('https://sso.corp/', ['sso.corp:8443']));
      assert.ok(bypass('https://sso.corp/', ['sso.corp:443']));
      assert.ok(bypass('http://sso.corp/', ['.corp:80']));
      assert.ok(!bypass('https://sso.corp/', ['.corp:80']));
    });

    it('reads IP addresses, bracketed IPv6 with a port, schemes and paths it can ignore', () => {
      assert.ok(bypass('http://127.0.0.1:8080/', ['127.0.0.1']));
      assert.ok(bypass('http://[::1]:8080/', ['[::1]:8080']));
      assert.ok(bypass('http://[::1]:8080/', ['::1']));
      assert.ok(!bypass('http://[::1]:8081/', ['[::1]:8080']));
      assert.ok(bypass('https://sso.corp/', ['https://sso.corp/some/path']));
    });

    it('splits NO_PROXY on commas and white space, skips empty entries, and * matches everything', () => {
      assert.deepEqual(parseNoProxy(' a.corp, ,b.corp:81  c.corp,'), [
        { host: 'a.corp' },
        { host: 'b.corp', port: 81 },
        { host: 'c.corp' },
      ]);
      assert.ok(bypass('https://anything.test/', '*'));
      assert.ok(!bypass('https://anything.test/', ['', '.', '*.']));
    });
  });

  describe('routeFor', () => {
    const route = (url: string, settings: Parameters<typeof routeFor>[1], env: Parameters<typeof routeFor>[2] = {}) => {
      const r = routeFor(url, settings, env);
      return r.kind === 'proxy' ? `proxy ${r.proxy.host}` : r.kind;
    };
    const table: Array<[string, string, Parameters<typeof routeFor>[1], Parameters<typeof routeFor>[2], string]> = [
      ['nothing names a proxy', 'https://sso.corp/', {}, {}, 'system'],
      ['nothing names a proxy, for http too', 'http://127.0.0.1:8080/', {}, {}, 'system'],
      ['http.proxy', 'https://sso.corp/', { proxy: 'http://set:3128' }, {}, 'proxy set:3128'],
      ['HTTPS_PROXY', 'https://sso.corp/', {}, { HTTPS_PROXY: 'http://env:1' }, 'proxy env:1'],
      ['HTTPS_PROXY does not apply to http', 'http://sso.corp/', {}, { HTTPS_PROXY: 'http://env:1' }, 'system'],
      ['http.noProxy covers the host', 'https://sso.corp/', { proxy: 'http://set:3128', noProxy: ['corp'] }, {}, 'direct'],
      ['NO_PROXY covers the host, with no proxy named', 'https://sso.corp/', {}, { NO_PROXY: 'sso.corp' }, 'direct'],
      ['http.proxySupport off', 'https://sso.corp/', { proxy: 'http://set:3128', proxySupport: 'off' }, {}, 'direct'],
      ['http.proxySupport off, nothing named', 'https://sso.corp/', { proxySupport: 'off' }, {}, 'direct'],
    ];
    for (const [name, url, settings, env, expected] of table) {
      it(`${name}: ${expected}`, () => assert.equal(route(url, settings, env), expected));
    }
  });

  describe('the proxy routeFor picks', () => {
    it('uses http.proxy before the environment, for http and https alike', () => {
      const env = { HTTPS_PROXY: 'http://env:1' };
      assert.equal(via('https://sso.corp/', { proxy: 'http://set:3128' }, env), 'http://set:3128/');
      assert.equal(via('http://sso.corp/', { proxy: 'http://set:3128' }, env), 'http://set:3128/');
    });

    it('reads HTTPS_PROXY for https (then HTTP_PROXY), HTTP_PROXY for http, lower case first', () => {
      assert.equal(via('https://a.corp/', {}, { HTTPS_PROXY: 'http://s:1', HTTP_PROXY: 'http://p:2' }), 'http://s:1/');
      assert.equal(via('https://a.corp/', {}, { HTTP_PROXY: 'http://p:2' }), 'http://p:2/');
      assert.equal(via('http://a.corp/', {}, { HTTPS_PROXY: 'http://s:1' }), undefined);
      assert.equal(via('https://a.corp/', {}, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }), 'http://lower:1/');
      assert.equal(via('https://a.corp/', {}, { HTTPS_PROXY: '  ' }), undefined);
    });

    it('applies http.noProxy and NO_PROXY together, whichever proxy was chosen', () => {
      const settings = { proxy: 'http://set:3128', noProxy: ['internal.corp'] };
      const env = { NO_PROXY: '.lab.corp', no_proxy: undefined };
      assert.equal(via('https://sso.internal.corp/', settings, env), undefined);
      assert.equal(via('https://x.lab.corp/', settings, env), undefined);
      assert.equal(via('https://sso.example.com/', settings, env), 'http://set:3128/');
    });

    it('goes directly with http.proxySupport off or no proxy anywhere', () => {
      assert.equal(via('https://a.corp/', { proxy: 'http://set:1', proxySupport: 'off' }, { HTTPS_PROXY: 'http://s:1' }), undefined);
      assert.equal(via('https://a.corp/', {}, {}), undefined);
    });

    it('takes a bare host:port as an http proxy and refuses other schemes', () => {
      assert.equal(parseProxyUrl('proxy.corp:8080').href, 'http://proxy.corp:8080/');
      assert.equal(parseProxyUrl('https://proxy.corp').href, 'https://proxy.corp/');
      assert.throws(() => parseProxyUrl('socks5://proxy.corp:1080'), /Only http and https proxies/);
    });
  });

  describe('credentials in a proxy URL', () => {
    it('are kept for the connection but never described', () => {
      const url = parseProxyUrl('http://dom%5Cuser:pa%40ss@proxy.corp:8080');
      assert.equal(decodeURIComponent(url.password), 'pa@ss');
      assert.equal(describeProxy(url), 'http://proxy.corp:8080');
    });

    it('do not reach the error for a proxy setting that is not a URL', () => {
      assert.throws(
        () => parseProxyUrl('http://user:secret-pw@proxy corp:80'),
        (err: Error) => !/secret-pw|user/.test(err.message) && /not a URL/.test(err.message),
      );
    });
  });
});
