import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivals, scenario } from '../test/support/client-histories.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { decide } from './decide.js';
import { eventTimeMs } from './events.js';
import { initialProgress } from './progress.js';
import { viewOf } from './progress-view.js';
import { viewStableUntil } from './view-stability.js';

const SEED = Number(process.env.RULES_SEED ?? 20261207);
const RUNS = Number(process.env.RULES_RUNS ?? 500);
const ZONE = 'Europe/Kyiv';
const DAY = 86_400_000;
const catalog = wideCatalog();

describe('viewStableUntil (fast-check)', () => {
  it('is never later than the first instant at which an achievement’s view changes', () => {
    let bounded = 0;
    fc.assert(
      fc.property(scenario, fc.double({ min: -0.2, max: 1.2, noNaN: true }), fc.nat(), (s, at, pick) => {
        const events = arrivals(s);
        let progress = initialProgress();
        for (const event of events) progress = decide(progress, event, catalog, ZONE).progress;
        const times = events.map(eventTimeMs);
        const [first, last] = [Math.min(...times), Math.max(...times)];
        const nowMs = Math.round(first + at * (last - first + DAY));
        // Each achievement alone, so no other's nearer bound hides one computed too late.
        for (const achievement of catalog.achievements.values()) {
          const until = viewStableUntil([achievement], progress, nowMs);
          expect(until).toBeGreaterThan(nowMs);
          if (until !== Infinity) bounded++;
          const span = until === Infinity ? 400 * DAY : until - nowMs;
          // Just before the bound, and somewhere between.
          for (const laterMs of [nowMs + span - 1, nowMs + (pick % span)])
            expect(viewOf(achievement, progress, laterMs, ZONE)).toEqual(
              viewOf(achievement, progress, nowMs, ZONE),
            );
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(bounded).toBeGreaterThan(0);
    // A few seconds alone; CI runs it beside the integration tests.
  }, 120_000);
});
