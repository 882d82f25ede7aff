// A service whose renewal answers an HTML page, on 127.0.0.1 at an ephemeral port.
// `GET /setrefresh?token=…&fp=…` checks the current token and the device fingerprint, and answers
// a page whose script stores the new token (a JWT, HS256, `exp` a set time ahead) in localStorage;
// the old token is dead from then on. A wrong or old token gets 401 with a "session expired" page.
// Faults and recording as in jsonSessionService.ts.
import { createHmac, randomBytes } from 'node:crypto';
import { fault, randomValue, serve, type Service } from './jsonSessionService';

export interface HtmlSessionOptions {
  /** Lifetime of each token (its `exp`), in seconds. */
  readonly lifetimeS?: number;
}

export interface HtmlSessionService extends Service {
  /** The live token and the fingerprint the service expects. */
  current(): { token: string; fp: string };
  /** Signs a JWT with these claims, as the service does. */
  jwt(claims: Record<string, unknown>): string;
}

const KEY = randomBytes(32);

function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
}

const page = (script: string) =>
  `<!doctype html><html><head><title>Refreshing</title></head><body><p>One moment…</p>${script}</body></html>`;

export async function startHtmlSessionService(options: HtmlSessionOptions = {}): Promise<HtmlSessionService> {
  const lifetimeS = options.lifetimeS ?? 3600;
  const fp = randomValue('fp', 16);
  const issue = () => jwt({ sub: 'user-1', jti: randomValue('', 8), exp: Math.floor(Date.now() / 1000) + lifetimeS });
  let token = issue();
  const s = await serve((req, res, mode, raw) => {
    const url = new URL(req.url, 'http://service');
    if (url.pathname !== '/setrefresh') {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(page('<h1>Not found</h1>'));
      return;
    }
    if (fault(mode, raw, res)) return;
    if (mode.kind === 'end') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page(mode.body ?? ''));
      return;
    }
    if (url.searchParams.get('token') !== token || url.searchParams.get('fp') !== fp) {
      res.writeHead(401, { 'content-type': 'text/html' });
      res.end(page('<h1>session expired</h1><a href="/login">Sign in</a>'));
      return;
    }
    token = issue();
    const written = mode.kind === 'controlToken' ? `${token.slice(0, 12)}\u0001${token.slice(12)}` : token;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      mode.kind === 'missing'
        ? page('<script>console.log("nothing")</script>')
        : page(`<script>localStorage.setItem("token", "${written}")</script>`),
    );
    s.stats.renewals++;
  });
  return { url: s.url, stats: s.stats, mode: s.mode, close: s.close, current: () => ({ token, fp }), jwt };
}
