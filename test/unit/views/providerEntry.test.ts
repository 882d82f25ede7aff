import assert from 'node:assert/strict';
import { clientIdProblem, idProblem, labelProblem, suggestId, suggestLabel, takenIds } from '../../../src/commands/providerEntry';

describe('Add Identity Provider: answers and defaults', () => {
  it('proposes the issuer host as the label', () => {
    assert.equal(suggestLabel('https://login.acme.test/realms/dev'), 'login.acme.test');
    assert.equal(suggestLabel('http://127.0.0.1:8080/issuer'), '127.0.0.1:8080');
  });

  it('derives an id from the label that the providers setting accepts', () => {
    assert.equal(suggestId('Acme SSO', new Set()), 'acme-sso');
    assert.equal(suggestId('Ünïcode Ídentity', new Set()), 'unicode-identity');
    assert.equal(suggestId('127.0.0.1:8080', new Set()), '127.0.0.1-8080');
    assert.equal(suggestId('  --  ', new Set()), 'provider');
    const long = suggestId('x'.repeat(200), new Set());
    assert.equal(idProblem(long, new Set()), undefined);
  });

  it('numbers the id when the label is taken, whatever its case', () => {
    assert.equal(suggestId('Acme SSO', new Set(['acme-sso'])), 'acme-sso-2');
    assert.equal(suggestId('Acme SSO', new Set(['acme-sso', 'acme-sso-2'])), 'acme-sso-3');
  });

  it('refuses an id another entry already uses, ignoring case, and malformed ids', () => {
    const taken = takenIds([{ id: 'Corp' }], [{ id: 'acme' }]);
    assert.match(idProblem('corp', taken)!, /already uses the id "corp"/);
    assert.match(idProblem('-bad', taken)!, /letters, digits/);
    assert.match(idProblem('has space', taken)!, /letters, digits/);
    assert.equal(idProblem('fresh.id_2', taken), undefined);
  });

  it('collects ids from user and workspace values, skipping broken entries', () => {
    assert.deepEqual([...takenIds([{ id: 'A' }, null, 5, { id: 7 }, { id: ' ' }], undefined, 'not a list', [{ id: 'b' }])], ['a', 'b']);
  });

  it('requires a client id and a label', () => {
    assert.ok(clientIdProblem('  '));
    assert.equal(clientIdProblem('vscode'), undefined);
    assert.ok(labelProblem(''));
    assert.equal(labelProblem('Acme'), undefined);
  });
});
