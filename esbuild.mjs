// Bundles the extension into one minified CommonJS file for the Node extension host,
// and the in-editor test suites next to it (they run inside the same host).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = !watch;

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode'],
  logLevel: 'warning',
  // The extension host is shared: no dependency may patch Node's fs module or process-wide signal
  // handling there. graceful-fs (from proper-lockfile) patches fs.close; plain fs does all it needs.
  alias: { 'graceful-fs': 'fs', 'signal-exit': './src/shims/signal-exit.cjs' },
};

/**
 * undici is loaded on the first request (src/session/net/http.ts), so it is a file of its own:
 * code in the extension's bundle is read and compiled at every start, whether it runs or not.
 */
const undiciApart = {
  name: 'undici-apart',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: './undici.js', external: true }));
  },
};

/** re2js (patterns from settings, src/session/base/pattern.ts) too: only endpoint sessions with a pattern read it. */
const re2Apart = {
  name: 're2-apart',
  setup(build) {
    build.onResolve({ filter: /^re2js$/ }, () => ({ path: './re2js.js', external: true }));
  },
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    minify: production,
    sourcesContent: false,
    plugins: [undiciApart, re2Apart],
    // import('undici') becomes require('./undici.js'), resolved beside the bundle.
    supported: { 'dynamic-import': false },
  },
  { ...common, entryPoints: ['node_modules/undici/index.js'], outfile: 'dist/undici.js', minify: production, sourcesContent: false },
  { ...common, entryPoints: ['node_modules/re2js/build/index.cjs'], outfile: 'dist/re2js.js', minify: production, sourcesContent: false },
  // The terminal command: plain Node, run by the launcher on VS Code's own runtime (no vscode module).
  { ...common, entryPoints: ['src/terminal/cliMain.ts'], outfile: 'dist/cli.js', minify: production, sourcemap: false, external: [] },
];
// The in-host test suite is bundled separately so that mocha and test helpers never reach the package.
if (existsSync('test/vscode/suite/index.ts')) {
  builds.push({
    ...common,
    entryPoints: ['test/vscode/suite/index.ts'],
    outfile: 'out/test/vscode/suite/index.js',
    external: ['vscode', 'mocha'],
  });
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
