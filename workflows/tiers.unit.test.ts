import { describe, expect, it } from 'vitest';
import { tierFor } from './tiers.js';

describe('tierFor', () => {
  const thresholds = { silver: 1000, gold: 3000 };
  it.each([
    [0, 'bronze'],
    [999, 'bronze'],
    [1000, 'silver'],
    [2999, 'silver'],
    [3000, 'gold'],
  ] as const)('gives %i points earned in 12 months the %s tier', (earned, tier) => {
    expect(tierFor(earned, thresholds)).toBe(tier);
  });
});
