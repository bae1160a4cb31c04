export type Tier = 'bronze' | 'silver' | 'gold';

export interface TierThresholds {
  silver: number;
  gold: number;
}

/** The tier for the points a client earned in the last 12 months (not their balance: expiry does not demote). */
export function tierFor(earned12m: number, thresholds: TierThresholds): Tier {
  if (earned12m >= thresholds.gold) return 'gold';
  if (earned12m >= thresholds.silver) return 'silver';
  return 'bronze';
}
