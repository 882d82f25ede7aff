// `npm run test:unit -- <file>` runs that file and only it; with no file, the whole layer (listed with
// --dry-run, so this file never runs the layer it belongs to).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeTempDir } from '../support/tempDirs.mjs';

const root = resolve(import.meta.dirname, '../..');

interface Run {
  readonly status: number;
  readonly files: readonly string[];
  readonly titles: readonly string[];
}

/** `node scripts/mocha-layer.mjs <args>` with the JSON reporter: the exit code, and the test files and titles it took. */
async function layer(...args: string[]): Promise<Run> {
  const out = await promisify(execFile)(process.execPath, ['scripts/mocha-layer.mjs', ...args, '--reporter', 'json'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ status: 0, stdout }),
    (e: { code?: unknown; stdout?: string }) => ({ status: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' }),
  );
  const report = JSON.parse(out.stdout) as { tests: { file: string; fullTitle: string }[] };
  return {
    status: out.status,
    files: [...new Set(report.tests.map((t) => relative(root, t.file)))].sort(),
    titles: report.tests.map((t) => t.fullTitle),
  };
}

const unitFiles = (readdirSync(join(root, 'test/unit'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test/unit', f))
  .sort();

describe('running one test file', function () {
  // Each case starts mocha and tsx in a new process.
  this.timeout(120_000);

  it('runs only the file given after --', async () => {
    const run = await layer('unit', 'test/unit/scopes.test.ts', '--dry-run');
    assert.equal(run.status, 0);
    assert.deepEqual(run.files, ['test/unit/scopes.test.ts']);
  });

  it('runs every file of the layer when none is given', async () => {
    const run = await layer('unit', '--dry-run');
    assert.equal(run.status, 0);
    assert.deepEqual(run.files, unitFiles);
  });

  it("does not take a flag's value for a file", async () => {
    const run = await layer('unit', '--dry-run', '--grep', 'treats scope lists as sets');
    assert.equal(run.status, 0);
    assert.deepEqual(run.titles, ['scope matching treats scope lists as sets: order and duplicates do not matter']);
  });

  it("ends with mocha's exit code", async () => {
    const dir = makeTempDir('sk-loop-');
    try {
      const file = join(dir, 'fails.test.ts');
      writeFileSync(
        file,
        "import assert from 'node:assert/strict';\nit('one', () => assert.fail('1'));\nit('two', () => assert.fail('2'));\n",
      );
      const run = await layer('unit', file);
      assert.equal(run.status, 2, 'two failing tests');
      assert.deepEqual(run.titles, ['one', 'two']);
    } finally {
      removeTempDir(dir);
    }
  });
});
