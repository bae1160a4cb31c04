import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../platform/config.js';
import { kafkaSecurity } from '../platform/connection-security.js';
import { createKafka } from '../platform/kafka.js';
import { unlockIdOf } from '../platform/unlock-records.js';
import {
  eventually,
  ownInputTopics,
  ownOutputTopics,
  produceEvents,
  startTestProcessor,
} from './support/engine.js';
import { days, purchase } from './support/events.js';
import { wholeTopic } from './support/exact-outcome.js';
import { ENGINE_USER, startSecuredBroker } from './support/secured-broker.js';
import { migratedSchema, uniqueName } from './support/stack.js';

describe('a bank’s Kafka over TLS with SCRAM-SHA-512', () => {
  let broker: Awaited<ReturnType<typeof startSecuredBroker>>;
  beforeAll(async () => {
    broker = await startSecuredBroker();
  }, 180_000);
  afterAll(() => broker?.stop());

  it('is where the engine, configured by its variables alone, consumes the bank’s records and publishes unlocks', async () => {
    const settings = parseConfig({
      KAFKA_BROKERS: broker.address,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: broker.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: ENGINE_USER.username,
      KAFKA_SASL_PASSWORD_FILE: broker.passwordFile,
    });
    const kafka = createKafka(uniqueName('secured'), settings.KAFKA_BROKERS, kafkaSecurity(settings));
    const db = await migratedSchema();
    const inputs = await ownInputTopics(kafka);
    const outputs = await ownOutputTopics(kafka);
    const processor = await startTestProcessor(db.pool, inputs, uniqueName('group'), outputs, kafka);
    try {
      const clientId = uniqueName('c');
      const coffees = days('2026-11-01', 10, '08:00').map((time) =>
        purchase({ clientId, categoryId: 5814, time }),
      );
      await produceEvents(kafka, inputs, coffees);
      const published = await eventually(
        () => wholeTopic(kafka, outputs.unlocked),
        (records) => records.length === 3,
      );
      const unlocked = published.map((record) => JSON.parse(String(record.value)) as { unlockId: string });
      const achievements = ['first-purchase', 'week-streak', 'coffee-lover'];
      expect(unlocked.map((unlock) => unlock.unlockId).sort()).toEqual(
        achievements.map((achievement) => unlockIdOf(clientId, achievement)).sort(),
      );
    } finally {
      await processor.stop();
      await db.drop();
    }
  });

  it('refuses a wrong password, a client that does not speak TLS, and one that does not trust its CA', async () => {
    const connects = async (config: Parameters<typeof broker.client>[0]) => {
      const admin = broker.client({ connectionTimeout: 3_000, ...config }).admin();
      try {
        await admin.connect();
        await admin.describeCluster();
        return 'connected';
      } catch (error) {
        return (error as Error).name;
      } finally {
        await admin.disconnect();
      }
    };
    const { ssl, sasl } = broker.security();
    expect(await connects({ ssl, sasl })).toBe('connected');
    const wrongPassword = { ...broker.security().sasl, password: 'not-the-password' };
    expect(await connects({ ssl, sasl: wrongPassword })).toBe('KafkaJSSASLAuthenticationError');
    const unknownUser = { ...broker.security().sasl, username: 'someone-else' };
    expect(await connects({ ssl, sasl: unknownUser })).toBe('KafkaJSSASLAuthenticationError');
    // Without TLS, or trusting only the system's CAs, the client never gets as far as logging in.
    expect(await connects({ sasl: broker.security().sasl })).not.toBe('connected');
    expect(await connects({ ssl: true, sasl: broker.security().sasl })).not.toBe('connected');
  });
});
