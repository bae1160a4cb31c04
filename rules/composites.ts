import { inAudience, type ClientContext } from './audience.js';
import type { Catalog, CatalogRule } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import { unlockOf, type Earned } from './earn.js';
import type { ClientProgress } from './progress.js';

/**
 * Composites: rules triggered by the achievements a client holds (`trigger: { on: achievements, of: [...] }`),
 * whose levels unlock once the client holds as many of them as the target ("gold traveller once you hold
 * globetrotter and week-streak": both, so target 2). Held means unlocked, or a repeating one earned at least
 * once. A composite level unlocks at the time the client came to hold the target-th of them, on the record whose
 * arrival made it so (or, for a composite made live later, the client's next record that counts).
 */

export const isComposite = (rule: CatalogRule) => rule.trigger.on === 'achievements';

/** When the client came to hold an achievement (a repeating one: its latest earning), or undefined. */
function heldSince(earned: Earned, achievementId: string): number | undefined {
  const at = Object.hasOwn(earned.unlocked, achievementId)
    ? earned.unlocked[achievementId]!.at
    : earned.repeats?.[achievementId]?.last.at;
  return at === undefined ? undefined : Date.parse(at);
}

/** The times the client came to hold each of the composite's achievements it holds, earliest first. */
export function heldTimes(rule: CatalogRule, earned: Earned): number[] {
  if (rule.trigger.on !== 'achievements') return [];
  return rule.trigger.of
    .map((id) => heldSince(earned, id))
    .filter((at): at is number => at !== undefined)
    .sort((a, b) => a - b);
}

const compositesOf = new WeakMap<Catalog, CatalogRule[]>();

function composites(catalog: Catalog): CatalogRule[] {
  let found = compositesOf.get(catalog);
  if (!found) compositesOf.set(catalog, (found = catalog.rules.filter(isComposite)));
  return found;
}

/**
 * The composite levels the client's holdings now reach, pushed to `found`; passes repeat while one unlocks,
 * since a composite may name another's achievements. What the client earned after them (the same object when
 * none unlocked).
 */
export function unlockComposites(
  catalog: Catalog,
  earned: Earned,
  at: {
    progress: ClientProgress;
    client: ClientContext;
    event: { id: string; clientId: string; timeMs: number };
  },
  found: AchievementUnlocked[],
): Earned {
  let { unlocked } = earned;
  for (let changed = true; changed;) {
    changed = false;
    for (const rule of composites(catalog)) {
      if (!inAudience(rule, at.progress, at.client)) continue;
      const times = heldTimes(rule, { ...earned, unlocked });
      for (const level of rule.levels) {
        if (Object.hasOwn(unlocked, level.achievementId) || times.length < level.target) continue;
        const time = new Date(times[level.target - 1]!).toISOString();
        unlocked = { ...unlocked, [level.achievementId]: { at: time, sourceEventId: at.event.id } };
        found.push(unlockOf(rule, level, at.event, time, undefined));
        changed = true;
      }
    }
  }
  return unlocked === earned.unlocked ? earned : { ...earned, unlocked };
}
