import { Partitioners, type Kafka } from 'kafkajs';
import { traffic, type SimulatedRecord } from '../simulator/traffic.js';
import { createTopics } from '../../platform/topic-creation.js';
import { topicsOf, type EngineTopics } from '../../platform/topics.js';

export interface Workload {
  records: SimulatedRecord[];
  clients: number;
  /** Put before the contract's topic names (KAFKA_TOPIC_PREFIX of the engine benchmarked). */
  prefix: string;
  topics: EngineTopics;
}

/** The benchmark's events: simulator traffic over the last 60 days, generated again exactly from its seed. */
export function generateWorkload(total: number, clients: number, runId: string): Workload {
  const endMs = Date.parse('2026-11-20T12:00:00Z');
  const records = [...traffic({ clients, seed: 42, startMs: endMs - 60 * 86_400_000, endMs, total })];
  const prefix = `bench-${runId}.`;
  return { records, clients, prefix, topics: topicsOf(prefix) };
}

/** Creates the workload's topics and produces every record, keyed by client; answers records per second. */
export async function produceWorkload(kafka: Kafka, workload: Workload, partitions = 6): Promise<number> {
  await createTopics(
    kafka,
    Object.values(workload.topics).map((topic) => ({ topic, numPartitions: partitions })),
  );
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  const chunk = 5_000;
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < workload.records.length; i += chunk) {
    const slice = workload.records.slice(i, i + chunk);
    const messages = (kind: SimulatedRecord['topic']) =>
      slice
        .filter((r) => r.topic === kind)
        .map((r) => ({ key: r.value.clientId, value: JSON.stringify(r.value) }));
    inFlight.push(
      producer.sendBatch({
        topicMessages: [
          { topic: workload.topics.transactions, messages: messages('transactions') },
          { topic: workload.topics.clientEvents, messages: messages('client-events') },
        ],
      }),
    );
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  return workload.records.length / ((performance.now() - started) / 1000);
}
