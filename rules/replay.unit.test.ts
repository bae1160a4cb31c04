import { describe, expect, it } from 'vitest';
import { catalog, clientEvent, days, KYIV, purchase, ruleDocument } from '../test/support/events.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { buildCatalog, knowingAchievementsOf, type Catalog } from './catalog.js';
import { decide } from './decide.js';
import { eventIdOf } from './events.js';
import { initialProgress } from './progress.js';
import { Replay } from './replay.js';

const bigSpender: Catalog = {
  rules: [catalog.achievements.get('big-spender-bronze')!.rule],
  achievements: new Map(
    ['big-spender-bronze', 'big-spender-silver', 'big-spender-gold'].map((id) => [
      id,
      catalog.achievements.get(id)!,
    ]),
  ),
};

describe('a replay of one rule over a partition’s history', () => {
  it('counts clients per level reached, the points they would cost, and the clients the rule touched', () => {
    const replay = new Replay(bigSpender, KYIV);
    const spend = (clientId: string, amount: number, count: number) =>
      days('2026-11-01', count).forEach((time) => replay.apply(purchase({ clientId, amount, time })));
    spend('c-gold', 2_500_000, 2);
    spend('c-bronze', 600_000, 1);
    spend('c-small', 1_000, 1);
    replay.apply(
      purchase({
        clientId: 'c-groceries',
        categoryId: 5411,
        currency: 'USD',
        time: '2026-11-02T10:00:00+02:00',
      }),
    );
    replay.apply(undefined);
    expect(replay.summary()).toEqual({
      eventsReplayed: 6,
      clientsTouched: 3,
      clients: { 'big-spender-bronze': 2, 'big-spender-silver': 1, 'big-spender-gold': 1 },
      points: 100 + 250 + 500 + 100,
    });
  });

  it('hands each changed client to a checkpoint once, and resumes from one exactly', () => {
    const replay = new Replay(bigSpender, KYIV);
    replay.apply(purchase({ clientId: 'c-1', amount: 300_000, time: '2026-11-01T10:00:00+02:00' }));
    replay.apply(purchase({ clientId: 'c-2', amount: 300_000, time: '2026-11-01T11:00:00+02:00' }));
    const checkpoint = replay.takeChanged();
    expect(checkpoint.map(([clientId]) => clientId)).toEqual(['c-1', 'c-2']);
    expect(replay.takeChanged()).toEqual([]);
    const resumed = new Replay(bigSpender, KYIV, checkpoint, replay.eventsReplayed);
    for (const r of [replay, resumed])
      r.apply(purchase({ clientId: 'c-1', amount: 300_000, time: '2026-11-02T10:00:00+02:00' }));
    expect(resumed.summary()).toEqual(replay.summary());
    expect(resumed.summary().clients['big-spender-bronze']).toBe(1);
  });

  it('leaves a client as it was on a record a rule refuses, as the live actor does', () => {
    const replay = new Replay(bigSpender, KYIV);
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`a${i}`, i]));
    replay.apply(purchase({ clientId: 'c-1', amount: 600_000, time: '2026-11-01T10:00:00+02:00' }));
    replay.takeChanged();
    replay.apply(clientEvent('attributes.updated', '2026-11-01T11:00:00+02:00', tooMany));
    expect(replay.takeChanged()).toEqual([]);
    expect(replay.summary().clients['big-spender-bronze']).toBe(1);
  });

  it('counts the points each unlock carries once the rule’s cap took its share', () => {
    const document = {
      ...ruleDocument('coffee-lover'),
      repeat: { every: 'month' },
      cap: { points: 150, per: 'quarter' },
      examples: [],
    };
    const replay = new Replay(buildCatalog([{ source: 'capped.yaml', document }]), KYIV);
    for (const time of [...days('2026-10-01', 10), ...days('2026-11-01', 10)])
      replay.apply(purchase({ categoryId: 5814, time }));
    expect(replay.summary()).toMatchObject({ clients: { 'coffee-lover': 1 }, points: 100 + 50 });
  });

  describe('of a rule that reads other achievements, which the replay is given as live processing earned them', () => {
    const wide = wideCatalog();
    const alone = (ruleId: string): Catalog => {
      const rule = wide.rules.find((r) => r.id === ruleId)!;
      return {
        rules: [rule],
        achievements: new Map(
          rule.levels.map((level) => [level.achievementId, wide.achievements.get(level.achievementId)!]),
        ),
      };
    };
    const firstPurchase = {
      achievementId: 'first-purchase',
      at: '2026-11-03T10:00:00.000Z',
      sourceEventId: 'tx-first',
    };

    it('counts a follow-up from a prerequisite earned before the history it replays, and nothing before it', () => {
      const replay = new Replay(alone('contacts-after-first'), KYIV);
      replay.hold('c-1', [firstPurchase]);
      replay.hold('c-2', []);
      for (const clientId of ['c-1', 'c-2']) {
        replay.apply(clientEvent('contacts.synced', '2026-11-02T12:00:00+02:00', {}, clientId));
        expect(replay.summary().clients['contacts-after-first']).toBe(0);
      }
      for (const clientId of ['c-1', 'c-2'])
        replay.apply(clientEvent('contacts.synced', '2026-11-04T12:00:00+02:00', {}, clientId));
      expect(replay.summary().clients['contacts-after-first']).toBe(1);
      const client = new Map(replay.takeChanged()).get('c-1');
      expect(Object.keys(client!.progress.unlocked).sort()).toEqual([
        'contacts-after-first',
        'first-purchase',
      ]);
    });

    it('starts a follow-up on the record its prerequisite was earned on, as live processing did', () => {
      const replay = new Replay(alone('contacts-after-first'), KYIV);
      // Dated after the prerequisite, but arrived before the record that earned it: live, it waited.
      replay.apply(clientEvent('contacts.synced', '2026-11-04T12:00:00+02:00', {}, 'c-1'));
      expect(replay.summary().clients['contacts-after-first']).toBe(0);
      const earning = purchase({ clientId: 'c-1', amount: 1_000, time: '2026-11-03T12:00:00+02:00' });
      replay.apply(earning, { brought: [{ ...firstPurchase, sourceEventId: eventIdOf(earning) }] });
      const client = new Map(replay.takeChanged()).get('c-1');
      expect(client!.progress.unlocked['contacts-after-first']).toEqual({
        at: '2026-11-04T10:00:00.000Z',
        sourceEventId: eventIdOf(earning),
      });
    });

    it('keeps a waiting follow-up’s events as live processing does, which knows the topic its prerequisite comes on', () => {
      const synced = (day: string) =>
        clientEvent('contacts.synced', `2026-11-${day}T12:00:00+02:00`, {}, 'c-1');
      const earning = purchase({ clientId: 'c-1', amount: 1_000, time: '2026-11-03T12:00:00+02:00' });
      // The sync of the 20th leaves the 4th more than a week behind on its topic; the purchase, of the other
      // topic, may still come dated before it, and does.
      const history = [synced('04'), synced('20'), earning];
      let live = initialProgress();
      const unlocked = history.flatMap((event) => {
        const decision = decide(live, event, wide, KYIV);
        live = decision.progress;
        return decision.unlocked;
      });
      const expected = unlocked.find((unlock) => unlock.achievementId === 'contacts-after-first');
      expect(expected?.unlockedAt).toBe('2026-11-04T10:00:00.000Z');

      const replay = new Replay(knowingAchievementsOf(alone('contacts-after-first'), wide), KYIV);
      const brought = [
        { ...firstPurchase, at: '2026-11-03T10:00:00.000Z', sourceEventId: eventIdOf(earning) },
      ];
      history.forEach((event) => replay.apply(event, event === earning ? { brought } : {}));
      const client = new Map(replay.takeChanged()).get('c-1');
      expect(client!.progress.unlocked['contacts-after-first']).toEqual({
        at: expected!.unlockedAt,
        sourceEventId: expected!.sourceEventId,
      });
    });

    it('caps a rule sharing a cap with a group by what the group was granted on the records it reads', () => {
      const catalog = knowingAchievementsOf(alone('every-third-purchase'), wide);
      const replay = new Replay(catalog, KYIV);
      const purchases = days('2026-11-02', 3).map((time) => purchase({ clientId: 'c-1', time }));
      // The weekly shopper was granted 10 of the group's 15 points that week, on the second purchase.
      const granted = { achievementId: 'weekly-shopper', occurrence: '2026-W45', points: 10 };
      purchases.forEach((event, i) =>
        replay.apply(
          event,
          i === 1
            ? { brought: [{ ...granted, at: '2026-11-03T08:00:00.000Z', sourceEventId: eventIdOf(event) }] }
            : {},
        ),
      );
      const client = new Map(replay.takeChanged()).get('c-1')!;
      expect(client.earnings.map((earning) => earning.points)).toEqual([5]);
      expect(client.grants).toEqual([Date.parse('2026-11-03T12:00:00+02:00'), 10]);
      expect(replay.summary().points).toBe(5);
    });

    it('unlocks a composite at the time the client came to hold what it names, on the first record that counts', () => {
      const replay = new Replay(alone('any-start'), KYIV);
      replay.hold('c-1', [firstPurchase]);
      replay.hold('c-1', []);
      replay.apply(purchase({ clientId: 'c-1', amount: 1_000, time: '2026-11-20T10:00:00+02:00' }));
      const client = new Map(replay.takeChanged()).get('c-1');
      expect(client!.progress.unlocked['any-start']).toMatchObject({ at: firstPurchase.at });
    });
  });
});
