import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { backup, restore, type BackupManifest } from '../platform/backup.js';
import { createPool } from '../platform/postgres.js';
import { createActivities } from '../workflows/activities.js';
import { createPartnerActivities } from '../workflows/partner-activities.js';
import { reconcileReward } from '../workflows/reward-reconcile.js';
import { startRewardStarter } from '../workflows/reward-starter.js';
import { startWorker } from '../workflows/worker.js';
import {
  catalog,
  eventually,
  ownInputTopics,
  ownOutputTopics,
  processedToEnds,
  produceEvents,
  startTestProcessor,
} from './support/engine.js';
import { days, purchase } from './support/events.js';
import { temporalClient } from './support/replays.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { TOPICS } from '../platform/topics.js';

describe('rewards granted after a backup, once that backup is restored', () => {
  const kafka = testKafka();
  const restoredUrl = Object.assign(new URL(inject('databaseUrl')), {
    pathname: '/achievements_restore',
  }).toString();
  const stops: (() => Promise<unknown>)[] = [];
  let schema: string | undefined;
  let restoredPool: pg.Pool | undefined;

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    if (schema) await restoredPool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await restoredPool?.end();
  });

  /**
   * The engine over `db`: a processor, and the worker role's reward worker and starter (the starter reconciling
   * unlocks whose workflow already exists), on the test's topics, group and queue. Returns its stop function.
   */
  async function startEngine(
    db: pg.Pool,
    wiring: {
      topics: Awaited<ReturnType<typeof ownInputTopics>>;
      outputs: Awaited<ReturnType<typeof ownOutputTopics>>;
      groupId: string;
      starterGroup: string;
      taskQueue: string;
      temporal: Awaited<ReturnType<typeof temporalClient>>['client'];
    },
  ) {
    const producer = kafka.producer();
    await producer.connect();
    const activities = createActivities({
      db,
      producer,
      catalog: () => catalog,
      pointsExpiryMs: 365 * 86_400_000,
      tiers: { silver: 1000, gold: 3000 },
      pushTopic: TOPICS.notifications,
    });
    const stopWorker = await startWorker({
      address: inject('temporalAddress'),
      namespace: 'default',
      taskQueue: wiring.taskQueue,
      activities,
      partnerActivities: createPartnerActivities({
        partners: new Map(),
        pseudonymKey: 'test-pseudonym-key-of-at-least-32-chars',
        publicBaseUrl: 'http://127.0.0.1:1',
      }),
      partners: [],
      prebuilt: false,
    });
    const stopStarter = await startRewardStarter({
      kafka,
      db,
      temporal: wiring.temporal,
      taskQueue: wiring.taskQueue,
      level: ({ achievementId }) => Promise.resolve(catalog.achievements.get(achievementId)?.level),
      callbackTimeoutMs: 60_000,
      partnerRetryMs: 60_000,
      groupId: wiring.starterGroup,
      topic: wiring.outputs.unlocked,
      deadLetterTopic: TOPICS.deadLetters,
      reconcile: (input) => reconcileReward({ db, temporal: wiring.temporal, activities }, input),
    });
    const processor = await startTestProcessor(db, wiring.topics, wiring.groupId, wiring.outputs);
    return async () => {
      await processor.stop();
      await stopStarter();
      await stopWorker();
      await producer.disconnect();
    };
  }

  const grants = async (db: pg.Pool) =>
    (
      await db.query<{ key: string; client_id: string; points: number }>(
        `SELECT idempotency_key AS key, client_id, points FROM loyalty_ledger WHERE kind = 'grant'
          ORDER BY idempotency_key`,
      )
    ).rows;
  const rewards = async (db: pg.Pool) =>
    (
      await db.query<{ reward_id: string; status: string }>(
        'SELECT reward_id, status FROM rewards ORDER BY reward_id',
      )
    ).rows;

  it('are written again from their workflows: the restored ledger holds every grant, once', async () => {
    const db = await migratedSchema();
    schema = db.schema;
    stops.push(() => db.drop());
    const temporal = await temporalClient();
    stops.push(() => temporal.close());
    const wiring = {
      topics: await ownInputTopics(kafka, 3),
      outputs: await ownOutputTopics(kafka),
      groupId: uniqueName('group'),
      starterGroup: uniqueName('starter'),
      taskQueue: uniqueName('rewards'),
      temporal: temporal.client,
    };
    const clients = Array.from({ length: 20 }, () => uniqueName('c'));
    // Before the backup: each client's first purchase. After it: a week of them, 8 000 UAH in November.
    const firstPurchases = clients.map((clientId) =>
      purchase({ clientId, amount: 100_000, time: '2026-11-01T12:00:00+02:00' }),
    );
    const week = clients.flatMap((clientId) =>
      days('2026-11-02', 7).map((time) => purchase({ clientId, amount: 100_000, time })),
    );

    let stopEngine = await startEngine(db.pool, wiring);
    await produceEvents(kafka, wiring.topics, firstPurchases);
    await processedToEnds(db.pool, kafka, wiring.topics);
    await eventually(
      () => rewards(db.pool),
      (rows) => rows.length === clients.length && rows.every((row) => row.status === 'granted'),
    );
    const identity = await generateX25519Identity();
    const manifestPath = await backup({
      databaseUrl: inject('databaseUrl'),
      schema: db.schema,
      recipient: await identityToRecipient(identity),
      dir: await mkdtemp(join(tmpdir(), 'backup-')),
    });
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;

    // Granted after the backup: week-streak and big-spender-bronze of every client.
    await produceEvents(kafka, wiring.topics, week);
    await processedToEnds(db.pool, kafka, wiring.topics);
    const granted = await eventually(
      () => grants(db.pool),
      (rows) => rows.length === clients.length * 3,
    );
    const settled = await eventually(
      () => rewards(db.pool),
      (rows) => rows.length === clients.length * 3 && rows.every((row) => row.status === 'granted'),
      90_000,
    );
    await stopEngine();

    expect(await restore({ databaseUrl: restoredUrl, manifestPath, identity, kafka })).toEqual(manifest);
    restoredPool = createPool(restoredUrl, db.schema);
    expect(await grants(restoredPool)).toHaveLength(clients.length);
    stopEngine = await startEngine(restoredPool, wiring);
    stops.push(stopEngine);
    // The restored processor unlocks the week again; its rewards' workflows exist, so they are reconciled.
    await processedToEnds(restoredPool, kafka, wiring.topics);
    const restoredGrants = await eventually(
      () => grants(restoredPool!),
      (rows) => rows.length >= granted.length,
    );
    expect(restoredGrants).toEqual(granted);
    await eventually(
      () => rewards(restoredPool!),
      (rows) => rows.length >= settled.length,
    );
    expect(await rewards(restoredPool)).toEqual(settled);
    const balance = await restoredPool.query<{ points: string }>(
      'SELECT sum(points) AS points FROM loyalty_ledger',
    );
    expect(Number(balance.rows[0]!.points)).toBe(clients.length * (50 + 150 + 100));
  }, 180_000);
});
