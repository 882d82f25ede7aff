// The one-line account summary of the tooltip (localized words) and of the log (English).
import assert from 'node:assert/strict';
import { accountLine } from '../../../src/session/model';
import { accountSummaryLine } from '../../../src/views/healthText';
import { MIN, NOW, account, refreshState, session } from './fixtures';

describe('account summary line', () => {
  const renewing = session({ renewsAt: NOW + 4 * MIN, refresh: refreshState({ refreshCount: 12 }) });

  it('names the account, its health, the next renewal, the renewal count and the last error', () => {
    const a = account({ sessions: [renewing] });
    assert.equal(accountLine(a, NOW), 'alice · valid · renews in 4m · refreshed 12× · last error none');
    assert.equal(accountSummaryLine(a, NOW), 'alice · expires in 42 min · renews in 4 min · refreshed 12× · last error: none');
  });

  it('says when auto-refresh is off, when nothing can renew it, and the last error', () => {
    const off = account({
      autoRefresh: false,
      sessions: [session({ refresh: refreshState({ autoRefresh: false, refreshCount: 2, lastError: 'dash.test answered HTTP 503' }) })],
    });
    assert.equal(accountLine(off, NOW), 'alice · valid · auto-refresh off · refreshed 2× · last error dash.test answered HTTP 503');
    assert.match(accountSummaryLine(off, NOW), /auto-refresh off · refreshed 2× · last error: dash\.test answered HTTP 503$/);
    const pasted = account({ sessions: [session({ renewable: false })] });
    assert.match(accountLine(pasted, NOW), /· not renewable ·/);
    assert.match(accountSummaryLine(pasted, NOW), /· not renewable ·/);
  });

  it('counts the renewals of every session of the account and takes the earliest next renewal', () => {
    const a = account({
      sessions: [renewing, session({ id: 'session-2', renewsAt: NOW + 90_000, refresh: refreshState({ refreshCount: 3 }) })],
    });
    assert.equal(accountLine(a, NOW), 'alice · valid · renews in 90s · refreshed 15× · last error none');
  });
});
