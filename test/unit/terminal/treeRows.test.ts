import assert from 'node:assert/strict';
import type { AccountAccess } from '../../../src/terminal/consent';
import { buildTree, nodeId } from '../../../src/views/treeModel';
import { NOW, formatTime, provider } from '../views/fixtures';

const alice = nodeId('acme', 'alice-sub');

function rows(access: AccountAccess | undefined) {
  const tree = buildTree([provider()], NOW, {
    formatTime,
    terminalAccess: (providerId) => new Map(providerId === 'acme' && access ? [['alice-sub', access]] : []),
  });
  return tree.nodes
    .get(alice)!
    .children.map((id) => tree.nodes.get(id)!)
    .filter((n) => n.kind === 'terminal');
}

describe('accounts tree: terminal tools', () => {
  it('lists which tools asked for the account, in what format, whether allowed, and when they last did', () => {
    const [kubectl, curl] = rows({
      decision: 'allowed',
      decidedAt: NOW - 60_000,
      uses: [
        { tool: 'kubectl', format: 'kubectl', lastUsedAt: NOW - 1000, outcome: 'served' },
        { tool: 'curl', format: 'header', lastUsedAt: NOW - 5000, outcome: 'served' },
      ],
    });
    assert.equal(kubectl.label, 'Terminal: kubectl (kubectl)');
    assert.equal(kubectl.description, `allowed · last used ${formatTime(NOW - 1000)}`);
    assert.equal(kubectl.contextValue, 'terminal.allowed');
    assert.deepEqual([kubectl.providerId, kubectl.accountId], ['acme', 'alice-sub'], 'the revoke command acts on the account');
    assert.equal(curl.label, 'Terminal: curl (header)');
    assert.notEqual(kubectl.id, curl.id);
  });

  it('marks denied and undecided (or revoked) access so the menu offers Allow or Revoke', () => {
    const use = { tool: 'git', format: 'git', lastUsedAt: NOW, outcome: 'notAllowed' } as const;
    assert.equal(rows({ decision: 'denied', decidedAt: NOW, uses: [use] })[0].contextValue, 'terminal.denied');
    const revoked = rows({ uses: [use] })[0];
    assert.equal(revoked.contextValue, 'terminal.ask');
    assert.match(revoked.description ?? '', /^asks first/);
  });

  it('shows a single row for an account allowed before any tool asked, and none without a record', () => {
    const [only] = rows({ decision: 'allowed', decidedAt: NOW, uses: [] });
    assert.equal(only.label, 'Terminal access');
    assert.equal(only.description, 'allowed');
    assert.deepEqual(rows(undefined), []);
  });
});
