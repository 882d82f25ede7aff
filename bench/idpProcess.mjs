// The test IdP in its own process, so its work never runs on the event loop being measured.
// Speaks over the IPC channel: { id, op: 'login' | 'stats' | 'cpu' | 'close', ... } -> { id, result | error }.
import { startIdp } from '../test/idp/idp.mjs';

const options = JSON.parse(process.env.BENCH_IDP_OPTIONS ?? '{}');
const idp = await startIdp(options);

const ops = {
  login: (m) => idp.login(m.url, { login: m.login }),
  stats: () => idp.stats(),
  cpu: () => process.cpuUsage(),
  close: () => idp.close(),
};

process.on('message', async (/** @type {any} */ m) => {
  let reply;
  try {
    reply = { id: m.id, result: await ops[m.op](m) };
  } catch (err) {
    reply = { id: m.id, error: String(err?.message ?? err) };
  }
  // After 'close', exit once the answer is out.
  process.send(reply, () => m.op === 'close' && process.exit(0));
});
// An orphan must not outlive the benchmark that started it.
process.on('disconnect', () => idp.close().finally(() => process.exit(0)));
process.send({ ready: { issuer: idp.issuer } });
