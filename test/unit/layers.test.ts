// The layer table of docs/ARCHITECTURE.md, held against the real ESLint config: from every source
// file, each kind of import is refused or allowed as its layer says, and notification text must go
// through plainText everywhere. A file that two config blocks restrict loses the earlier block's
// rules, which is what this catches.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';

const root = resolve(import.meta.dirname, '../..');
/** Either rule refuses an import; the config uses typescript-eslint's, which can allow `import type`. */
const RESTRICTED = ['no-restricted-imports', '@typescript-eslint/no-restricted-imports'];
const SYNTAX = 'no-restricted-syntax';

type Layer =
  | 'base'
  | 'net'
  | 'oauth kind'
  | 'endpoint kind'
  | 'engine'
  | 'pure view'
  | 'view'
  | 'pure editor'
  | 'editor'
  | 'terminal'
  | 'contributions'
  | 'wiring';

const PURE_VIEWS = [
  'src/views/countdown.ts',
  'src/views/healthText.ts',
  'src/views/statusText.ts',
  'src/views/treeModel.ts',
  'src/views/clock.ts',
  'src/views/duration.ts',
  'src/commands/providerEntry.ts',
];

function layerOf(file: string): Layer {
  if (file === 'src/extension.ts') return 'wiring';
  if (file === 'src/contributions.ts') return 'contributions';
  if (file.startsWith('src/session/base/')) return 'base';
  if (file.startsWith('src/session/net/')) return 'net';
  if (file.startsWith('src/session/kinds/oauth/')) return 'oauth kind';
  if (file.startsWith('src/session/kinds/endpoint/')) return 'endpoint kind';
  if (file.startsWith('src/session/')) return 'engine';
  if (PURE_VIEWS.includes(file)) return 'pure view';
  if (file.startsWith('src/views/') || file.startsWith('src/commands/')) return 'view';
  if (file === 'src/editor/notices.ts') return 'pure editor';
  if (file.startsWith('src/editor/')) return 'editor';
  if (file.startsWith('src/terminal/')) return 'terminal';
  throw new Error(`${file} is in no layer of docs/ARCHITECTURE.md`);
}

/** What an import probe names: a module of ours (a path under src/, without .ts) or `vscode`. */
interface Probe {
  readonly target: string;
  readonly typeOnly?: boolean;
  /** The layers that may import it; every other layer is refused. */
  readonly allowed: readonly Layer[];
}

const ALL: readonly Layer[] = [
  'base',
  'net',
  'oauth kind',
  'endpoint kind',
  'engine',
  'pure view',
  'view',
  'pure editor',
  'editor',
  'terminal',
  'contributions',
  'wiring',
];
const except = (...refused: Layer[]) => ALL.filter((l) => !refused.includes(l));
const PURE: Layer[] = ['base', 'net', 'oauth kind', 'endpoint kind', 'engine', 'pure view', 'pure editor', 'terminal', 'contributions'];

const PROBES: readonly Probe[] = [
  { target: 'vscode', allowed: except(...PURE) },
  { target: 'vscode', typeOnly: true, allowed: ALL },
  { target: 'src/session/base/errors', allowed: except('contributions') },
  { target: 'src/contributions', allowed: except('base', 'net', 'contributions') },
  { target: 'src/session/model', allowed: except('base', 'net', 'terminal', 'contributions') },
  { target: 'src/session/model', typeOnly: true, allowed: except('base', 'net', 'contributions') },
  { target: 'src/session/config', allowed: except('base', 'net', 'terminal', 'contributions') },
  { target: 'src/session/refresh/health', allowed: except('base', 'net', 'terminal', 'contributions') },
  ...['src/session/storage/store', 'src/session/engine', 'src/session/provider'].map((target): Probe => ({
    target,
    allowed: except('base', 'net', 'pure view', 'view', 'terminal', 'contributions'),
  })),
  { target: 'src/session/storage/store', typeOnly: true, allowed: except('base', 'net', 'pure view', 'view', 'contributions') },
  // A kind never imports another kind.
  ...['src/session/kinds/oauth/client', 'src/session/kinds/oauth/flows/index'].map((target): Probe => ({
    target,
    allowed: except('base', 'net', 'endpoint kind', 'pure view', 'view', 'terminal', 'contributions'),
  })),
  {
    target: 'src/session/kinds/endpoint/source',
    allowed: except('base', 'net', 'oauth kind', 'pure view', 'view', 'terminal', 'contributions'),
  },
  { target: 'src/session/net/http', allowed: except('base', 'pure view', 'view', 'terminal', 'contributions') },
  ...['src/views/treeModel', 'src/commands/actions'].map((target): Probe => ({ target, allowed: ['pure view', 'view', 'wiring'] })),
  { target: 'src/editor/notices', allowed: ['pure editor', 'editor', 'wiring'] },
  { target: 'src/terminal/consent', allowed: ['pure view', 'view', 'terminal', 'wiring'] },
  { target: 'src/extension', allowed: [] },
];

function specifier(from: string, target: string): string {
  if (target === 'vscode') return target;
  const path = relative(dirname(from), target).split('\\').join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

const sources = (readdirSync(join(root, 'src'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join('src', f).split('\\').join('/'))
  .sort();

describe('lint rules keep the layers apart', function () {
  // Loading ESLint and typescript-eslint's parser takes a few seconds on a slow machine.
  this.timeout(120_000);
  let eslint: ESLint;
  before(() => {
    eslint = new ESLint({
      cwd: root,
      // The layer rules need no type information; without it each probe takes milliseconds.
      overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
      ruleFilter: ({ ruleId }) => RESTRICTED.includes(ruleId) || ruleId === SYNTAX,
    });
  });

  async function problems(file: string, text: string): Promise<string[]> {
    const [result] = await eslint.lintText(text, { filePath: join(root, file) });
    const fatal = result.messages.filter((m) => m.fatal);
    assert.deepEqual(fatal, [], `${file}: the probe did not parse`);
    return result.messages.map((m) => m.ruleId ?? '');
  }

  it('knows every source file', () => {
    assert.ok(sources.length > 50, `found ${sources.length} source files`);
    for (const file of sources) layerOf(file);
  });

  it('refuses and allows each import as the file’s layer says', async () => {
    const wrong: string[] = [];
    for (const file of sources) {
      const layer = layerOf(file);
      for (const probe of PROBES) {
        if (probe.target !== 'vscode' && file === `${probe.target}.ts`) continue;
        const spec = specifier(file, probe.target);
        const text = probe.typeOnly
          ? `import type { X } from '${spec}';\nexport type { X };\n`
          : `import { X } from '${spec}';\nexport { X };\n`;
        const refused = (await problems(file, text)).some((id) => RESTRICTED.includes(id));
        const allowed = probe.allowed.includes(layer);
        if (refused === allowed) {
          wrong.push(`${file} (${layer}): ${probe.typeOnly ? 'import type' : 'import'} '${spec}' is ${refused ? 'refused' : 'allowed'}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('refuses notification text that does not go through plainText, in every source file', async () => {
    const missing: string[] = [];
    for (const file of sources) {
      const raw = await problems(file, "declare const w: { showErrorMessage(m: string): void };\nw.showErrorMessage('x');\n");
      const plain = await problems(
        file,
        "declare const w: { showErrorMessage(m: string): void };\ndeclare function plainText(t: string, s: string): string;\nw.showErrorMessage(plainText('x', 'notification'));\n",
      );
      if (!raw.includes(SYNTAX) || plain.includes(SYNTAX)) missing.push(file);
    }
    assert.deepEqual(missing, []);
  });
});
