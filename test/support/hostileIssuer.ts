// An issuer that misbehaves on demand: a small HTTP server on 127.0.0.1 that serves a valid
// discovery document naming itself, a JWKS and a token endpoint, and lets each test replace the
// answer of any endpoint with a fault (a status, a body, gzip, a hang, a reset, a truncated or a
// dripping body). It signs its own ID tokens so a test can break exactly one thing about them,
// and records every request it receives.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export type Endpoint = 'discovery' | 'jwks' | 'token' | 'revocation' | 'device' | 'other';

export const PATHS: Record<Exclude<Endpoint, 'other'>, string> = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  token: '/token',
  revocation: '/revoke',
  // RFC 8628 device authorization: not in the discovery document unless a test lists it.
  device: '/device',
};

export interface RecordedRequest {
  readonly endpoint: Endpoint;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

type Headers = Record<string, string | string[]>;

/** What an endpoint does with the next request. */
export type Reply =
  /** A complete answer. */
  | { kind: 'respond'; status?: number; headers?: Headers; body?: string | Buffer }
  /** The body gzip-encoded, with `content-encoding: gzip`. */
  | { kind: 'gzip'; status?: number; headers?: Headers; body: string | Buffer }
  /** A JSON prefix, then `inflatedBytes` of '0' characters, then a suffix, gzip-encoded (~1000:1; see gzipBomb). */
  | { kind: 'gzipBomb'; status?: number; headers?: Headers; prefix: string; suffix: string; inflatedBytes: number }
  /** Headers (unless `silent`) and part of a body, then nothing, ever (until the server closes). */
  | { kind: 'hang'; silent?: boolean; status?: number; headers?: Headers; body?: string }
  /** The connection is reset (TCP RST) as soon as the request arrives. */
  | { kind: 'reset' }
  /** A content-length longer than the body sent; then the connection is destroyed (or held open). */
  | { kind: 'truncated'; status?: number; headers?: Headers; body: string; declaredLength?: number; holdOpen?: boolean }
  /** The body one small chunk at a time, every `intervalMs`. */
  | { kind: 'drip'; status?: number; headers?: Headers; body: string; intervalMs: number; chunkBytes?: number }
  /** `bytes` of body streamed from a repeated chunk (no buffer of that size is built). */
  | { kind: 'stream'; status?: number; headers?: Headers; prefix: string; fill: string; suffix: string; bytes: number };

export type Handler = Reply | ((req: RecordedRequest, issuer: HostileIssuer) => Reply);

export function json(status: number, body: unknown, headers: Headers = {}): Reply {
  return { kind: 'respond', status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function text(status: number, body: string | Buffer, contentType?: string, headers: Headers = {}): Reply {
  return { kind: 'respond', status, headers: contentType === undefined ? headers : { 'content-type': contentType, ...headers }, body };
}

export const HTML_PAGE =
  '<!doctype html><html><head><title>Sign in - Corp Gateway</title></head><body><h1>Access denied</h1><script>location="/login"</script></body></html>';

export function html(status: number, body = HTML_PAGE): Reply {
  return text(status, body, 'text/html; charset=utf-8');
}

/** A random token-like string: letters and digits only, so no piece of it occurs in ordinary text. */
export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

interface Keys {
  readonly privateKey: KeyObject;
  readonly other: KeyObject;
  readonly jwk: Record<string, unknown>;
}

let keys: Keys | undefined;
function signingKeys(): Keys {
  if (!keys) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    keys = { privateKey, other, jwk: { ...publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' } };
  }
  return keys;
}

export const KID = 'hostile-key-1';
export const CLIENT_ID = 'session-keeper';

export interface IdTokenOptions {
  /** Claims merged over the defaults; a value of `undefined` removes the claim. */
  claims?: Record<string, unknown>;
  /** Header fields merged over { alg: 'RS256', typ: 'JWT', kid }; `undefined` removes one. */
  header?: Record<string, unknown>;
  /** 'other' signs with a key the JWKS does not publish; 'none' leaves the signature empty. */
  signWith?: 'issuer' | 'other' | 'none';
}

const BOMB_MEMBER_BYTES = 16 << 20;
let bombMember: Buffer | undefined;

/**
 * prefix + `inflatedBytes` of '0' + suffix, gzip-encoded as a series of gzip members (RFC 1952
 * §2.2: a gzip file is a series of members; decoders inflate them one after another). The same
 * compressed member of 16 MiB of '0' (about 16 KB) is repeated, so 1 GiB inflated is about 1 MB
 * on the wire and no buffer larger than 16 MiB is ever built.
 */
export function gzipBomb(prefix: string, suffix: string, inflatedBytes: number): Buffer {
  bombMember ??= gzipSync(Buffer.alloc(BOMB_MEMBER_BYTES, '0'), { level: 9 });
  const parts: Buffer[] = [gzipSync(prefix)];
  let left = inflatedBytes;
  for (; left >= BOMB_MEMBER_BYTES; left -= BOMB_MEMBER_BYTES) parts.push(bombMember);
  if (left > 0) parts.push(gzipSync(Buffer.alloc(left, '0')));
  parts.push(gzipSync(suffix));
  return Buffer.concat(parts);
}

export class HostileIssuer {
  readonly requests: RecordedRequest[] = [];
  /** Every token this issuer minted since the last reset(), so tests can look for them in messages. */
  readonly issued: string[] = [];
  private readonly handlers = new Map<Endpoint, Handler>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private docOverrides: Record<string, unknown> = {};

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<HostileIssuer> {
    signingKeys();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const srv = new HostileIssuer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (s: Socket) => {
      srv.sockets.add(s);
      s.on('close', () => srv.sockets.delete(s));
      s.on('error', () => undefined);
    });
    server.on('request', (req, res) => void srv.handle(req, res));
    return srv;
  }

  /** The discovery document as served: valid, naming this server, unless overridden. */
  discoveryDocument(): Record<string, unknown> {
    const doc: Record<string, unknown> = {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}${PATHS.token}`,
      revocation_endpoint: `${this.issuer}${PATHS.revocation}`,
      jwks_uri: `${this.issuer}${PATHS.jwks}`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none'],
      ...this.docOverrides,
    };
    for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
    return doc;
  }

  /** Changes fields of the served discovery document; `undefined` removes a field. */
  setDiscovery(overrides: Record<string, unknown>): void {
    this.docOverrides = { ...overrides };
  }

  jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: [signingKeys().jwk] };
  }

  /** Replaces what an endpoint answers, until reset(). */
  on(endpoint: Endpoint, handler: Handler): void {
    this.handlers.set(endpoint, handler);
  }

  /** Back to a well-behaved issuer; forgets recorded requests and ends held connections. */
  reset(): void {
    this.handlers.clear();
    this.docOverrides = {};
    this.requests.length = 0;
    this.issued.length = 0;
    this.dropConnections();
  }

  requestsTo(endpoint: Endpoint): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  /** A compact JWS ID token for this issuer, signed with its key unless told otherwise. */
  idToken(opts: IdTokenOptions = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', kid: KID, ...opts.header };
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      aud: CLIENT_ID,
      sub: 'alice-sub',
      iat: now,
      exp: now + 300,
      preferred_username: 'alice',
      ...opts.claims,
    };
    for (const o of [header, claims]) for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signWith = opts.signWith ?? 'issuer';
    const key = signWith === 'other' ? signingKeys().other : signingKeys().privateKey;
    const jws = signWith === 'none' ? `${input}.` : `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
    this.issued.push(jws);
    return jws;
  }

  /** A JWT access token (RFC 9068 shaped) signed by this issuer. */
  jwtAccessToken(claims: Record<string, unknown> = {}): string {
    return this.idToken({
      header: { typ: 'at+jwt' },
      claims: { aud: 'https://api.example', client_id: CLIENT_ID, jti: randomToken('j', 8), ...claims },
    });
  }

  /** A device authorization answer (RFC 8628 §3.2) for this issuer; `fields` are merged in (`undefined` removes one). */
  deviceAuthorization(fields: Record<string, unknown> = {}): Record<string, unknown> {
    const body: Record<string, unknown> = {
      device_code: randomToken('DC'),
      user_code: 'WDJB-MJHT',
      verification_uri: `${this.issuer}${PATHS.device}`,
      expires_in: 600,
      interval: 5,
      ...fields,
    };
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    if (typeof body.device_code === 'string') this.issued.push(body.device_code);
    return body;
  }

  /** A valid token endpoint answer; `fields` are merged in (`undefined` removes one). */
  tokenResponse(fields: Record<string, unknown> = {}): Record<string, unknown> {
    const body: Record<string, unknown> = {
      access_token: randomToken('AT'),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: randomToken('RT'),
      scope: 'openid offline_access',
      ...fields,
    };
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    for (const k of ['access_token', 'refresh_token']) if (typeof body[k] === 'string') this.issued.push(body[k]);
    return body;
  }

  /** Resets every open connection: held, hanging and dripping answers end now. */
  dropConnections(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private endpointOf(path: string): Endpoint {
    for (const [name, p] of Object.entries(PATHS)) if (path === p) return name as Endpoint;
    return 'other';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size < 1 << 20) chunks.push(c as Buffer);
      }
    } catch {
      return;
    }
    const url = new URL(req.url ?? '/', this.issuer);
    const endpoint = this.endpointOf(url.pathname);
    const recorded: RecordedRequest = {
      endpoint,
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      headers: { ...req.headers },
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(recorded);
    const handler = this.handlers.get(endpoint) ?? this.defaultHandler(endpoint);
    const reply = typeof handler === 'function' ? handler(recorded, this) : handler;
    try {
      await this.send(req, res, reply);
    } catch {
      res.socket?.destroy();
    }
  }

  private defaultHandler(endpoint: Endpoint): Handler {
    switch (endpoint) {
      case 'discovery':
        return () => json(200, this.discoveryDocument());
      case 'jwks':
        return () => json(200, this.jwks());
      case 'token':
        return () => json(200, this.tokenResponse(), { 'cache-control': 'no-store' });
      case 'revocation':
        return text(200, '');
      default:
        return text(404, 'not found', 'text/plain');
    }
  }

  private async send(req: IncomingMessage, res: ServerResponse, reply: Reply): Promise<void> {
    const socket = req.socket;
    switch (reply.kind) {
      case 'respond': {
        const body = reply.body ?? '';
        res.writeHead(reply.status ?? 200, { 'content-length': String(Buffer.byteLength(body)), ...reply.headers });
        res.end(body);
        return;
      }
      case 'gzip': {
        const body = gzipSync(reply.body);
        res.writeHead(reply.status ?? 200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(body.length),
          ...reply.headers,
        });
        res.end(body);
        return;
      }
      case 'gzipBomb': {
        const body = gzipBomb(reply.prefix, reply.suffix, reply.inflatedBytes);
        res.writeHead(reply.status ?? 200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(body.length),
          ...reply.headers,
        });
        res.end(body);
        return;
      }
      case 'hang': {
        if (reply.silent) return;
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.write(reply.body ?? '{"access_token":"');
        return;
      }
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'truncated': {
        const declared = reply.declaredLength ?? Buffer.byteLength(reply.body) + 1000;
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers, 'content-length': String(declared) });
        res.write(reply.body);
        if (!reply.holdOpen) setTimeout(() => socket.destroy(), 20);
        return;
      }
      case 'drip': {
        const body = Buffer.from(reply.body);
        const step = reply.chunkBytes ?? 1;
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'content-length': String(body.length), ...reply.headers });
        let at = 0;
        const timer = setInterval(() => {
          if (at >= body.length || socket.destroyed) {
            clearInterval(timer);
            this.timers.delete(timer);
            if (!socket.destroyed) res.end();
            return;
          }
          res.write(body.subarray(at, at + step));
          at += step;
        }, reply.intervalMs);
        this.timers.add(timer);
        return;
      }
      case 'stream': {
        const total = Buffer.byteLength(reply.prefix) + reply.bytes + Buffer.byteLength(reply.suffix);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'content-length': String(total), ...reply.headers });
        const fill = Buffer.alloc(1 << 16, reply.fill);
        let left = reply.bytes;
        res.write(reply.prefix);
        await new Promise<void>((resolve) => {
          const pump = () => {
            while (left > 0) {
              if (socket.destroyed) return resolve();
              const n = Math.min(left, fill.length);
              left -= n;
              if (!res.write(n === fill.length ? fill : fill.subarray(0, n))) {
                res.once('drain', pump);
                return;
              }
            }
            res.end(reply.suffix);
            resolve();
          };
          res.on('close', () => resolve());
          pump();
        });
        return;
      }
    }
  }
}
