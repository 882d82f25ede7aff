// Where names shown in VS Code are made from foreign text: an issuer's claims, the name typed for an
// endpoint account, a provider's label in the settings. Each is cleaned there, once.
import assert from 'node:assert/strict';
import { parseProviders } from '../../src/session/config';
import { accountFromClaims } from '../../src/session/kinds/oauth/flows/contract';
import { accountNameProblem } from '../../src/session/kinds/endpoint/paste';
import { CONTROL_CHARS, MAX_LABEL } from '../../src/session/base/plainText';

describe('account labels from claims', () => {
  it('a preferred_username with a link, a line break, ANSI and bidi codes becomes one clean line', () => {
    const account = accountFromClaims({
      sub: 'mallory-sub',
      preferred_username: '\u202e[Open](command:workbench.action.quit)\n\u001b[31m2026-01-01 [info] admin\u001b[0m\t ',
    });
    assert.deepEqual(account, { id: 'mallory-sub', label: '[Open](command:workbench.action.quit) 2026-01-01 [info] admin' });
    assert.ok(!CONTROL_CHARS.test(account.label));
  });

  it('is bounded', () => {
    const { label } = accountFromClaims({ sub: 's', email: `${'m'.repeat(300)}@example.com` });
    assert.equal([...label].length, MAX_LABEL);
  });

  it('a claim that is nothing but control characters gives way to the next one', () => {
    assert.equal(
      accountFromClaims({ sub: 's', preferred_username: '\u202e\u0000\n', email: 'mallory@example.com' }).label,
      'mallory@example.com',
    );
    assert.equal(accountFromClaims({ sub: 'sub\u2066-1', name: ' \u200f ' }).label, 'sub -1');
  });

  it('keeps an ordinary name as it is', () => {
    assert.deepEqual(accountFromClaims({ sub: 'a', preferred_username: 'alice', email: 'alice@example.com' }), { id: 'a', label: 'alice' });
  });
});

describe('the name typed for an endpoint account', () => {
  it('is refused with a bidi override or a line break in it', () => {
    for (const name of ['dana\u202eexe.txt', 'dana\u2066x', 'da\nna', 'da\u0085na'])
      assert.ok(accountNameProblem(name), JSON.stringify(name));
    assert.equal(accountNameProblem('  dana  '), undefined);
  });
});

describe('provider labels from the settings', () => {
  it('are cleaned like account labels, and an empty one falls back to the id', () => {
    const { providers } = parseProviders([
      { id: 'corp', label: ' Corp\u202e\n SSO ', issuer: 'https://login.example.com', clientId: 'vscode' },
      { id: 'blank', label: '\u0000\u202e', issuer: 'https://login.example.com', clientId: 'vscode' },
    ]);
    assert.deepEqual(
      providers.map((p) => p.label),
      ['Corp SSO', 'blank'],
    );
  });
});
