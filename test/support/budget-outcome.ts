import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Catalog } from '../../rules/catalog.js';
import { unlockIdOf } from '../../platform/unlock-records.js';
import { readTopic, topicEnds } from './engine.js';
import { unlockedOver } from './exact-outcome.js';
import { uniqueName } from './stack.js';

/**
 * A budgeted rule of its own for one stretch of load: each purchase at `merchantId` earns the badge again, and
 * the first `unlocks` of them across all clients are granted; then the rule closes.
 */
export function budgetedBadgeRule(merchantId: string, unlocks: number) {
  const id = uniqueName('budget-badge');
  return {
    id,
    trigger: { on: 'transaction' },
    filter: { kinds: ['purchase'], merchantIds: [merchantId] },
    measure: { type: 'count' },
    window: { type: 'lifetime' },
    repeat: { every: 'target' },
    budget: { unlocks, atLimit: 'close' },
    levels: [
      {
        achievementId: id,
        target: 1,
        points: 1,
        title: { en: 'Early badge', uk: 'Ранній значок', he: 'תג מוקדם' },
        description: {
          en: 'A point for each purchase, while the budget lasts.',
          uk: 'Бал за кожну покупку, поки є бюджет.',
          he: 'נקודה על כל רכישה, כל עוד התקציב נמשך.',
        },
      },
    ],
  };
}

/**
 * The unlock ids `decide` finds for `ruleId` in the transactions topic, before any budget: each partition
 * counted from the offset the rule went live at there (rule_change_positions), as the processors did.
 */
export async function budgetCandidates(
  db: pg.Pool,
  kafka: Kafka,
  topic: string,
  ruleId: string,
  catalog: Catalog,
) {
  const { rows } = await db.query<{ partition: number; from_offset: string }>(
    `SELECT p.partition, min(p.from_offset) AS from_offset FROM rule_change_positions p JOIN rule_changes c USING (seq)
      WHERE c.rule_id = $1 AND p.topic = $2 GROUP BY p.partition`,
    [ruleId, topic],
  );
  const from = new Map(rows.map((row) => [row.partition, BigInt(row.from_offset)]));
  const ends = await topicEnds(kafka, topic);
  const total = ends.reduce((sum, { partition, offset }) => {
    const start = from.get(partition);
    return start === undefined ? sum : sum + Number(BigInt(offset) - start);
  }, 0);
  const records =
    total === 0
      ? []
      : await readTopic(
          kafka,
          topic,
          ends.map(({ partition }) => ({ partition, offset: '0' })),
          (message, partition) => from.has(partition) && BigInt(message.offset) >= from.get(partition)!,
          (seen) => seen.length >= total,
          120_000,
        );
  return unlockedOver(records, catalog)
    .map((u) => unlockIdOf(u.clientId, u.achievementId, u.occurrence))
    .sort();
}

/** How the engine decided a rule's budgeted unlocks: each decided one, those granted, and the budget's count. */
export async function budgetDecisions(db: pg.Pool, ruleId: string) {
  const { rows } = await db.query<{
    unlock_id: string;
    client_id: string;
    achievement_id: string;
    granted: boolean;
  }>('SELECT unlock_id, client_id, achievement_id, granted FROM budget_spends WHERE rule_id = $1', [ruleId]);
  const budget = await db.query<{ unlocks_spent: string; closed: boolean }>(
    'SELECT unlocks_spent, closed_at IS NOT NULL AS closed FROM rule_budgets WHERE rule_id = $1',
    [ruleId],
  );
  const granted = rows.filter((row) => row.granted);
  return {
    decided: rows.map((row) => row.unlock_id).sort(),
    grantedIds: granted.map((row) => row.unlock_id).sort(),
    /** Lines "client achievement", as exact-outcome.ts compares unlocks. */
    grantedLines: granted.map((row) => `${row.client_id} ${row.achievement_id}`).sort(),
    spent: Number(budget.rows[0]?.unlocks_spent ?? 0),
    closed: budget.rows[0]?.closed ?? false,
  };
}
