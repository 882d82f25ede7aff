// 6. What every start pays before activate() runs: reading and compiling the extension's bundle,
// against the built-in github-authentication bundle of the code-server the in-editor suite uses.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { main, median, ms, now, ratio, type Row } from './lib';

const ROUNDS = 30;
const root = join(__dirname, '..');

function githubBundle(): string | undefined {
  const base = join(root, '.vscode-test');
  for (const dir of existsSync(base) ? readdirSync(base) : []) {
    const file = join(base, dir, 'node_modules/code-server/lib/vscode/extensions/github-authentication/dist/extension.js');
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Reads and compiles a file as the CommonJS loader would, without running it. */
function compile(file: string): number {
  const start = now();
  new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, { filename: file });
  return now() - start;
}

export async function run(): Promise<Row[]> {
  const ours = join(root, 'dist', 'extension.js');
  const theirs = githubBundle();
  if (!existsSync(ours) || !theirs)
    throw new Error('run `npm run build` and `npm run pretest:vscode` first (dist/extension.js, code-server)');
  const samples = { ours: [] as number[], theirs: [] as number[] };
  // Alternating; every compile is of a new source string, so nothing comes from V8's compile cache.
  for (let i = 0; i < ROUNDS; i++) {
    samples.ours.push(compile(ours));
    samples.theirs.push(compile(theirs));
  }
  const kb = (file: string) => `${Math.round(readFileSync(file).length / 1024)} KB`;
  return [
    {
      bench: '6. Bundle',
      metric: `dist/extension.js vs github-authentication's bundle: size; read + compile, median of ${ROUNDS}`,
      measured: `${kb(ours)}; ${ms(median(samples.ours))}`,
      baseline: `${kb(theirs)}; ${ms(median(samples.theirs))}`,
      ratio: ratio(median(samples.ours), median(samples.theirs)),
    },
  ];
}

if (require.main === module) main(run);
