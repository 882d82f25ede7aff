import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { callerInfo, commandLine } from '../../../src/terminal/cli';
import {
  EXPIRED_KEPT_MS,
  GRANT_LIFETIME_MS,
  MAX_GRANTS_PER_ACCOUNT,
  TerminalAccess,
  grantId,
  scopeOf,
  type Scope,
} from '../../../src/terminal/consent';
import { FolderSecrets, isInside, type TerminalFolder } from '../../../src/terminal/folders';
import { MemoryMemento } from '../../support/fakes';

const A: TerminalFolder = { uri: 'file:///work/webapp', name: 'webapp', path: '/work/webapp' };
const B: TerminalFolder = { uri: 'file:///work/clone', name: 'clone', path: '/work/clone' };
const T0 = Date.UTC(2026, 0, 1, 8);

describe('terminal consent: scopes', () => {
  it("is the terminal's folder from inside it, else exactly the directory, still tied to the terminal's folder", () => {
    assert.deepEqual(scopeOf(A, '/work/webapp/src/x', 'linux'), { folder: A.uri, folderName: 'webapp', folderPath: '/work/webapp' });
    assert.deepEqual(scopeOf(A, '/tmp/clone', 'linux'), {
      folder: A.uri,
      folderName: 'webapp',
      folderPath: '/work/webapp',
      dir: '/tmp/clone',
    });
    assert.deepEqual(scopeOf(undefined, '/work/webapp', 'linux'), { folder: '', dir: '/work/webapp' });
    // Each scope is a grant of its own.
    const dirs = ['/work/webapp', '/work/webapp/src', '/work/clone', '/tmp'];
    const ids = new Set([A, B, undefined].flatMap((f) => dirs.map((d) => grantId(scopeOf(f, d, 'linux')))));
    assert.equal(ids.size, 3 * 4 - 1, 'the two directories inside webapp share its scope; every other pair is a scope of its own');
  });

  it('tells inside from outside by path segments, and on Windows ignores case', () => {
    assert.equal(isInside('/work/webapp', '/work/webapp', 'linux'), true);
    assert.equal(isInside('/work/webapp/..foo', '/work/webapp', 'linux'), true, 'a child named "..foo"');
    assert.equal(isInside('/work/webapp-old', '/work/webapp', 'linux'), false);
    assert.equal(isInside('/work', '/work/webapp', 'linux'), false);
    assert.equal(isInside('/work/webapp/../clone', '/work/webapp', 'linux'), false);
    assert.equal(isInside('/Work/WebApp', '/work/webapp', 'linux'), false);
    assert.equal(isInside('C:\\Work\\WebApp\\src', 'c:\\work\\webapp', 'win32'), true);
    assert.equal(isInside('D:\\work\\webapp', 'C:\\work\\webapp', 'win32'), false);
  });
});

describe('terminal consent: folder secrets', () => {
  it('gives each folder its own secret, keeps it while the folder stays, and forgets removed folders', () => {
    const secrets = new FolderSecrets();
    secrets.update([A, B]);
    const a = secrets.secretOf(A.uri)!;
    const b = secrets.secretOf(B.uri)!;
    assert.ok(a.length >= 43 && b.length >= 43 && a !== b);
    assert.equal(secrets.folderOf(a), A);
    assert.equal(secrets.folderOf(b), B);
    assert.equal(secrets.folderOf(`${a}x`), undefined);
    secrets.update([B, A]);
    assert.equal(secrets.secretOf(A.uri), a, 'the terminals already open keep working');
    secrets.update([B]);
    assert.equal(secrets.folderOf(a), undefined);
    secrets.update([A]);
    assert.notEqual(secrets.secretOf(A.uri), a, 'a folder added again gets a new secret');
  });
});

describe('terminal consent: grants', () => {
  const webapp = scopeOf(A, A.path);
  const program = { tool: 'kubectl', command: 'kubectl get pods', cwd: '/work/webapp' };

  it('keeps grants per account and scope in globalState, read again by every window', async () => {
    const memento = new MemoryMemento();
    const access = new TerminalAccess(memento, 'k');
    const outside: Scope = scopeOf(A, '/tmp/x');
    await access.decide('acme', 'alice-sub', webapp, 'allowed', program, T0);
    await access.decide('acme', 'alice-sub', outside, 'denied', undefined, T0 + 1);
    const again = new TerminalAccess(memento, 'k');
    assert.equal(again.lookup('acme', 'alice-sub', webapp, T0 + 5)?.decision, 'allowed');
    assert.equal(again.lookup('acme', 'alice-sub', outside, T0 + 5)?.decision, 'denied');
    assert.equal(again.lookup('acme', 'bob-sub', webapp, T0 + 5), undefined, 'another account is asked for itself');
    assert.equal(again.lookup('acme', 'alice-sub', scopeOf(B, B.path), T0 + 5), undefined);
    assert.deepEqual(
      again
        .grants('acme')
        .get('alice-sub')
        ?.map((g) => [g.dir ?? g.folderName, g.decision]),
      [
        ['/tmp/x', 'denied'],
        ['webapp', 'allowed'],
      ],
      'most recent first',
    );
    assert.equal(again.lookup('acme', 'alice-sub', webapp, T0 + GRANT_LIFETIME_MS), undefined, 'expired');
    assert.ok(!JSON.stringify(memento.get('k')).includes('"alice"'), 'no account labels are stored');
  });

  it('records the last use, forgets a revoked grant, and an expired one a day after it expired', async () => {
    const memento = new MemoryMemento();
    const access = new TerminalAccess(memento, 'k');
    const grant = await access.decide('acme', 'alice-sub', webapp, 'allowed', program, T0);
    await access.recordUse('acme', 'alice-sub', grant.id, { at: T0 + 10, outcome: 'served', tool: 'kubectl', format: 'kubectl' });
    assert.deepEqual(access.get('acme', 'alice-sub', grant.id)?.lastUse, {
      at: T0 + 10,
      outcome: 'served',
      tool: 'kubectl',
      format: 'kubectl',
    });
    assert.equal((await access.revoke('acme', 'alice-sub', grant.id, T0 + 20))?.id, grant.id);
    assert.equal(access.lookup('acme', 'alice-sub', webapp, T0 + 21), undefined);
    assert.equal(await access.revoke('acme', 'alice-sub', grant.id, T0 + 22), undefined);

    await access.decide('acme', 'alice-sub', webapp, 'allowed', program, T0);
    const later = T0 + GRANT_LIFETIME_MS + EXPIRED_KEPT_MS;
    await access.decide('acme', 'alice-sub', scopeOf(B, B.path), 'allowed', program, later);
    assert.deepEqual(
      access
        .grants('acme')
        .get('alice-sub')
        ?.map((g) => g.folderName),
      ['clone'],
    );
  });

  it(`keeps at most ${MAX_GRANTS_PER_ACCOUNT} grants per account, dropping the oldest`, async () => {
    const access = new TerminalAccess(new MemoryMemento(), 'k');
    for (let i = 0; i <= MAX_GRANTS_PER_ACCOUNT; i++)
      await access.decide('acme', 'alice-sub', scopeOf(A, `/tmp/${i}`), 'allowed', undefined, T0 + i);
    const grants = access.grants('acme').get('alice-sub')!;
    assert.equal(grants.length, MAX_GRANTS_PER_ACCOUNT);
    assert.equal(access.lookup('acme', 'alice-sub', scopeOf(A, '/tmp/0'), T0 + 100), undefined);
  });

  it('grants nothing from an earlier version (allowed forever) or from a damaged or altered record', async () => {
    const memento = new MemoryMemento();
    const access = new TerminalAccess(memento, 'k');
    await memento.update('k', { v: 1, providers: { acme: { 'alice-sub': { decision: 'allowed', decidedAt: 1, uses: [] } } } });
    assert.equal(access.lookup('acme', 'alice-sub', webapp, T0), undefined);
    const good = await access.decide('acme', 'alice-sub', webapp, 'allowed', program, T0);
    const stored = memento.get<{ v: 2; providers: { acme: Record<string, object[]> } }>('k')!;
    const tamper = async (over: object) => {
      await memento.update('k', { v: 2, providers: { acme: { 'alice-sub': [{ ...good, ...over }] } } });
      return access.lookup('acme', 'alice-sub', webapp, T0 + 1);
    };
    assert.ok(await tamper({}), 'the record as written grants');
    assert.equal(await tamper({ expiresAt: T0 + 10 * GRANT_LIFETIME_MS }), undefined, 'a longer lifetime than any Allow gives');
    assert.equal(await tamper({ id: grantId(scopeOf(B, B.path)) }), undefined, 'an id that is not its scope');
    assert.equal(await tamper({ decision: 'maybe' }), undefined);
    assert.equal(await tamper({ program: { tool: 42 } }), undefined);
    assert.ok(stored.v === 2);
  });

  it('asks one question per account and scope at a time', () => {
    const access = new TerminalAccess(new MemoryMemento(), 'k');
    assert.equal(access.beginAsking('acme', 'alice-sub', webapp), true);
    assert.equal(access.beginAsking('acme', 'alice-sub', webapp), false);
    assert.equal(access.beginAsking('acme', 'alice-sub', scopeOf(B, B.path)), true, 'another folder is its own question');
    access.endAsking('acme', 'alice-sub', webapp);
    assert.equal(access.beginAsking('acme', 'alice-sub', webapp), true);
  });
});

describe('what the command tells of its caller', () => {
  it('quotes a command line as a shell would read it back, and bounds it', () => {
    assert.equal(commandLine(['kubectl', 'get', 'pods', '-n', 'web']), 'kubectl get pods -n web');
    assert.equal(commandLine(['sh', '-c', "session-keeper --tool 'kubectl'"]), `sh -c 'session-keeper --tool '\\''kubectl'\\'''`);
    assert.ok(commandLine(['x'.repeat(5000)]).length <= 1024);
  });

  it("reads the caller's command line and working directory on Linux", function () {
    if (process.platform !== 'linux') return this.skip(); // only Linux has /proc/<pid>/cmdline
    // A child reports what it reads of its parent: this test process.
    const probe = `const { callerInfo } = require(${JSON.stringify(require.resolve('../../../src/terminal/cli'))}); console.log(JSON.stringify(callerInfo()))`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const seen = JSON.parse(run.stdout) as { command: string; cwd: string };
    assert.equal(seen.cwd, realpathSync(process.cwd()));
    assert.ok(seen.command.includes('mocha'), seen.command);
    assert.deepEqual(callerInfo(2 ** 30), {}, 'no such process: nothing');
  });
});
