// A service with a cookie session and a JSON renewal endpoint, on 127.0.0.1 at an ephemeral port.
// `POST /session` (any method is accepted, and recorded) with the current `sid` cookie rotates it
// (Set-Cookie with Max-Age; the old sid is dead from then on) and answers a new opaque token with
// its expiry in several shapes. An unknown or old sid gets 401 {"error":"session expired"}.
// A test can make it fail transiently or end the session (`mode`), and reads every request it got.
// serveControl() offers the same controls over HTTP, on a port of its own (see there).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The Cookie header, split. */
  readonly cookies: Readonly<Record<string, string>>;
}

/** What the service does with the renewal requests that follow (until the next `mode`). */
export type Mode =
  | { kind: 'normal' }
  /** A complete answer with this status (503, 429, 404...), optionally with a Retry-After. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Nothing, ever (until the service closes). */
  | { kind: 'hang' }
  /** The headers of a 200, then nothing. */
  | { kind: 'hangBody' }
  /** The connection is reset as soon as the request arrives. */
  | { kind: 'reset' }
  /** A 200 whose body lacks the token. */
  | { kind: 'missing' }
  /** A 200 with a body of this many bytes (default 1.5 MB), streamed without a content-length. */
  | { kind: 'huge'; bytes?: number }
  /** A redirect to another address. */
  | { kind: 'redirect'; location: string; status?: number }
  /** A 200 whose token holds a control character. */
  | { kind: 'controlToken' }
  /** A 200 that sets the rotated sid to a value with a control character. */
  | { kind: 'controlCookie' }
  /** The session is over: this status (default 401), or a 200 whose body says so. */
  | { kind: 'end'; status?: number; body?: string };

export interface Stats {
  /** Every request, renewals and others. */
  readonly requests: RecordedRequest[];
  /** Successful renewals. */
  renewals: number;
}

/** A random token-like string: letters and digits only. */
export function randomValue(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return Object.fromEntries(out);
}

export interface Service {
  /** The origin, e.g. http://127.0.0.1:12345 */
  readonly url: string;
  readonly stats: Stats;
  readonly mode: (mode: Mode) => void;
  readonly close: () => Promise<void>;
}

/** Server plumbing shared by the test services: recording, open sockets, faults, closing. */
export async function serve(
  handle: (req: RecordedRequest, res: ServerResponse, mode: Mode, raw: IncomingMessage) => void,
): Promise<Service & { server: Server }> {
  let mode: Mode = { kind: 'normal' };
  const stats: Stats = { requests: [], renewals: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString('utf8'),
        cookies: parseCookies(req.headers.cookie),
      };
      stats.requests.push(recorded);
      handle(recorded, res, mode, req);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    server,
    mode: (m) => (mode = m),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers a renewal request according to a fault mode; false in `normal` mode and for `missing`,
 * `controlToken`, `controlCookie` and a body-pattern `end`, which each service writes itself.
 */
export function fault(mode: Mode, req: IncomingMessage, res: ServerResponse): boolean {
  switch (mode.kind) {
    case 'status':
      res.writeHead(mode.status, { 'content-type': 'text/plain', ...(mode.retryAfter ? { 'retry-after': mode.retryAfter } : {}) });
      res.end('unavailable');
      return true;
    case 'hang':
      return true;
    case 'hangBody':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"token":"');
      return true;
    case 'reset':
      req.socket.resetAndDestroy();
      return true;
    case 'huge': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let left = mode.bytes ?? 1.5 * 1024 * 1024;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
      return true;
    }
    case 'redirect':
      res.writeHead(mode.status ?? 302, { location: mode.location });
      res.end();
      return true;
    case 'end':
      if (mode.body !== undefined) return false;
      res.writeHead(mode.status ?? 401, { 'content-type': 'application/json' });
      res.end('{"error":"session expired"}');
      return true;
    default:
      return false;
  }
}

export interface JsonSessionOptions {
  /** Lifetime of each token, in seconds (the answer's expiry fields). */
  readonly lifetimeS?: number;
  /** Max-Age of each rotated sid. */
  readonly cookieMaxAgeS?: number;
  /** Set-Cookie lines added to every successful renewal (to delete or add other cookies). */
  readonly extraSetCookies?: string[];
}

/** One successful renewal: the sid it was sent, what it handed out in exchange, and until when. */
export interface Renewal {
  readonly at: number;
  readonly sentSid: string;
  readonly sid: string;
  readonly token: string;
  readonly expiresAt: number;
}

export interface JsonSessionService extends Service {
  /** The live sid and the last token handed out. */
  current(): { sid: string; token: string };
  /** Every successful renewal, in order. */
  readonly issued: Renewal[];
  /** Renewal requests refused because their sid was unknown or old (not those a `mode` refused). */
  refused(): number;
  /** Extra Set-Cookie lines of the renewals that follow. */
  setExtraCookies(lines: string[]): void;
}

export async function startJsonSessionService(options: JsonSessionOptions = {}): Promise<JsonSessionService> {
  const lifetimeS = options.lifetimeS ?? 3600;
  const cookieMaxAgeS = options.cookieMaxAgeS ?? 7200;
  let extra = options.extraSetCookies ?? [];
  let sid = randomValue('sid');
  let token = randomValue('tok');
  const issued: Renewal[] = [];
  let refused = 0;
  const s = await serve((req, res, mode, raw) => {
    if (!req.url.startsWith('/session')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (fault(mode, raw, res)) return;
    if (mode.kind === 'end') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(mode.body);
      return;
    }
    if (req.cookies.sid !== sid) {
      refused++;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"session expired"}');
      return;
    }
    sid = randomValue('sid');
    token = randomValue('tok');
    const sidValue = mode.kind === 'controlCookie' ? `${sid.slice(0, 8)}\t${sid.slice(8)}` : sid;
    const now = Date.now();
    const answer =
      mode.kind === 'missing'
        ? { note: 'renewed', expiresIn: lifetimeS }
        : {
            token: mode.kind === 'controlToken' ? `${token.slice(0, 8)}\u0007${token.slice(8)}` : token,
            expiresAt: new Date(now + lifetimeS * 1000).toISOString(),
            expiresIn: lifetimeS,
            expiresInText: String(lifetimeS),
            expiresAtEpoch: Math.floor(now / 1000) + lifetimeS,
            expiresAtMillis: now + lifetimeS * 1000,
            // Keys that need RFC 6901 escapes, and an array.
            'a/b': { 'm~n': `csrf-${token}` },
            items: [{ id: 'first' }, { id: `second-${token}` }],
            count: 42,
          };
    res.writeHead(200, {
      'content-type': 'application/json',
      'set-cookie': [`sid=${sidValue}; Max-Age=${cookieMaxAgeS}; Path=/; HttpOnly`, ...extra],
    });
    res.end(JSON.stringify(answer));
    s.stats.renewals++;
    issued.push({ at: now, sentSid: req.cookies.sid, sid, token, expiresAt: now + lifetimeS * 1000 });
  });
  return {
    url: s.url,
    stats: s.stats,
    mode: s.mode,
    close: s.close,
    current: () => ({ sid, token }),
    issued,
    refused: () => refused,
    setExtraCookies: (lines) => (extra = lines),
  };
}

/**
 * The service's controls over HTTP, for a test in another process: `POST /__control/mode` with a
 * Mode as JSON, `GET /__control/stats` (requests, issued tokens, refusals, the live sid and token).
 * It listens on a port of its own, so no renewal request can reach it: a renewal goes to the
 * service's origin only (the client refuses any other), and the service answers 404 outside /session.
 */
export async function serveControl(service: JsonSessionService): Promise<{ url: string; close: () => Promise<void> }> {
  const control = await serve((req, res) => {
    const answer = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/__control/stats') {
      return answer(200, {
        renewals: service.stats.renewals,
        requests: service.stats.requests.map(({ method, url, cookies }) => ({ method, url, cookies })),
        issued: service.issued,
        refused: service.refused(),
        current: service.current(),
      });
    }
    if (req.method === 'POST' && req.url === '/__control/mode') {
      let mode: Mode;
      try {
        mode = JSON.parse(req.body) as Mode;
      } catch {
        return answer(400, { error: 'the body must be a Mode as JSON' });
      }
      if (typeof mode?.kind !== 'string') return answer(400, { error: 'the body must be a Mode as JSON' });
      service.mode(mode);
      return answer(204);
    }
    answer(404, { error: 'not found' });
  });
  return { url: control.url, close: control.close };
}
