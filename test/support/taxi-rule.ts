/** "3 taxi rides (MCC 4121) in one calendar week", the README's five-minute achievement. */
export const taxiRule = {
  id: 'taxi-rider',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [4121] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'week' },
  levels: [
    {
      achievementId: 'taxi-rider',
      target: 3,
      points: 40,
      title: { en: 'Taxi rider', uk: 'Пасажир таксі', he: 'נוסע מונית' },
      description: {
        en: 'Take 3 taxi rides in one calendar week.',
        uk: 'Зробіть 3 поїздки на таксі за один календарний тиждень.',
        he: 'סעו 3 פעמים במונית בשבוע קלנדרי אחד.',
      },
    },
  ],
  examples: [
    {
      name: 'three rides from Monday to Sunday',
      given: [
        { amount: 15000, time: '2026-11-16T08:00:00+02:00', categoryId: 4121 },
        { amount: 9000, time: '2026-11-18T19:00:00+02:00', categoryId: 5814 },
        { amount: 21000, time: '2026-11-20T23:10:00+02:00', categoryId: 4121 },
        { amount: 18000, time: '2026-11-22T22:00:00+02:00', categoryId: 4121 },
      ],
      then: { unlocked: ['taxi-rider'], measures: [1, 1, 2, 3] },
    },
  ],
};
