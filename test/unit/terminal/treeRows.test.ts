import assert from 'node:assert/strict';
import { GRANT_LIFETIME_MS, grantId, type Grant, type Scope } from '../../../src/terminal/consent';
import { buildTree, nextChangeAt, nodeId } from '../../../src/views/treeModel';
import { NOW, formatTime, provider } from '../views/fixtures';

const alice = nodeId('acme', 'alice-sub');
const webapp: Scope = { folder: 'file:///work/webapp', folderName: 'webapp', folderPath: '/work/webapp' };

function grant(scope: Scope, over: Partial<Grant> = {}): Grant {
  return {
    id: grantId(scope),
    ...scope,
    decision: 'allowed',
    decidedAt: NOW - 60_000,
    expiresAt: NOW - 60_000 + GRANT_LIFETIME_MS,
    program: { tool: 'kubectl', command: 'kubectl get pods', cwd: '/work/webapp/k8s' },
    ...over,
  };
}

function tree(grants: readonly Grant[], now = NOW) {
  return buildTree([provider()], now, {
    formatTime,
    terminalAccess: (providerId) => new Map(providerId === 'acme' ? [['alice-sub', grants]] : []),
  });
}

function rows(grants: readonly Grant[], now = NOW) {
  const t = tree(grants, now);
  return t.nodes
    .get(alice)!
    .children.map((id) => t.nodes.get(id)!)
    .filter((n) => n.kind === 'terminal');
}

const field = (row: ReturnType<typeof rows>[number], label: string) => row.tooltip?.fields.find((f) => f.label === label)?.value;

describe('accounts tree: terminal grants', () => {
  it('lists each grant under its account: the folder, until when, and the program that asked', () => {
    const outside = grant({ ...webapp, dir: '/tmp/cloned' }, { decidedAt: NOW - 120_000, program: { tool: 'shell' } });
    const [folder, dir] = rows([grant(webapp), outside]);
    assert.equal(folder.label, 'Terminal: webapp');
    assert.equal(folder.description, `allowed until ${formatTime(NOW - 60_000 + GRANT_LIFETIME_MS)} · kubectl get pods`);
    assert.equal(folder.contextValue, 'terminal.allowed');
    assert.deepEqual(
      [folder.providerId, folder.accountId, folder.grantId],
      ['acme', 'alice-sub', grantId(webapp)],
      'Revoke acts on this grant',
    );
    assert.equal(field(folder, 'Workspace folder'), '/work/webapp');
    assert.equal(field(folder, 'Program'), 'kubectl get pods');
    assert.equal(field(folder, 'Program directory'), '/work/webapp/k8s');
    assert.equal(field(folder, 'Says it is'), 'kubectl', 'the name is shown as the program claims it');
    assert.equal(dir.label, 'Terminal: /tmp/cloned (outside webapp)');
    assert.match(dir.description ?? '', / · says it is shell$/, 'without a command line, the name it gives itself, as a claim');
    assert.equal(field(dir, 'Directory'), '/tmp/cloned');
    assert.notEqual(folder.id, dir.id);
  });

  it('marks denied and expired grants, so the menu offers Allow again and Revoke', () => {
    const [denied] = rows([grant(webapp, { decision: 'denied' })]);
    assert.equal(denied.contextValue, 'terminal.denied');
    assert.match(denied.description ?? '', /^denied until /);
    const [expired] = rows([grant(webapp)], NOW + GRANT_LIFETIME_MS);
    assert.equal(expired.contextValue, 'terminal.expired');
    assert.match(expired.description ?? '', /^expired /);
  });

  it('wakes the view when a grant expires, so its row turns to expired on time', () => {
    const expiresAt = NOW - 60_000 + GRANT_LIFETIME_MS;
    assert.equal(nextChangeAt(tree([grant(webapp)]), NOW + GRANT_LIFETIME_MS - 120_000), expiresAt);
  });

  it('shows a folder allowed before any program asked, and nothing without grants', () => {
    const [only] = rows([grant(webapp, { program: undefined })]);
    assert.equal(field(only, 'Program'), '(allowed before any program asked)');
    assert.deepEqual(rows([]), []);
  });

  it('shows what a caller sent as plain text only', () => {
    const [row] = rows([
      grant(
        { folder: '', dir: '/tmp/\u001b]52;c;ZXZpbA==\u0007x\u202e' },
        { program: { tool: 'kubectl', command: 'evil \u001b[2J\u0085 run', cwd: '/tmp/\u2066x' } },
      ),
    ]);
    const texts = [row.label, row.description ?? '', row.accessibilityLabel, ...(row.tooltip?.fields.map((f) => f.value) ?? [])].join('\n');
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(texts), texts);
    assert.equal(row.label, 'Terminal: /tmp/x');
  });
});
