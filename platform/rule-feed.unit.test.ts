import { describe, expect, it } from 'vitest';
import { ruleDocument } from '../test/support/events.js';
import { RuleBook, type RuleChange, type StoredRuleVersion } from '../rules/rule-book.js';
import { findLevel, type RuleFeed } from './rule-feed.js';

const coffee = ruleDocument('coffee-lover');
const [level] = coffee.levels as Record<string, unknown>[];
const version = (n: number, partner: string | undefined): StoredRuleVersion => ({
  ruleId: 'coffee-lover',
  version: n,
  document: { ...coffee, version: n, levels: [{ ...level, partner }] },
  createdAt: '2026-11-25T10:00:00Z',
  createdBy: 'emp-1',
});
const activation = (seq: number, n: number): RuleChange => ({
  seq,
  ruleId: 'coffee-lover',
  version: n,
  measuredSince: 1,
  requestedAt: '2026-11-25T10:00:00Z',
  requestedBy: 'emp-1',
});

/** A feed whose book is `first` until it is read again, then `second`. */
function feedOf(first: RuleBook, second = first): RuleFeed {
  let current = first;
  return {
    book: () => current,
    refresh: () => Promise.resolve((current = second)),
    stop: () => undefined,
  };
}

describe('findLevel', () => {
  const book = new RuleBook(
    [version(1, 'coffee-house'), version(2, 'tea-house')],
    [activation(1, 1), activation(2, 2)],
  );

  it('finds the level in the rule version the unlock was earned under, not the one live now', async () => {
    const unlock = { achievementId: 'coffee-lover', ruleId: 'coffee-lover', ruleVersion: 1 };
    expect((await findLevel(feedOf(book), unlock))?.partner).toBe('coffee-house');
  });

  it('takes the last live version for a record that names none', async () => {
    expect((await findLevel(feedOf(book), { achievementId: 'coffee-lover' }))?.partner).toBe('tea-house');
  });

  it('reads the book again for a version it has not seen yet, and answers undefined for one that does not exist', async () => {
    const before = new RuleBook([version(1, 'coffee-house')], [activation(1, 1)]);
    const unlock = { achievementId: 'coffee-lover', ruleId: 'coffee-lover', ruleVersion: 2 };
    expect((await findLevel(feedOf(before, book), unlock))?.partner).toBe('tea-house');
    expect(await findLevel(feedOf(book), { ...unlock, ruleVersion: 3 })).toBeUndefined();
  });
});
