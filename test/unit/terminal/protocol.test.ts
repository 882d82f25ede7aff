import assert from 'node:assert/strict';
import { parseArgs, toolName } from '../../../src/terminal/cli';
import { EXIT_CODES, MAX_REQUEST_BYTES, exitCodeFor, parseRequest, parseResponse, secretMatches } from '../../../src/terminal/protocol';

const valid = {
  v: 2,
  secret: 's3cret',
  provider: 'acme',
  scopes: ['api'],
  format: 'header',
  tool: 'curl',
  cwd: '/work/webapp',
  caller: {},
};
const line = (o: unknown) => JSON.stringify(o);

describe('terminal requests', () => {
  it('accepts a valid request and fills defaults', () => {
    const r = parseRequest(line({ v: 2, secret: 'x', provider: 'acme', format: 'bare', cwd: '/home/me' }));
    assert.ok(r.ok);
    assert.deepEqual(r.value, {
      v: 2,
      secret: 'x',
      provider: 'acme',
      scopes: [],
      format: 'bare',
      tool: 'shell',
      cwd: '/home/me',
      caller: {},
    });
    const inFolder = parseRequest(
      line({ ...valid, folderSecret: 'f', caller: { command: 'make deploy', cwd: 'C:\\work', extra: 1 }, cwd: 'C:\\work\\x' }),
    );
    assert.ok(inFolder.ok);
    assert.equal(inFolder.value.folderSecret, 'f');
    assert.deepEqual(inFolder.value.caller, { command: 'make deploy', cwd: 'C:\\work' });
    const full = parseRequest(line({ ...valid, account: 'alice', scopes: ['api', 'api'] }));
    assert.ok(full.ok);
    assert.deepEqual(full.value.scopes, ['api']);
    assert.equal(full.value.account, 'alice');
  });

  it('refuses bad JSON, non-objects, oversized lines, unknown formats and bad fields', () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      ['[1,2]', /not a JSON object/],
      ['null', /not a JSON object/],
      [line({ ...valid, v: 3 }), /version/],
      [line({ ...valid, format: 'yaml' }), /Unknown output format/],
      [line({ ...valid, provider: '../etc' }), /provider/],
      [line({ ...valid, scopes: 'api' }), /scopes/],
      [line({ ...valid, scopes: ['a b'] }), /scopes/],
      [line({ ...valid, account: '' }), /account/],
      [line({ ...valid, tool: 'rm -rf' }), /tool/],
      [line({ ...valid, v: 1 }), /version/],
      [line({ ...valid, cwd: undefined }), /working directory/],
      [line({ ...valid, cwd: 'relative/dir' }), /working directory/],
      [line({ ...valid, cwd: '/a\0b' }), /working directory/],
      [line({ ...valid, folderSecret: '' }), /folder secret/],
      [line({ ...valid, folderSecret: 7 }), /folder secret/],
      [line({ ...valid, caller: 'bash' }), /caller/],
      [line({ ...valid, caller: { command: 'x'.repeat(1025) } }), /command line/],
      [line({ ...valid, caller: { cwd: 'not/absolute' } }), /caller's working directory/],
      [line({ ...valid, pad: 'x'.repeat(MAX_REQUEST_BYTES) }), /larger than/],
    ];
    for (const [input, message] of cases) {
      const r = parseRequest(input as string);
      assert.ok(!r.ok, `accepted ${String(input).slice(0, 60)}`);
      assert.equal(r.code, 'badRequest');
      assert.match(r.message, message);
    }
  });

  it('refuses a request without a secret as forbidden', () => {
    for (const secret of [undefined, '', 42]) {
      const r = parseRequest(line({ ...valid, secret }));
      assert.ok(!r.ok);
      assert.equal(r.code, 'forbidden');
    }
  });

  it('compares secrets in constant time, whatever their length', () => {
    assert.equal(secretMatches('abc', 'abc'), true);
    assert.equal(secretMatches('abc', 'abd'), false);
    assert.equal(secretMatches('abc', 'abcd'), false);
    assert.equal(secretMatches('abc', undefined), false);
    assert.equal(secretMatches('', ''), false, 'an empty expected secret never matches');
  });

  it('reads answers, and turns anything unexpected into a failure', () => {
    assert.deepEqual(parseResponse(line({ ok: true, token: 't', account: 'alice', expiresAt: 5 })), {
      ok: true,
      token: 't',
      account: 'alice',
      expiresAt: 5,
    });
    assert.deepEqual(parseResponse(line({ ok: false, code: 'offline', message: 'm' })), { ok: false, code: 'offline', message: 'm' });
    assert.equal(parseResponse(line({ ok: false, code: 'weird', message: 'm' })).ok, false);
    assert.deepEqual(parseResponse('garbage'), {
      ok: false,
      code: 'failed',
      message: 'VS Code sent an answer this command does not understand.',
    });
    assert.equal(parseResponse(line({ ok: true, token: '', account: 'a' })).ok, false);
  });

  it('maps every failure to its documented exit code', () => {
    assert.equal(exitCodeFor('consentRequired'), EXIT_CODES.notAllowed);
    assert.equal(exitCodeFor('denied'), EXIT_CODES.notAllowed);
    assert.equal(exitCodeFor('notSignedIn'), EXIT_CODES.notSignedIn);
    assert.equal(exitCodeFor('offline'), EXIT_CODES.offline);
    assert.equal(exitCodeFor('forbidden'), EXIT_CODES.refused);
    assert.equal(exitCodeFor('badRequest'), EXIT_CODES.refused);
    assert.equal(exitCodeFor('unknownProvider'), EXIT_CODES.usage);
    assert.equal(new Set(Object.values(EXIT_CODES)).size, Object.keys(EXIT_CODES).length, 'codes are distinct');
  });
});

describe('the session-keeper command line', () => {
  it("reads options, scopes and git's trailing operation", () => {
    const r = parseArgs(['-p', 'acme', '--account=alice', '-s', 'api read', '--scope', 'write', '-f', 'git', 'get']);
    assert.equal(r.kind, 'run');
    assert.deepEqual(r.kind === 'run' && r.options, {
      provider: 'acme',
      account: 'alice',
      scopes: ['api', 'read', 'write'],
      format: 'git',
      tool: undefined,
      gitOperation: 'get',
    });
    const bare = parseArgs(['--provider', 'acme']);
    assert.ok(bare.kind === 'run' && bare.options.format === 'bare' && bare.options.gitOperation === undefined);
  });

  it('refuses unknown options and formats, a missing provider and stray arguments', () => {
    for (const argv of [
      [],
      ['-p'],
      ['-p', 'acme', '-f', 'yaml'],
      ['-p', 'acme', '--bogus'],
      ['-p', 'acme', 'get'],
      ['-p', 'acme', '-f', 'git', 'get', 'x'],
    ]) {
      assert.equal(parseArgs(argv).kind, 'error', argv.join(' '));
    }
    assert.equal(parseArgs(['-p', 'acme', '--help']).kind, 'help');
  });

  it("names the caller: --tool, else the calling program unless it is a shell, else the format's tool", () => {
    const opts = (format: 'bare' | 'kubectl' | 'git', tool?: string) => ({ provider: 'acme', scopes: [], format, tool });
    assert.equal(toolName(opts('bare', 'terraform'), 'bash'), 'terraform');
    assert.equal(toolName(opts('kubectl'), 'kubectl'), 'kubectl');
    assert.equal(toolName(opts('git'), 'sh'), 'git');
    assert.equal(toolName(opts('bare'), 'zsh'), 'shell');
    assert.equal(toolName(opts('bare'), 'curl'), 'curl');
    assert.equal(toolName(opts('bare', 'bad name!'), undefined), 'shell');
  });
});
