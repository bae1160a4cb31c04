import { describe, expect, it } from 'vitest';
import { given, KYIV, purchase, ruleDocument } from '../test/support/events.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { unlockComposites } from './composites.js';
import { decide } from './decide.js';
import { viewOf } from './progress-view.js';
import { initialProgress } from './progress.js';
import { ruleSchema } from './rule-schema.js';

const texts = (name: string) => ({ en: name, uk: name, he: name });
const composite = (id: string, of: string[], targets: number[]) => ({
  source: `${id}.yaml`,
  document: {
    id,
    version: 1,
    trigger: { on: 'achievements', of },
    measure: { type: 'count' },
    window: { type: 'lifetime' },
    levels: targets.map((target, i) => ({
      achievementId: targets.length === 1 ? id : `${id}-${i + 1}`,
      target,
      points: 10,
      title: texts(id),
      description: texts(id),
    })),
  },
});

const held = (times: Record<string, string>) => ({
  unlocked: Object.fromEntries(Object.entries(times).map(([id, at]) => [id, { at, sourceEventId: 'x' }])),
  repeats: undefined,
});
const event = { id: 'p-9', clientId: 'c-1', timeMs: Date.parse('2026-11-20T12:00:00Z') };

describe('a composite of other achievements', () => {
  const gold = buildCatalog([
    composite('gold-traveller', ['globetrotter', 'week-streak', 'coffee-lover'], [2, 3]),
  ]);

  it('unlocks each level at the time the client came to hold the target-th achievement named', () => {
    const found: ReturnType<typeof decide>['unlocked'] = [];
    const earned = unlockComposites(
      gold,
      held({
        'week-streak': '2026-11-10T00:00:00.000Z',
        globetrotter: '2026-11-01T00:00:00.000Z',
        'coffee-lover': '2026-11-15T00:00:00.000Z',
      }),
      { progress: initialProgress(), client: { segments: [] }, event },
      found,
    );
    expect(found.map((u) => [u.achievementId, u.unlockedAt, u.sourceEventId])).toEqual([
      ['gold-traveller-1', '2026-11-10T00:00:00.000Z', 'p-9'],
      ['gold-traveller-2', '2026-11-15T00:00:00.000Z', 'p-9'],
    ]);
    expect(Object.keys(earned.unlocked)).toContain('gold-traveller-2');
  });

  it('unlocks a composite of a composite in the same record, whatever their order in the catalog', () => {
    const chained: Catalog = buildCatalog([
      composite('legend', ['gold-traveller-1', 'first-purchase'], [2]),
      composite('gold-traveller', ['globetrotter', 'week-streak'], [1, 2]),
    ]);
    const found: ReturnType<typeof decide>['unlocked'] = [];
    unlockComposites(
      chained,
      held({ globetrotter: '2026-11-01T00:00:00.000Z', 'first-purchase': '2026-10-01T00:00:00.000Z' }),
      { progress: initialProgress(), client: { segments: [] }, event },
      found,
    );
    expect(found.map((u) => u.achievementId)).toEqual(['gold-traveller-1', 'legend']);
  });

  it('unlocks on the record that earns the last achievement it needs, and shows how many are held', () => {
    const catalog = buildCatalog([
      { source: 'first.yaml', document: ruleDocument('first-purchase') },
      {
        source: 'coffee.yaml',
        document: {
          ...ruleDocument('coffee-lover'),
          levels: [
            { ...(ruleDocument('coffee-lover').levels as object[])[0], target: 2, partner: undefined },
          ],
          examples: [],
        },
      },
      composite('starter-pack', ['first-purchase', 'coffee-lover'], [2]),
    ]);
    const first = purchase({ categoryId: 5814, time: '2026-11-02T08:00:00+02:00' });
    const { progress } = given([first], undefined, catalog);
    const starter = catalog.achievements.get('starter-pack')!;
    expect(viewOf(starter, progress, Date.parse('2026-11-03T00:00:00Z'), KYIV).progress).toEqual({
      current: 1,
      target: 2,
    });
    const second = purchase({ categoryId: 5814, time: '2026-11-03T08:00:00+02:00' });
    expect(
      decide(progress, second, catalog, KYIV).unlocked.map((u) => [u.achievementId, u.sourceEventId]),
    ).toEqual([
      ['coffee-lover', second.type === 'TransactionReceived' && second.transaction.id],
      ['starter-pack', second.type === 'TransactionReceived' && second.transaction.id],
    ]);
  });

  it.each([
    [{ of: ['gold-traveller'] }, [1], '/trigger/of/0', /this rule itself/],
    [{ of: ['globetrotter'] }, [2], '/levels/0/target', /more than the 1 achievements/],
    [{ of: ['globetrotter', 'globetrotter'] }, [1], '/trigger/of', /each achievement once/],
  ])('is refused when it does not hold together: %j, targets %j', (trigger, targets, pointer, reason) => {
    const { document } = composite('gold-traveller', trigger.of, targets);
    const parsed = ruleSchema.safeParse(document);
    const issue = parsed.error?.issues.find((i) => `/${i.path.join('/')}` === pointer);
    expect(issue?.message).toMatch(reason);
  });
});
