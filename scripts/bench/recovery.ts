import { Partitioners, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { killGroup, startRole, stopRole, type Child } from '../children.js';
import { traffic } from '../simulator/traffic.js';

export interface RecoveryResult {
  /** From the kill until the new processor stored the unlock of a purchase sent once it started. */
  seconds: number;
  /** The new processor's own start. */
  startupMs: number;
  /** Records the killed processor had applied and not checkpointed, which the new one replayed first. */
  replayed: number;
}

/** Records the processor applied, by its metrics. */
async function eventsProcessed(child: Child): Promise<number> {
  const text = await (await fetch(`${child.metricsUrl}/metrics`)).text();
  return [...text.matchAll(/^achievements_events_processed_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

/**
 * (f) Recovery after kill -9: a burst of `burst` records (about one checkpoint interval of the engine's rate) is
 * applied by the running processor, which is killed at once, before a checkpoint stores them; a new processor
 * starts over the same state and group, and the time is taken until it has stored the unlock of a new client's
 * purchase sent once it started, which comes after the replay of its partition since the checkpoint.
 */
export async function measureRecovery(
  kafka: Kafka,
  db: pg.Pool,
  running: Child,
  roleEnv: Record<string, string>,
  topics: { transactions: string; clientEvents: string },
  options: { clients: number; burst: number; runId: string },
): Promise<RecoveryResult> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const nowMs = Date.now();
  const burst = [
    ...traffic({
      clients: options.clients,
      seed: 11,
      startMs: nowMs - 3_600_000,
      endMs: nowMs,
      total: options.burst,
    }),
  ];
  const processedBefore = await eventsProcessed(running);
  for (let i = 0; i < burst.length; i += 5_000) {
    const slice = burst.slice(i, i + 5_000);
    const messages = (kind: 'transactions' | 'client-events') =>
      slice
        .filter((r) => r.topic === kind)
        .map((r) => ({ key: r.value.clientId, value: JSON.stringify(r.value) }));
    await producer.sendBatch({
      topicMessages: [
        { topic: topics.transactions, messages: messages('transactions') },
        { topic: topics.clientEvents, messages: messages('client-events') },
      ],
    });
  }
  while ((await eventsProcessed(running)) - processedBefore < burst.length)
    await new Promise((resolve) => setTimeout(resolve, 20));
  killGroup(running);
  const killedAt = performance.now();
  const engine = await startRole('processor', roleEnv);
  try {
    const clientId = `probe-${options.runId}`;
    const probeTx = {
      id: `probe-${options.runId}`,
      clientId,
      kind: 'purchase',
      amount: 100,
      currency: 'UAH',
      time: new Date().toISOString(),
      categoryId: 5814,
      merchantId: 'm-1',
      geo: { lat: 50.45, lon: 30.52, country: 'UA' },
      originalId: null,
    };
    await producer.send({
      topic: topics.transactions,
      messages: [{ key: clientId, value: JSON.stringify(probeTx) }],
    });
    for (;;) {
      const { rows } = await db.query('SELECT 1 FROM achievement_unlocks WHERE client_id = $1', [clientId]);
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      seconds: (performance.now() - killedAt) / 1000,
      startupMs: engine.startupMs,
      replayed: await eventsProcessed(engine),
    };
  } finally {
    await producer.disconnect();
    await stopRole(engine);
  }
}
