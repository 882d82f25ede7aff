// Ports for tests: one that was free a moment ago, for a server that is not there or starts later.
// See net.d.mts for the API.
import { createServer } from 'node:net';

/** A port on 127.0.0.1 that nothing listens on now (the probe server is closed before it returns). */
export async function freePort() {
  const server = createServer();
  await new Promise((res, rej) => server.once('error', rej).listen(0, '127.0.0.1', () => res(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((res) => server.close(res));
  return port;
}
