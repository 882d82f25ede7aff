// `npm run test:unit [-- files… flags…]` (and test:protocol): mocha with the layer's config, on the
// files given, or on every test of the layer when none is. A config `spec` would be added to the
// files given (mocha recombines them), so the configs hold none and the default lives here.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';

const require = createRequire(import.meta.url);
const layers = ['unit', 'protocol'];

const [layer, ...args] = process.argv.slice(2);
if (!layers.includes(layer)) {
  console.error(`usage: node scripts/mocha-layer.mjs <${layers.join('|')}> [files…] [mocha flags…]`);
  process.exit(2);
}
const config = `test/${layer}/.mocharc.json`;

// Mocha's own parser tells the files from the flags' values (`--grep store` names no file).
const { loadOptions } = require('mocha/lib/cli/options.cjs');
const files = loadOptions(['--config', config, ...args])._ ?? [];
const specs = files.length > 0 ? [] : [`test/${layer}/**/*.test.ts`];

const child = spawn(process.execPath, [require.resolve('mocha/bin/mocha.js'), '--config', config, ...args, ...specs], {
  stdio: 'inherit',
});

// Ctrl+C reaches mocha too; stay until it has cleaned up, so the exit code is the layer's.
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (e) => {
  console.error(`could not start mocha: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
