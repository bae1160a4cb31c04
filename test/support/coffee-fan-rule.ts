/** A rule with two levels the replay tests backfill and dry-run: coffees (MCC 5814) in one calendar month. */
export const coffeeFanRule = {
  id: 'coffee-fan',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5814] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  levels: [
    {
      achievementId: 'coffee-fan-bronze',
      target: 3,
      points: 10,
      title: { en: 'Coffee fan', uk: 'Шанувальник кави', he: 'חובב קפה' },
      description: {
        en: 'Buy coffee 3 times in one calendar month.',
        uk: 'Купіть каву 3 рази за один календарний місяць.',
        he: 'קנו קפה 3 פעמים בחודש קלנדרי אחד.',
      },
    },
    {
      achievementId: 'coffee-fan-silver',
      target: 6,
      points: 25,
      title: { en: 'Coffee devotee', uk: 'Відданий каві', he: 'מסור לקפה' },
      description: {
        en: 'Buy coffee 6 times in one calendar month.',
        uk: 'Купіть каву 6 разів за один календарний місяць.',
        he: 'קנו קפה 6 פעמים בחודש קלנדרי אחד.',
      },
    },
  ],
};
