import type { RuleNudge } from './rule-schema.js';

/** The measure at which a level's progress point nudges: "80%" of the target rounded up, or "2 to go". */
export const nudgeThreshold = (point: RuleNudge, target: number): number =>
  'percent' in point ? Math.ceil((target * point.percent) / 100) : target - point.toGo;

/** Why a progress point could never nudge, or undefined when it can. */
export function nudgeProblem(point: RuleNudge, target: number): string | undefined {
  const threshold = nudgeThreshold(point, target);
  if ('percent' in point && threshold >= target)
    return `${point.percent}% of a target of ${target} is the target itself: the unlock tells the client already; name a lower percent`;
  if ('toGo' in point && threshold < 1)
    return `${point.toGo} to go from a target of ${target} is before the first step: name fewer than ${target}`;
  return undefined;
}
