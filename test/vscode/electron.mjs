// The in-editor suite in desktop VS Code, for machines with internet (@vscode/test-electron
// downloads VS Code). There is no browser driver here: the suite's UI helpers use workbench commands
// instead, and the test IdP logs alice in by itself (autoLogin), so the page VS Code opens in the
// system browser needs no clicks.
//   npm run build && node test/vscode/electron.mjs
import { runTests } from '@vscode/test-electron';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startIdp } from '../idp/idp.mjs';
import { makeTempDir, onInterrupt, removeTempDir } from '../support/tempDirs.mjs';
import { prepareProfile, readPhase, root, startEndpointService, suiteEnv, suitePath } from './fixture.mjs';

// Removed on every way out (SK_TEST_KEEP=1 keeps it); a failed run's logs go to .test-artifacts.
const dir = makeTempDir('sk-electron-');
const idp = await startIdp({ autoLogin: 'alice' });
const service = await startEndpointService();
onInterrupt(() => Promise.all([idp.close(), service.close()]));
const profile = prepareProfile({ dir, issuer: idp.issuer, endpointService: service.url });
let passed = 0;
let failed = 0;

// Test output arrives as `@@out <line>`, a phase's counts as `@@result {...}` (see suite/ui.ts).
let partial = '';
const output = new Writable({
  write(chunk, _encoding, done) {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const result = /^@@result (.*)$/.exec(line);
      if (result) {
        const counts = JSON.parse(result[1]);
        passed += counts.passes;
        failed += counts.failures;
      } else {
        console.log(line.replace(/^@@out ?/, ''));
      }
    }
    done();
  },
});

let ok = true;
try {
  // Each phase is one launch on the same user-data dir; the second launch is the "reload".
  // A phase that passed has written the next phase's number (suite/index.ts).
  let ran = 0;
  while (readPhase(dir) > ran) {
    ran = readPhase(dir);
    console.log(`\n— phase ${ran}`);
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: suitePath,
      extensionTestsEnv: suiteEnv({ dir, issuer: idp.issuer, ui: 'commands', serviceControl: service.controlUrl }),
      launchArgs: [
        profile.workspaceDir,
        `--user-data-dir=${profile.userDataDir}`,
        `--extensions-dir=${profile.extensionsDir}`,
        '--password-store=basic', // secrets survive between launches without a desktop keyring
      ],
      stdout: output,
    });
  }
} catch (e) {
  ok = false;
  console.error(e.message);
} finally {
  await idp.close();
  await service.close();
}
ok &&= failed === 0 && passed > 0;
if (!ok && existsSync(join(profile.userDataDir, 'logs'))) {
  const logs = join(root, '.test-artifacts', 'vscode-desktop', 'logs');
  rmSync(logs, { recursive: true, force: true });
  cpSync(join(profile.userDataDir, 'logs'), logs, { recursive: true });
  console.log(`logs: ${logs}`);
}
removeTempDir(dir);
console.log(`vscode (desktop): ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
