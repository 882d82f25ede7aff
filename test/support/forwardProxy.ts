// A forward proxy on 127.0.0.1, as companies run them: CONNECT tunnels for https and
// absolute-URI requests for http. It counts what it relays and keeps the first bytes each tunnel
// carried from the client, so a test can show that nothing went through in the clear.
import { once } from 'node:events';
import * as http from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ForwardProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** CONNECT tunnels opened, by target host:port. */
  readonly tunnels: string[];
  /** Plain http requests relayed, as absolute URIs. */
  readonly requests: string[];
  /** Proxy-Authorization headers received (tests check what credentials arrived). */
  readonly authorizations: string[];
  /** The first bytes each tunnel carried from the client (up to 4 KB). */
  readonly clientBytes: Buffer[];
  /** CONNECT tunnels plus plain requests. */
  count(): number;
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const requests: string[] = [];
  const authorizations: string[] = [];
  const clientBytes: Buffer[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    if (req.headers['proxy-authorization']) authorizations.push(req.headers['proxy-authorization']);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400).end('absolute http URI expected');
      return;
    }
    requests.push(target.href);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    if (req.headers['proxy-authorization']) authorizations.push(req.headers['proxy-authorization']);
    const target = req.url ?? '';
    tunnels.push(target);
    const match = /^([^:]+|\[[^\]]+\]):(\d+)$/.exec(target);
    if (!match) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const index = clientBytes.push(head) - 1;
    const upstream = connect(Number(match[2]), match[1].replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      client.on('data', (chunk: Buffer) => {
        if (clientBytes[index].length < 4096) clientBytes[index] = Buffer.concat([clientBytes[index], chunk]);
      });
      client.pipe(upstream).pipe(client);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    requests,
    authorizations,
    clientBytes,
    count: () => tunnels.length + requests.length,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
