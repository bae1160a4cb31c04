import type { Admin } from 'kafkajs';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';

/** The partitions of each topic among `topic:partition` keys. */
function byTopic(keys: Iterable<string>): Map<string, number[]> {
  const topics = new Map<string, number[]>();
  for (const key of keys) {
    const at = key.lastIndexOf(':');
    const topic = key.slice(0, at);
    topics.set(topic, [...(topics.get(topic) ?? []), Number(key.slice(at + 1))]);
  }
  return topics;
}

/**
 * Consumer lag as the broker sees it, as KEDA's Kafka scaler does: for each partition assigned to this
 * instance, the partition's end against the offset the group committed there (the start of the log when it
 * committed none), as `achievements_consumer_lag`. Measured every `intervalMs` whether or not batches come,
 * so a stalled consumer shows its lag growing; a partition no longer assigned here is no longer reported by
 * this instance (its new owner reports it), and none is once the watch stops.
 */
export function startLagWatch(options: {
  admin: Admin;
  groupId: string;
  /** The `topic:partition`s assigned to this instance now. */
  assigned: () => ReadonlySet<string>;
  intervalMs: number;
}): { stop: () => void } {
  const log = logger('lag');
  const reported = new Set<string>();
  const forget = (key: string) => {
    const at = key.lastIndexOf(':');
    metrics.consumerLag.remove({ topic: key.slice(0, at), partition: key.slice(at + 1) });
    reported.delete(key);
  };
  const measure = async () => {
    const assigned = options.assigned();
    for (const key of reported) if (!assigned.has(key)) forget(key);
    const topics = byTopic(assigned);
    if (topics.size === 0) return;
    const groupOffsets = await options.admin.fetchOffsets({
      groupId: options.groupId,
      topics: [...topics.keys()],
    });
    for (const [topic, partitions] of topics) {
      const ends = await options.admin.fetchTopicOffsets(topic);
      const committed = groupOffsets.find((offsets) => offsets.topic === topic);
      for (const partition of partitions) {
        const end = ends.find((offsets) => offsets.partition === partition);
        if (!end) continue;
        const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
        const from = BigInt(offset) >= 0n ? BigInt(offset) : BigInt(end.low);
        const lag = BigInt(end.high) - from;
        metrics.consumerLag.set({ topic, partition: String(partition) }, Number(lag > 0n ? lag : 0n));
        reported.add(`${topic}:${partition}`);
      }
    }
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = measure().catch((error: unknown) => log.warn({ err: error }, 'consumer lag not measured'));
  }, options.intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      void running.then(() => {
        for (const key of [...reported]) forget(key);
      });
    },
  };
}
