import { describe, expect, it } from 'vitest';
import { clientEvent, KYIV, purchase, ruleDocument } from '../test/support/events.js';
import { TooManyAttributes, MAX_CLIENT_ATTRIBUTES } from './attributes.js';
import { buildCatalog } from './catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { achievementsShown } from './progress-view.js';
import { initialProgress, type ClientProgress } from './progress.js';

const forAudience = (audience: unknown) =>
  buildCatalog([{ source: 'gold.yaml', document: { ...ruleDocument('first-purchase'), audience } }]);

function run(catalog: ReturnType<typeof forAudience>, events: InputEvent[], segments: string[] = []) {
  let progress: ClientProgress = initialProgress();
  const unlocked: string[] = [];
  for (const event of events) {
    const decision = decide(progress, event, catalog, KYIV, { client: { segments } });
    progress = decision.progress;
    unlocked.push(...decision.unlocked.map((u) => u.achievementId));
  }
  return { progress, unlocked };
}

const attributes = (time: string, values: Record<string, string | number | boolean | null>) =>
  clientEvent('attributes.updated', time, values);
const buy = (id: string, time: string) => purchase({ id, time });

describe('targeting audiences', () => {
  it('given a rule for gold card holders, a client outside makes no progress and one who joins counts from then', () => {
    const gold = forAudience({ attributes: { cardProduct: { equals: 'gold' } } });
    expect(run(gold, [buy('p-1', '2026-11-01T10:00:00Z')]).unlocked).toEqual([]);
    const joined = run(gold, [
      buy('p-1', '2026-11-01T10:00:00Z'),
      attributes('2026-11-02T10:00:00Z', { cardProduct: 'gold' }),
      buy('p-2', '2026-11-03T10:00:00Z'),
    ]);
    expect(joined.unlocked).toEqual(['first-purchase']);
  });

  it('reads "in" and "exists" conditions, and segments (any one of them)', () => {
    const cities = forAudience({ attributes: { city: { in: ['Kyiv', 'Lviv'] }, vip: { exists: false } } });
    const lviv = attributes('2026-11-01T09:00:00Z', { city: 'Lviv' });
    expect(run(cities, [lviv, buy('p-1', '2026-11-01T10:00:00Z')]).unlocked).toEqual(['first-purchase']);
    const vip = attributes('2026-11-01T09:00:00Z', { city: 'Lviv', vip: true });
    expect(run(cities, [vip, buy('p-1', '2026-11-01T10:00:00Z')]).unlocked).toEqual([]);
    const segments = forAudience({ segments: ['students', 'pilots'] });
    expect(run(segments, [buy('p-1', '2026-11-01T10:00:00Z')], ['pilots']).unlocked).toEqual([
      'first-purchase',
    ]);
    expect(run(segments, [buy('p-1', '2026-11-01T10:00:00Z')], ['others']).unlocked).toEqual([]);
  });

  it('keeps the later-dated value of an attribute whatever the arrival order, and null removes it', () => {
    const gold = forAudience({ attributes: { cardProduct: { equals: 'gold' } } });
    const late = run(gold, [
      attributes('2026-11-02T10:00:00Z', { cardProduct: 'gold' }),
      attributes('2026-11-01T10:00:00Z', { cardProduct: 'black' }),
      buy('p-1', '2026-11-03T10:00:00Z'),
    ]);
    expect(late.unlocked).toEqual(['first-purchase']);
    const removed = run(gold, [
      attributes('2026-11-01T10:00:00Z', { cardProduct: 'gold' }),
      attributes('2026-11-02T10:00:00Z', { cardProduct: null }),
      attributes('2026-11-01T12:00:00Z', { cardProduct: 'gold' }),
      buy('p-1', '2026-11-03T10:00:00Z'),
    ]);
    expect(removed.unlocked).toEqual([]);
  });

  it(`refuses an update that would give a client more than ${MAX_CLIENT_ATTRIBUTES} attributes`, () => {
    const many = Object.fromEntries(Array.from({ length: MAX_CLIENT_ATTRIBUTES }, (_, i) => [`a${i}`, i]));
    const full = run(forAudience({ segments: ['x'] }), [attributes('2026-11-01T10:00:00Z', many)]).progress;
    expect(() =>
      decide(
        full,
        attributes('2026-11-02T10:00:00Z', { one: 'more' }),
        forAudience({ segments: ['x'] }),
        KYIV,
      ),
    ).toThrow(TooManyAttributes);
  });

  it('shows a client the achievements of its audience, and keeps those it earned under a rule no longer for it', () => {
    const gold = forAudience({ attributes: { cardProduct: { equals: 'gold' } } });
    const nobody = buildCatalog([]);
    const outside = run(gold, [buy('p-1', '2026-11-01T10:00:00Z')]).progress;
    expect(achievementsShown(gold, gold, outside, { segments: [] })).toEqual([]);
    const earned = run(gold, [
      attributes('2026-11-01T09:00:00Z', { cardProduct: 'gold' }),
      buy('p-1', '2026-11-01T10:00:00Z'),
    ]).progress;
    expect(
      achievementsShown(nobody, gold, earned, { segments: [] }).map((a) => a.level.achievementId),
    ).toEqual(['first-purchase']);
  });
});
