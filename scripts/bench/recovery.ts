import { Partitioners, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { killGroup, startRole, type Child } from '../children.js';
import { committedRecords, waitForCommitted } from './committed.js';

export interface RecoveryResult {
  /** From the kill until the new processor committed a record sent after it. */
  seconds: number;
  /** The new processor's own start. */
  startupMs: number;
}

/**
 * (f) Recovery after kill -9: kills the running processor, starts a new one over the same state and group, and
 * times until it has committed a purchase sent once it started; the new processor is stopped afterwards.
 */
export async function measureRecovery(
  kafka: Kafka,
  db: pg.Pool,
  running: Child,
  roleEnv: Record<string, string>,
  transactionsTopic: string,
  runId: string,
): Promise<RecoveryResult> {
  killGroup(running);
  const before = await committedRecords(db);
  const restartAt = performance.now();
  const engine = await startRole('processor', roleEnv);
  try {
    const probe = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await probe.connect();
    const probeTx = {
      id: `probe-${runId}`,
      clientId: 'c-1',
      kind: 'purchase',
      amount: 100,
      currency: 'UAH',
      time: new Date().toISOString(),
      categoryId: 5814,
      merchantId: 'm-1',
      geo: { lat: 50.45, lon: 30.52, country: 'UA' },
      originalId: null,
    };
    await probe.send({
      topic: transactionsTopic,
      messages: [{ key: 'c-1', value: JSON.stringify(probeTx) }],
    });
    await probe.disconnect();
    const recoveredAt = await waitForCommitted(db, before + 1);
    return { seconds: (recoveredAt - restartAt) / 1000, startupMs: engine.startupMs };
  } finally {
    killGroup(engine, 'SIGTERM');
  }
}
