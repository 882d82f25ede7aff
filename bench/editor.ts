// 8 and 9. What VS Code itself reports in a real window: code-server's extension host and web
// workbench driven by chromium, as the in-editor suite runs them (test/vscode/run.mjs), with only
// the sign-in and the printed measurements of suite/latency.test.ts selected. Five windows, one
// after another; each reports its own numbers and the rows give the medians.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { main, median, ratio, type Row } from './lib';

const WINDOWS = 5;
const root = join(__dirname, '..');
const GREP = 'signing in there as alice|Costs in the editor';

interface WindowReport {
  readonly keeperActivationMs: number;
  readonly githubActivationMs: number;
  readonly keeperLoadMs: number;
  readonly githubLoadMs: number;
  readonly keeperUs: number;
  readonly trivialUs: number;
}

/** One launcher run; its `@@measure` lines, or an error with the tail of its output. */
function runWindow(): Promise<WindowReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'test', 'vscode', 'run.mjs')], {
      cwd: root,
      env: { ...process.env, SK_TEST_GREP: GREP },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`test/vscode/run.mjs exited with ${code}`);
        resolve(parse(out));
      } catch (err) {
        reject(new Error(`${(err as Error).message}\n${out.slice(-3000)}`));
      }
    });
  });
}

function parse(out: string): WindowReport {
  const line = (name: string) => {
    const m = new RegExp(`^@@measure ${name} (.*)$`, 'm').exec(out);
    if (!m) throw new Error(`no "@@measure ${name}" line`);
    return JSON.parse(m[1]) as unknown;
  };
  const rows = line('running-extensions') as string[];
  const activation = (pattern: RegExp) => {
    const row = rows.find((r) => pattern.test(r));
    const m = row && /Activation: (\d+)\s*ms/.exec(row);
    if (!m) throw new Error(`no activation time for ${pattern} in ${JSON.stringify(rows)}`);
    return Number(m[1]);
  };
  const calls = line('getSession') as { keeperUs: number; trivialUs: number };
  const loading = line('code-loading') as { oursMs: number; theirsMs: number };
  return {
    // The display name is the manifest's %placeholder%, shown as the id where it is not resolved.
    keeperActivationMs: activation(/^(Session Keeper \d|session-keeper\.session-keeper )/),
    githubActivationMs: activation(/^GitHub Authentication /),
    keeperLoadMs: loading.oursMs,
    githubLoadMs: loading.theirsMs,
    keeperUs: calls.keeperUs,
    trivialUs: calls.trivialUs,
  };
}

export async function run(): Promise<Row[]> {
  const bundle = join(root, 'dist', 'extension.js');
  if (!existsSync(bundle) || !existsSync(join(root, 'out', 'test', 'vscode', 'suite', 'index.js')))
    throw new Error('run `npm run build` and `npm run pretest:vscode` first (dist/, out/, code-server)');
  const reports: WindowReport[] = [];
  for (let i = 0; i < WINDOWS; i++) reports.push(await runWindow());
  const pick = (f: (r: WindowReport) => number) => median(reports.map(f));
  const keeper = pick((r) => r.keeperActivationMs);
  const github = pick((r) => r.githubActivationMs);
  const keeperLoad = pick((r) => r.keeperLoadMs);
  const githubLoad = pick((r) => r.githubLoadMs);
  const keeperUs = pick((r) => r.keeperUs);
  const trivialUs = pick((r) => r.trivialUs);
  const each = (f: (r: WindowReport) => number) => reports.map(f).join(', ');
  return [
    {
      bench: '8. Startup in the editor',
      metric:
        `Activation as VS Code reports it (Running Extensions: code loading + the activate call to its first await), both activated at onStartupFinished in the same code-server window, median of ${WINDOWS} windows ` +
        `(Session Keeper ${each((r) => r.keeperActivationMs)} ms; GitHub Authentication ${each((r) => r.githubActivationMs)} ms); dist/extension.js ${Math.round(statSync(bundle).size / 1024)} KB, read + compile in row 6`,
      measured: `${keeper} ms`,
      baseline: `${github} ms`,
      ratio: ratio(keeper, github),
    },
    {
      bench: '8. Startup in the editor',
      metric: `Code loading like for like, in the same extension host once it has started: a fresh require of each bundle (a copy under a new name, the real vscode module), alternating, 20 each; median of the ${WINDOWS} windows' medians (Session Keeper ${each((r) => r.keeperLoadMs)} ms; GitHub Authentication ${each((r) => r.githubLoadMs)} ms)`,
      measured: `${keeperLoad.toFixed(1)} ms`,
      baseline: `${githubLoad.toFixed(1)} ms`,
      ratio: ratio(keeperLoad, githubLoad),
    },
    {
      bench: '9. getSession in the editor',
      metric: `vscode.authentication.getSession through Session Keeper vs a fixed-session provider registered in the same window, asked by the test consumer, per call; median of ${WINDOWS} windows (each the median of 6 blocks of 40 calls)`,
      measured: `${Math.round(keeperUs)} µs`,
      baseline: `${Math.round(trivialUs)} µs`,
      ratio: ratio(keeperUs, trivialUs),
    },
  ];
}

if (require.main === module) main(run);
