import { describe, expect, it } from 'vitest';
import { EXAMPLE_RULES_DIR, readRuleFiles } from '../platform/catalog-files.js';
import { given, purchase } from '../test/support/events.js';
import { buildCatalog } from './catalog.js';
import { explain } from './explain.js';
import { ruleSchema } from './rule-schema.js';

const cashback = readRuleFiles(EXAMPLE_RULES_DIR).find(({ source }) => source === 'coffee-cashback.yaml')!;
const cashbackRule: Record<string, unknown> = {
  ...(cashback.document as Record<string, unknown>),
  version: 1,
  examples: [],
};
const atCoffeeHouse = (time: string) => purchase({ categoryId: 5814, merchantId: 'm-coffee-house', time });

describe('a cap on the points a client earns a month', () => {
  it('grants what is left of it, then nothing, and starts again the next month', () => {
    const catalog = buildCatalog([{ source: cashback.source, document: cashbackRule }]);
    const { unlocked } = given(
      ['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-12-01'].map((day) =>
        atCoffeeHouse(`${day}T08:00:00+02:00`),
      ),
      undefined,
      catalog,
    );
    expect(unlocked.map((u) => [u.occurrence, u.points, u.cappedFrom])).toEqual([
      ['1', 200, undefined],
      ['2', 200, undefined],
      ['3', 100, 200],
      ['4', 0, 200],
      ['5', 200, undefined],
    ]);
  });

  it('is named when explaining an unlock it took points from', () => {
    const catalog = buildCatalog([{ source: cashback.source, document: cashbackRule }]);
    const events = ['2026-11-02', '2026-11-03', '2026-11-04'].map((day) =>
      atCoffeeHouse(`${day}T08:00:00+02:00`),
    );
    expect(explain('coffee-cashback', catalog, events, 'Europe/Kyiv').events.map((e) => e.why)).toEqual([
      'counted, and unlocked the achievement',
      'counted, and unlocked the achievement',
      "counted, and unlocked the achievement with 100 of its 200 points: the group cashback's cap of 500 points a month was reached",
    ]);
  });

  it('is shared by every rule of its group', () => {
    const tea = {
      ...cashbackRule,
      id: 'tea-cashback',
      filter: { kinds: ['purchase'], merchantIds: ['m-tea-room'] },
      levels: [{ ...(cashbackRule.levels as Record<string, unknown>[])[0], achievementId: 'tea-cashback' }],
    };
    const catalog = buildCatalog([
      { source: cashback.source, document: cashbackRule },
      { source: 'tea.yaml', document: tea },
    ]);
    const { unlocked } = given(
      [
        atCoffeeHouse('2026-11-02T08:00:00+02:00'),
        purchase({ merchantId: 'm-tea-room', time: '2026-11-03T08:00:00+02:00' }),
        purchase({ merchantId: 'm-tea-room', time: '2026-11-04T08:00:00+02:00' }),
      ],
      undefined,
      catalog,
    );
    expect(unlocked.map((u) => [u.achievementId, u.points])).toEqual([
      ['coffee-cashback', 200],
      ['tea-cashback', 200],
      ['tea-cashback', 100],
    ]);
  });

  it('is refused below a level’s points', () => {
    const parsed = ruleSchema.safeParse({ ...cashbackRule, cap: { points: 150, per: 'month' } });
    expect(parsed.error?.issues.map((issue) => [issue.path.join('/'), issue.message])).toEqual([
      ['levels/0/points', expect.stringMatching(/more than the cap of 150 a month/)],
    ]);
  });
});
