// Localization the VS Code way: every string the manifest contributes comes from package.nls.json,
// and l10n/bundle.l10n.json lists every string the code translates (`npm run l10n` rewrites it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../support/tempDirs.mjs';

const root = join(__dirname, '..', '..');
const read = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as Record<string, unknown>;

describe('localization', () => {
  it('the English bundle in l10n/ is what the code translates today', function () {
    this.timeout(60_000);
    const dir = makeTempDir('sk-l10n-');
    try {
      const cli = join(root, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js');
      execFileSync(process.execPath, [cli, 'export', '--outDir', dir, join(root, 'src')], { stdio: 'ignore' });
      assert.deepEqual(
        JSON.parse(readFileSync(join(dir, 'bundle.l10n.json'), 'utf8')),
        read('l10n/bundle.l10n.json'),
        'run `npm run l10n`',
      );
    } finally {
      removeTempDir(dir);
    }
  });

  it('the manifest names every user-visible string through package.nls.json', () => {
    const manifest = readFileSync(join(root, 'package.json'), 'utf8');
    const nls = read('package.nls.json');
    const used = [...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
    assert.ok(used.length > 20);
    for (const key of used) assert.equal(typeof nls[key], 'string', `package.nls.json has no "${key}"`);
    const pkg = read('package.json') as { contributes: { commands: Array<{ title: string; category: string }> }; l10n: string };
    for (const c of pkg.contributes.commands) assert.match(`${c.title} ${c.category}`, /^%[^%]+% %[^%]+%$/);
    assert.equal(pkg.l10n, './l10n');
  });
});
