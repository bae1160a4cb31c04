import type { Kafka } from 'kafkajs';
import { createPool, migrate } from '../../platform/postgres.js';
import { LOCAL_TEMPORAL } from '../stack/temporal.js';
import type { Section } from './report.js';
import { measureRewards } from './rewards.js';

/** (g, h, j, k): reward workflows on the Temporal dev server, in a schema of their own. */
export async function measureRewardsSection(options: {
  kafka: Kafka;
  databaseUrl: string;
  /** How many reward workflows each phase starts. */
  rewards: number;
  runId: string;
  step: (text: string) => void;
}): Promise<Section> {
  const { kafka, databaseUrl, runId, step } = options;
  const size = { rewards: options.rewards };
  step(`(g, h, j, k) ${size.rewards} reward workflows on the Temporal dev server`);
  const rewardsSchema = `bench_rw_${runId}`;
  await migrate(databaseUrl, rewardsSchema);
  const rewardsDb = createPool(databaseUrl, rewardsSchema);
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL;
  const rewards = await measureRewards(kafka, rewardsDb, temporalAddress, size.rewards, runId);
  await rewardsDb.query(`DROP SCHEMA ${rewardsSchema} CASCADE`);
  await rewardsDb.end();
  const { up, down } = rewards.withPartner;
  const burst = (result: typeof up) =>
    `all ${result.granted}/${size.rewards} granted in ${result.allGrantedS.toFixed(1)} s; a points-only unlock sent after the burst: ${(result.latecomerMs / 1000).toFixed(1)} s`;
  return {
    title: 'Rewards (Temporal)',
    rows: [
      {
        measure: '(g) reward workflows per second (unlock record → starter → workflow → ledger)',
        value: `${rewards.perSecond.toFixed(0)} workflows/s; ${rewards.granted}/${rewards.started} granted`,
        target: '≥ 50 workflows/s, none lost',
        verdict: rewards.perSecond >= 50 && rewards.granted === rewards.started ? 'met' : 'missed',
      },
      {
        measure: '(h) unlock → points visible in the ledger, at 20 unlocks/s',
        value: `p50 ${rewards.p50} ms, p99 ${rewards.p99} ms`,
        target: '—',
        verdict: '—',
      },
      {
        measure: '(j) burst, half with a partner that answers: time until every unlock’s points are granted',
        value: burst(up),
        target: '—',
        verdict: '—',
      },
      {
        measure: '(k) the same burst with the partner down (accepts connections, never answers)',
        value: burst(down),
        target: 'within 1.25 × (j), none lost',
        verdict:
          down.allGrantedS <= 1.25 * up.allGrantedS && down.granted === size.rewards ? 'met' : 'missed',
      },
    ],
    notes: [
      `${size.rewards} first-purchase unlocks (points only, no partner) in one burst for (g); then 100 more at 20 per second for (h). (j) and (k): ${size.rewards} unlocks, every other one coffee-lover (partner coffee-house), then one first-purchase unlock; each phase has its own task queues.`,
      'Workers are wired as the worker role wires them: the prebuilt workflow bundle, and one activity worker per partner on its own task queue (8 requests at once, 20 per second, a circuit breaker). The dev server stores its history in SQLite.',
    ],
  };
}
