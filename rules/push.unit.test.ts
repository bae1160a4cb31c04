import { describe, expect, it } from 'vitest';
import { catalog } from '../test/support/events.js';
import type { Catalog } from './catalog.js';
import { rewardFulfilledPush, unlockPush } from './push.js';

/** The default catalog with coffee-lover's texts replaced, as if they had slipped past every earlier check. */
function withCoffeeTexts(title: string, description: string): Catalog {
  const achievement = catalog.achievements.get('coffee-lover')!;
  const level = {
    ...achievement.level,
    title: { uk: title, en: title, he: title },
    description: { uk: description, en: description, he: description },
  };
  return { ...catalog, achievements: new Map([['coffee-lover', { rule: achievement.rule, level }]]) };
}

const unlock = { unlockId: 'u-1', clientId: 'c-1', achievementId: 'coffee-lover' };

describe('a push to a client', () => {
  it('carries the achievement’s texts in the bank’s language and a deep link', () => {
    expect(unlockPush(unlock, catalog)).toMatchObject({
      kind: 'achievement.unlocked',
      title: 'Кавоман',
      body: 'Купіть каву 10 разів за один календарний місяць.',
      locale: 'uk',
      deepLink: 'app://achievements/coffee-lover',
    });
  });

  it('never carries a link, card data, markup or a bidi override, whatever the catalog holds', () => {
    const hostile = withCoffeeTexts(
      'Win https://evil.example/?pan=4111111111111111',
      '<img onerror=x> \u202Eevil',
    );
    const push = unlockPush(unlock, hostile);
    expect(push.title).toBe('coffee-lover');
    expect(push.body).toBe('Нове досягнення чекає на вас у застосунку.');
    expect(
      rewardFulfilledPush({ rewardId: 'r-1', clientId: 'c-1', achievementId: 'coffee-lover' }, hostile).title,
    ).toBe('coffee-lover');
  });

  it('never carries a text longer than a rule may hold', () => {
    const push = unlockPush(unlock, withCoffeeTexts('К'.repeat(101), 'К'.repeat(301)));
    expect(push.title).toBe('coffee-lover');
    expect(push.body).toBe('Нове досягнення чекає на вас у застосунку.');
  });
});
