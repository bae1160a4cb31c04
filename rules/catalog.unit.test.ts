import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../platform/catalog-files.js';
import { buildCatalog, CatalogError, parseCatalog, partnersOf } from './catalog.js';

describe('the default catalog (CONTRACT §3)', () => {
  const catalog = loadCatalog();

  it('holds exactly the contract achievements with their points and partners', () => {
    const summary = Object.fromEntries(
      [...catalog.achievements].map(([id, { level }]) => [
        id,
        { points: level.points, partner: level.partner },
      ]),
    );
    expect(summary).toEqual({
      'first-purchase': { points: 50, partner: undefined },
      'coffee-lover': { points: 100, partner: 'coffee-house' },
      globetrotter: { points: 300, partner: undefined },
      'week-streak': { points: 150, partner: undefined },
      'big-spender-bronze': { points: 100, partner: undefined },
      'big-spender-silver': { points: 250, partner: undefined },
      'big-spender-gold': { points: 500, partner: undefined },
      'profile-complete': { points: 30, partner: undefined },
      'contacts-synced': { points: 20, partner: undefined },
    });
  });

  it('titles and describes every achievement in en, uk and he', () => {
    for (const { level } of catalog.achievements.values()) {
      for (const locale of ['en', 'uk', 'he']) {
        expect(level.title[locale]).toBeTruthy();
        expect(level.description[locale]).toBeTruthy();
      }
    }
  });
});

describe('rule files are validated', () => {
  const valid = {
    id: 'tea-lover',
    version: 1,
    trigger: { on: 'transaction' },
    measure: { type: 'count' },
    window: { type: 'calendar', unit: 'week' },
    levels: [
      {
        achievementId: 'tea-lover',
        target: 3,
        points: 10,
        title: { en: 'Tea', uk: 'Чай', he: 'תה' },
        description: { en: 'Tea', uk: 'Чай', he: 'תה' },
      },
    ],
  };
  const level = valid.levels[0]!;

  it('accepts a well-formed rule and reads a rolling duration', () => {
    const catalog = buildCatalog([
      { source: 'tea.yaml', document: { ...valid, window: { type: 'rolling', duration: '30d' } } },
    ]);
    expect(catalog.rules[0]!.window).toEqual({ type: 'rolling', duration: 30 * 86_400_000 });
  });

  it.each([
    ['a missing locale', { ...valid, levels: [{ ...level, title: { en: 'Tea' } }] }, /en, uk and he/],
    ['an unknown measure', { ...valid, measure: { type: 'median' } }, /measure/],
    [
      'levels out of order',
      {
        ...valid,
        levels: [
          { ...level, target: 5 },
          { ...level, achievementId: 'b', target: 2 },
        ],
      },
      /rising target/,
    ],
    ['a bad duration', { ...valid, window: { type: 'rolling', duration: 'a year' } }, /duration/],
    ['an unknown filter', { ...valid, filter: { colour: ['red'] } }, /filter/],
    ['a streak over a calendar window', { ...valid, measure: { type: 'streak', unit: 'day' } }, /lifetime/],
    [
      'a title too long',
      { ...valid, levels: [{ ...level, title: { ...level.title, en: 'T'.repeat(101) } }] },
      /<=100/,
    ],
    [
      'a link in a description',
      { ...valid, levels: [{ ...level, description: { ...level.description, uk: 'Чай на tea.example' } }] },
      /web address/,
    ],
    [
      'an attribute "__proto__"',
      { ...valid, filter: { attributes: JSON.parse('{"__proto__": true}') as object } },
      /filter\.attributes\.__proto__: "__proto__" is a name/,
    ],
  ])('refuses %s, naming the file', (_case, document, reason) => {
    expect(() => buildCatalog([{ source: 'tea.yaml', document }])).toThrow(CatalogError);
    expect(() => buildCatalog([{ source: 'tea.yaml', document }])).toThrow(reason);
    expect(() => buildCatalog([{ source: 'tea.yaml', document }])).toThrow(/^tea\.yaml: /);
  });

  it('reads a stored version as it was accepted, showing a text a client may not read as the achievement id', () => {
    const hostile = 'Tea at https://evil.example/login?pan=4111111111111111 \u202E';
    const stored = {
      ...valid,
      levels: [
        {
          ...level,
          title: { ...level.title, en: hostile },
          description: { ...level.description, uk: 'Ч'.repeat(700_000) },
        },
      ],
    };
    expect(() => buildCatalog([{ source: 'tea v1', document: stored }])).toThrow(CatalogError);
    const shown = buildCatalog([{ source: 'tea v1', document: stored }], 'stored').rules[0]!.levels[0]!;
    expect(shown.title).toEqual({ ...level.title, en: 'tea-lover' });
    expect(shown.description).toEqual({ ...level.description, uk: 'tea-lover' });
  });

  it('refuses an achievement id defined twice', () => {
    const twice = [
      { source: 'a.yaml', document: valid },
      { source: 'b.yaml', document: { ...valid, id: 'other' } },
    ];
    expect(() => buildCatalog(twice)).toThrow(/b\.yaml: achievement id tea-lover is defined twice/);
  });

  it('names the file whose text is not YAML', () => {
    expect(() => parseCatalog([{ source: 'broken.yaml', text: 'id: [unclosed' }])).toThrow(
      /^broken\.yaml: not valid YAML/,
    );
  });

  it('names each partner its levels call once, and none for points-only levels', () => {
    const tiers = {
      ...valid,
      levels: [
        { ...level, partner: 'tea-house' },
        { ...level, achievementId: 'tea-lover-2', target: 6, partner: 'tea-house' },
        { ...level, achievementId: 'tea-lover-3', target: 9 },
        { ...level, achievementId: 'tea-lover-4', target: 12, partner: 'kettle-shop' },
      ],
    };
    expect(partnersOf(buildCatalog([{ source: 'tea.yaml', document: tiers }]))).toEqual([
      'tea-house',
      'kettle-shop',
    ]);
  });
});
