import { describe, expect, it } from 'vitest';
import { ruleDocument } from '../test/support/events.js';
import { measuredSinceFor, RuleBook, type RuleChange, type StoredRuleVersion } from './rule-book.js';
import { ruleSchema } from './rule-schema.js';

const coffee = ruleDocument('coffee-lover');
const version = (n: number, document: Record<string, unknown>): StoredRuleVersion => ({
  ruleId: 'coffee-lover',
  version: n,
  document: { ...document, version: n },
  createdAt: '2026-11-25T10:00:00Z',
  createdBy: 'emp-1',
});
const change = (seq: number, v: number | null, measuredSince: number | null): RuleChange => ({
  seq,
  ruleId: 'coffee-lover',
  version: v,
  measuredSince,
  requestedAt: '2026-11-25T10:00:00Z',
  requestedBy: 'emp-1',
});
const parsed = (n: number, document: Record<string, unknown>) =>
  ruleSchema.parse({ ...document, version: n });

describe('RuleBook', () => {
  const texts = { ...coffee, levels: [{ ...(coffee.levels as object[])[0], points: 150 }] };
  const weekly = { ...coffee, window: { type: 'calendar', unit: 'week' } };
  const book = new RuleBook(
    [version(1, coffee), version(2, texts), version(3, weekly)],
    [change(1, 1, 1), change(2, 2, 1), change(3, null, null), change(4, 3, 3)],
  );

  it('gives the rules live after each change, each version with the progress it counts into', () => {
    expect(book.catalogAt(0).rules).toEqual([]);
    expect(book.catalogAt(1).rules.map((r) => [r.version, r.progressKey])).toEqual([[1, 'coffee-lover']]);
    expect(book.catalogAt(2).achievements.get('coffee-lover')!.level.points).toBe(150);
    expect(book.catalogAt(2).rules[0]!.progressKey).toBe('coffee-lover');
    expect(book.catalogAt(3).rules).toEqual([]);
    expect(book.active().rules.map((r) => [r.version, r.progressKey])).toEqual([[3, 'coffee-lover@v3']]);
    expect(book.latestSeq).toBe(4);
  });

  it('keeps a deactivated rule among those ever live, as its last live version', () => {
    const stopped = new RuleBook(
      [version(1, coffee), version(2, texts)],
      [change(1, 1, 1), change(2, 2, 1), change(3, null, null)],
    );
    expect(stopped.active().achievements.size).toBe(0);
    expect(stopped.everLive().achievements.get('coffee-lover')!.level.points).toBe(150);
  });
});

describe('measuredSinceFor', () => {
  const active = { rule: parsed(1, coffee), measuredSince: 1 };

  it('keeps progress through edits of texts, points, partners and targets', () => {
    const edited = {
      ...coffee,
      levels: [
        {
          ...(coffee.levels as object[])[0],
          points: 500,
          target: 8,
          title: { en: 'Coffee!', uk: 'Кава!', he: 'קפה!' },
        },
      ],
    };
    expect(measuredSinceFor(active, parsed(2, edited))).toBe(1);
  });

  it.each([
    ['window', { window: { type: 'calendar', unit: 'week' } }],
    ['filter', { filter: { kinds: ['purchase'], categoryIds: [5814, 5812] } }],
    ['measure', { measure: { type: 'sum', field: 'amount' } }],
    ['trigger', { trigger: { on: 'client-event', type: 'coffee.ordered' }, filter: {} }],
  ])('starts afresh when the %s changes', (_part, change) => {
    expect(measuredSinceFor(active, parsed(2, { ...coffee, ...change }))).toBe(2);
  });

  it('starts afresh when nothing was live before', () => {
    expect(measuredSinceFor(undefined, parsed(4, coffee))).toBe(4);
  });
});
