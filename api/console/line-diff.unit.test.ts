import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineDiff } from './line-diff.js';

const side = (lines: ReturnType<typeof lineDiff>, keep: '+' | '-') =>
  lines.filter(({ op }) => op !== keep).map(({ line }) => line);

describe('the lines an approver compares (live version against the proposed one)', () => {
  it('marks a changed budget as one line removed and one added, the rest kept', () => {
    const live = JSON.stringify({ id: 'coffee', budget: { unlocks: 1000 }, points: 50 }, null, 2);
    const proposed = JSON.stringify({ id: 'coffee', budget: { unlocks: 2000 }, points: 50 }, null, 2);
    expect(lineDiff(live, proposed).filter(({ op }) => op !== ' ')).toEqual([
      { op: '-', line: '    "unlocks": 1000' },
      { op: '+', line: '    "unlocks": 2000' },
    ]);
  });

  it('shows a first version as all added', () => {
    expect(lineDiff('', 'a\nb')).toEqual([
      { op: '+', line: 'a' },
      { op: '+', line: 'b' },
    ]);
  });

  it('gives back both texts whole, and keeps as many lines as they share', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 12 });
    fc.assert(
      fc.property(lines, lines, (before, after) => {
        const diff = lineDiff(before.join('\n'), after.join('\n'));
        expect(side(diff, '+')).toEqual(before);
        expect(side(diff, '-')).toEqual(after);
        const kept = diff.filter(({ op }) => op === ' ').length;
        const lcs = (x: string[], y: string[]): number =>
          x.length === 0 || y.length === 0
            ? 0
            : x[0] === y[0]
              ? 1 + lcs(x.slice(1), y.slice(1))
              : Math.max(lcs(x.slice(1), y), lcs(x, y.slice(1)));
        expect(kept).toBe(lcs(before, after));
      }),
      { numRuns: 200 },
    );
  });
});
