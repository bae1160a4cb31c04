import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGroup } from '../scripts/children.js';
import { unlockIdOf } from '../platform/unlock-records.js';
import { eventually, produceEvents, readTopic, topicEnds, unlocksOf } from './support/engine.js';
import { clientEvent, purchase } from './support/events.js';
import { requestsAs } from './support/tokens.js';
import { uniqueName } from './support/stack.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

describe('kill -9 between an unlock stored at once and the checkpoint after it', () => {
  let system: WholeSystem;

  beforeAll(async () => {
    // No checkpoint falls due on its own: what the processors hold is in their actors alone when they die.
    system = await startWholeSystem({ CHECKPOINT_INTERVAL: '10m', CHECKPOINT_EVENTS: '1000000' });
  }, 120_000);

  afterAll(async () => {
    await system?.stop();
  });

  const grantsOf = async (clientId: string, achievementId: string) =>
    Number(
      (
        await system.db.pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM loyalty_ledger WHERE kind = 'grant' AND idempotency_key = $1",
          [`grant:${unlockIdOf(clientId, achievementId)}`],
        )
      ).rows[0]!.n,
    );

  it('replays the partition from its checkpoint: the unlock is published once, granted once, and shown', async () => {
    const clientId = uniqueName('c');
    const from = await topicEnds(system.kafka, system.outputs.unlocked);
    await produceEvents(system.kafka, system.inputs, [
      purchase({ clientId, time: '2026-11-20T10:00:00+02:00' }),
    ]);
    await eventually(
      () => grantsOf(clientId, 'first-purchase'),
      (grants) => grants === 1,
      60_000,
    );
    // The unlock is stored and granted; the client's progress is not checkpointed, and the partition's stored
    // unlocks run past its checkpoint.
    const { rows: progress } = await system.db.pool.query(
      'SELECT 1 FROM client_progress WHERE client_id = $1',
      [clientId],
    );
    expect(progress).toEqual([]);
    const { rows: ahead } = await system.db.pool.query(
      'SELECT topic, partition FROM consumer_offsets WHERE decided_offset > next_offset',
    );
    expect(ahead.length).toBeGreaterThan(0);

    for (const processor of system.processors()) killGroup(processor);
    await system.startProcessor();
    await produceEvents(system.kafka, system.inputs, [
      clientEvent('contacts.synced', '2026-11-21T09:00:00Z', {}, clientId),
    ]);
    await eventually(
      () => grantsOf(clientId, 'contacts-synced'),
      (grants) => grants === 1,
      120_000,
    );
    expect(await unlocksOf(system.db.pool, clientId)).toEqual(['contacts-synced', 'first-purchase']);
    expect(await grantsOf(clientId, 'first-purchase')).toBe(1);

    // Each published once: a second first-purchase record would have gone out before the contacts-synced one.
    const published = await readTopic(
      system.kafka,
      system.outputs.unlocked,
      from,
      (m) => m.key?.toString() === clientId,
      (seen) => seen.some((m) => m.value!.toString().includes('contacts-synced')),
    );
    expect(
      published.map((m) => (JSON.parse(m.value!.toString()) as { achievementId: string }).achievementId),
    ).toEqual(['first-purchase', 'contacts-synced']);

    // The app shows both at once: contacts-synced from its unlock, as no checkpoint stored the progress after it.
    const { rows: stored } = await system.db.pool.query<{ holds: boolean | null }>(
      `SELECT (progress::jsonb -> 'unlocked') ? 'contacts-synced' AS holds FROM client_progress WHERE client_id = $1`,
      [clientId],
    );
    expect(stored.every((row) => row.holds === false)).toBe(true);
    const client = requestsAs(system.app, { role: 'client', sub: clientId });
    const mine = (await (await client('GET', '/v1/me/achievements')).json()) as {
      achievements: { id: string; unlocked: boolean }[];
    };
    expect(
      mine.achievements
        .filter((achievement) => achievement.unlocked)
        .map((achievement) => achievement.id)
        .sort(),
    ).toEqual(['contacts-synced', 'first-purchase']);
  }, 300_000);
});
