import { describe, expect, it } from 'vitest';
import { KYIV, purchase, refund } from '../test/support/events.js';
import { buildCatalog } from './catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { nudgesCrossed, type ProgressNudged } from './nudges.js';
import { initialProgress } from './progress.js';
import { ruleSchema } from './rule-schema.js';

const texts = (name: string) => ({ en: name, uk: name, he: name });

/** "Tell me when I am 2 coffees away": 10 coffees a calendar month, nudging at half way and at 2 to go. */
const coffeeRule = (
  extra: Record<string, unknown> = {},
  nudges: unknown = [{ percent: 50 }, { toGo: 2 }],
) => ({
  id: 'coffee-month',
  version: 1,
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5814] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  ...extra,
  levels: [
    {
      achievementId: 'coffee-month',
      target: 10,
      points: 100,
      nudges,
      title: texts('c'),
      description: texts('c'),
    },
  ],
});

const catalogOf = (document: Record<string, unknown>) => buildCatalog([{ source: 'test', document }]);

/** Every nudge the events' arrivals cross, in order, as "occurrence:threshold@current". */
function nudgesOver(events: InputEvent[], document = coffeeRule()) {
  const catalog = catalogOf(document);
  let progress = initialProgress();
  const nudged: ProgressNudged[] = [];
  for (const event of events) {
    const decision = decide(progress, event, catalog, KYIV);
    nudged.push(...nudgesCrossed(progress, decision.progress, event, catalog, KYIV));
    progress = decision.progress;
  }
  return nudged.map((n) => `${n.occurrence}:${n.threshold}@${n.current}`);
}

const coffee = (day: number, month = 11) =>
  purchase({
    clientId: 'c-1',
    categoryId: 5814,
    time: `2026-${month}-${String(day).padStart(2, '0')}T09:00:00+02:00`,
  });

describe('nudges: the progress points an event crosses', () => {
  it('nudges once at each point on the way, and not at the target (the unlock tells)', () => {
    const month = Array.from({ length: 10 }, (_, i) => coffee(i + 1));
    expect(nudgesOver(month)).toEqual([':5@5', ':8@8']);
  });

  it('names the highest point one arrival crosses, once', () => {
    const spend = {
      ...coffeeRule({ measure: { type: 'sum', field: 'amount' } }, [{ percent: 30 }, { percent: 50 }]),
    };
    spend.levels[0]!.target = 100_000;
    const large = purchase({
      clientId: 'c-1',
      categoryId: 5814,
      amount: 60_000,
      time: '2026-11-02T09:00:00+02:00',
    });
    expect(nudgesOver([large], spend)).toEqual([':50000@60000']);
  });

  it('crosses a point again after a refund took the client back below it (stored once, sent once)', () => {
    const five = Array.from({ length: 5 }, (_, i) => coffee(i + 1));
    expect(nudgesOver([...five, refund(five[4]!, '2026-11-06T09:00:00+02:00'), coffee(7)])).toEqual([
      ':5@5',
      ':5@5',
    ]);
  });

  it('names the period of a repeating achievement, so each month nudges anew', () => {
    const repeating = coffeeRule({ repeat: { every: 'month' } });
    const november = Array.from({ length: 5 }, (_, i) => coffee(i + 1, 11));
    const december = Array.from({ length: 5 }, (_, i) => coffee(i + 1, 12));
    expect(nudgesOver([...november, ...december], repeating)).toEqual(['2026-11:5@5', '2026-12:5@5']);
  });

  it('counts towards the next earning of a repeat every target', () => {
    const everyTen = coffeeRule({ window: { type: 'lifetime' }, repeat: { every: 'target' } });
    const coffees = Array.from({ length: 18 }, (_, i) => coffee(i + 1));
    expect(nudgesOver(coffees, everyTen)).toEqual(['1:5@5', '1:8@8', '2:5@5', '2:8@8']);
  });

  it('gives nothing for a catalog without nudges', () => {
    expect(nudgesOver([coffee(1), coffee(2)], coffeeRule({}, undefined))).toEqual([]);
  });
});

describe('nudges in the rule format', () => {
  const refusal = (nudges: unknown, target = 10) => {
    const document = coffeeRule({}, nudges);
    document.levels[0]!.target = target;
    const parsed = ruleSchema.safeParse(document);
    return parsed.success ? undefined : parsed.error.issues.map((i) => [i.path.join('/'), i.message]);
  };

  it('refuses a point that is the target itself or before the first step, at its pointer', () => {
    expect(refusal([{ percent: 80 }], 1)).toEqual([
      [
        'levels/0/nudges/0/percent',
        '80% of a target of 1 is the target itself: the unlock tells the client already; name a lower percent',
      ],
    ]);
    expect(refusal([{ toGo: 10 }])).toEqual([
      ['levels/0/nudges/0/toGo', '10 to go from a target of 10 is before the first step: name fewer than 10'],
    ]);
  });

  it('accepts percents and steps to go within the target', () => {
    expect(refusal([{ percent: 80 }, { toGo: 2 }])).toBeUndefined();
  });
});
