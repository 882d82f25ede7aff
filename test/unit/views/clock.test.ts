import assert from 'node:assert/strict';
import { timeFormatter } from '../../../src/views/clock';
import { MIN, NOW } from './fixtures';

describe('times in rows and tooltips', () => {
  const format = timeFormatter('en-US', () => NOW, 'UTC');

  it("shows today's instants as a time only", () => {
    assert.equal(format(NOW + 5 * MIN), '12:05:00 PM');
  });

  it('adds the date for any other day', () => {
    assert.equal(format(NOW + 24 * 60 * MIN), 'Jan 16, 2025, 12:00 PM');
  });

  it('falls back to the default language for one it does not know', () => {
    assert.match(timeFormatter('not a locale!', () => NOW, 'UTC')(NOW), /12/);
  });
});
