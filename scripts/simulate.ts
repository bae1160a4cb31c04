/**
 * `npm run simulate -- --clients N --rate R [--seconds S] [--days D] [--seed X]`: produces realistic card
 * traffic to the CONTRACT input topics at R records per second for S seconds (default 60; Ctrl-C stops early),
 * with event times spread over the last D days, so achievements unlock on a running system.
 */
import { parseArgs } from 'node:util';
import { Partitioners } from 'kafkajs';
import { config } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';
import { configuredTopics } from '../platform/topics.js';
import { traffic } from './simulator/traffic.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
  },
});
const [clients, rate, seconds, days, seed] = [
  values.clients,
  values.rate,
  values.seconds,
  values.days,
  values.seed,
].map(Number);
for (const [name, value] of Object.entries({ clients, rate, seconds, days, seed })) {
  if (!Number.isFinite(value) || value! < 0) throw new Error(`--${name} must be a non-negative number`);
}

const total = seconds! > 0 ? rate! * seconds! : Number.MAX_SAFE_INTEGER;
const endMs = Date.now();
const records = traffic({
  clients: clients!,
  seed: seed!,
  startMs: endMs - days! * 86_400_000,
  endMs,
  total: seconds! > 0 ? total : rate! * 3600,
});
const producer = createKafka('simulator', config().KAFKA_BROKERS).producer({
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();
let stopped = false;
process.once('SIGINT', () => (stopped = true));

const topics = configuredTopics();
let sent = 0;
const started = Date.now();
while (!stopped && sent < total) {
  const tick = Date.now();
  const due = Math.min(total, Math.floor(((tick - started) / 1000 + 0.1) * rate!)) - sent;
  const batch = {
    transactions: [] as { key: string; value: string }[],
    clientEvents: [] as { key: string; value: string }[],
  };
  for (let i = 0; i < due; i++) {
    const record = records.next();
    if (record.done) break;
    const kind = record.value.topic === 'transactions' ? 'transactions' : 'clientEvents';
    batch[kind].push({ key: record.value.value.clientId, value: JSON.stringify(record.value.value) });
  }
  const topicMessages = (['transactions', 'clientEvents'] as const)
    .filter((kind) => batch[kind].length > 0)
    .map((kind) => ({ topic: topics[kind], messages: batch[kind] }));
  if (topicMessages.length > 0) await producer.sendBatch({ topicMessages });
  sent += due;
  if (sent % Math.max(rate!, 1) < due) console.log(`simulate: ${sent} records sent`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await producer.disconnect();
console.log(`simulate: done, ${sent} records in ${((Date.now() - started) / 1000).toFixed(1)} s`);
