/**
 * The engine's entry point. `tsx main.ts` (npm start) brings up the local stack for every service whose
 * address is not configured, then runs all three roles in this process; `tsx main.ts processor|worker|api`
 * runs one role alone, as a deployment does, against the configured addresses.
 */
import { Client, Connection } from '@temporalio/client';
import { startProcessor } from './actors/processor.js';
import { postgresAdminReads } from './api/admin-reads.js';
import { clientErasure } from './api/client-erasure.js';
import { kafkaHistory } from './api/client-history.js';
import { budgetClosures } from './api/budgets.js';
import { cachedAchievements } from './api/client-cache.js';
import { postgresReads } from './api/client-reads.js';
import { postgresDeadLetters } from './api/dead-letter-store.js';
import { postgresProposals } from './api/proposal-store.js';
import { DEFAULT_EDGE } from './api/edge.js';
import { rewardDelivery } from './api/reward-delivery.js';
import { postgresRuleAdmin } from './api/rule-admin-store.js';
import { temporalReplays } from './api/replay-starter.js';
import { postgresReplays } from './api/replay-store.js';
import { startApi } from './api/server.js';
import { loadCatalog, readRuleFiles } from './platform/catalog-files.js';
import { loadContext } from './platform/engine-state.js';
import { startRuleFeed } from './platform/rule-feed.js';
import { seedDefaultRules } from './platform/rule-store.js';
import { config, ConfigError, reloadConfig } from './platform/config.js';
import { startSandboxPartners } from './platform/partner-sandbox.js';
import {
  checkHealth,
  dependencyProbes,
  kafkaProbe,
  postgresProbe,
  type HealthProbe,
} from './platform/health.js';
import { Readiness } from './platform/readiness.js';
import { startMetricsServer } from './platform/metrics-server.js';
import { startBackupRole } from './platform/backup-role.js';
import { createKafka, lazyProducer } from './platform/kafka.js';
import { logger } from './platform/logger.js';
import { configuredGroups, configuredTopics } from './platform/topics.js';
import { createPool, migrate } from './platform/postgres.js';
import { exitOnSignals, failFast, onShutdown, shutdown } from './platform/shutdown.js';
import { temporalConfig } from './temporal.config.js';
import { partnersOf } from './rules/catalog.js';
import { startWorkerRole } from './workflows/worker-role.js';

const ROLES = ['processor', 'worker', 'api'] as const;
/** Roles started only when named: streaming backups need their key and store (README, "Backups"). */
const NAMED_ONLY = ['backup'] as const;
type Role = (typeof ROLES)[number] | (typeof NAMED_ONLY)[number];

/** A bad setting is one line naming the variable and what it expects, not a stack trace. */
function checkConfig() {
  try {
    config();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`achievements: ${error.message}`);
    process.exit(1);
  }
}

checkConfig();
const log = logger('main');

type Stop = () => Promise<void>;

/** The engine's PostgreSQL schema, as configured (DATABASE_URL, DATABASE_SCHEMA). */
const configuredPool = () => createPool(config().DATABASE_URL, config().DATABASE_SCHEMA);

/** A running role: how to stop it, and what it needs to be ready (its dependencies, its own state). */
interface StartedRole {
  stop: Stop;
  probes: Record<string, HealthProbe>;
}

/** How a backfill's replay runs: chunks between checkpoints, and how soon a silent worker's is taken over. */
function backfillRun() {
  const { BACKFILL_CHUNK, BACKFILL_CHUNK_RECORDS, BACKFILL_HEARTBEAT_TIMEOUT } = config();
  return {
    chunkMs: BACKFILL_CHUNK,
    ...(BACKFILL_CHUNK_RECORDS ? { chunkRecords: BACKFILL_CHUNK_RECORDS } : {}),
    maxHistoryLength: 10_000,
    heartbeatTimeoutMs: BACKFILL_HEARTBEAT_TIMEOUT,
  };
}

const starters: Record<Role, () => Promise<StartedRole>> = {
  processor: async () => {
    const { BANK_TIME_ZONE, ACTOR_IDLE_TIMEOUT, DEPENDENCY_RETRY_BUDGET, KAFKA_SESSION_TIMEOUT } = config();
    const { CHECKPOINT_INTERVAL, CHECKPOINT_EVENTS } = config();
    const db = configuredPool();
    const topics = configuredTopics();
    const rules = await startRuleFeed(db);
    const kafka = createKafka('achievements-processor');
    const processor = await startProcessor({
      kafka,
      db,
      rules,
      zone: BANK_TIME_ZONE,
      actorIdleMs: ACTOR_IDLE_TIMEOUT,
      checkpoints: { intervalMs: CHECKPOINT_INTERVAL, events: CHECKPOINT_EVENTS },
      groupId: configuredGroups().processors,
      topics: {
        transactions: topics.transactions,
        clientEvents: topics.clientEvents,
        redrive: topics.redrive,
      },
      outputs: topics,
      deadLetterTopic: topics.deadLetters,
      sessionTimeoutMs: KAFKA_SESSION_TIMEOUT,
      retryBudgetMs: DEPENDENCY_RETRY_BUDGET,
      onFailure: (error) => failFast('processor', error),
    });
    return {
      stop: async () => {
        await processor.stop();
        rules.stop();
        await db.end();
      },
      probes: {
        postgres: postgresProbe(db),
        kafka: kafkaProbe(kafka),
        partitions: () =>
          processor.assigned().size > 0
            ? Promise.resolve()
            : Promise.reject(new Error('no partition of the input topics is assigned to this processor')),
      },
    };
  },
  worker: async () => {
    const { address, security, namespace, taskQueues } = temporalConfig();
    const db = configuredPool();
    const rules = await startRuleFeed(db);
    const worker = await startWorkerRole(
      config(),
      rules,
      {
        address,
        security,
        namespace,
        taskQueue: taskQueues.rewards,
        replayTaskQueue: taskQueues.replays,
        backfillRewardTaskQueue: taskQueues.backfillRewards,
      },
      (error) => failFast('worker', error),
    );
    return {
      stop: async () => {
        await worker.stop();
        rules.stop();
        await db.end();
      },
      probes: worker.probes,
    };
  },
  backup: () => startBackupRole((error) => failFast('backup', error)),
  api: async () => {
    const { PORT } = config();
    const pool = configuredPool();
    const topics = configuredTopics();
    const rules = await startRuleFeed(pool);
    const everLive = () => rules.book().everLive();
    const { address, security, namespace, taskQueues } = temporalConfig();
    const temporal = Connection.lazy({ address, ...security });
    const probes = dependencyProbes({ kafka: createKafka('achievements-api'), pool, temporal });
    const client = new Client({ connection: temporal, namespace });
    const partnerCallbacks = rewardDelivery(pool, client, config().partners);
    const { JWT_SECRET, JWT_PREVIOUS_SECRET, JWT_JWKS_URL, JWT_MAX_LIFETIME_S, BANK_TIME_ZONE, OIDC_ISSUER } =
      config();
    const admin = postgresAdminReads(pool, everLive, BANK_TIME_ZONE);
    const reads = postgresReads(pool, everLive);
    const cached = cachedAchievements(pool, reads, config().API_CACHED_CLIENTS);
    const redriveProducer = lazyProducer(createKafka('achievements-redrive'));
    const stopServer = await startApi(
      {
        checkHealth: () => checkHealth(probes),
        partnerCallbacks,
        auth: {
          ...(JWT_JWKS_URL
            ? { jwksUrl: JWT_JWKS_URL }
            : {
                secret: JWT_SECRET,
                ...(JWT_PREVIOUS_SECRET ? { previousSecret: JWT_PREVIOUS_SECRET } : {}),
              }),
          ...(OIDC_ISSUER
            ? {
                oidc: { issuer: OIDC_ISSUER, audience: config().OIDC_AUDIENCE },
                staffOnlyFromOidc: config().NODE_ENV === 'production',
              }
            : {}),
          maxLifetimeS: JWT_MAX_LIFETIME_S,
        },
        me: {
          catalogs: () => ({ live: rules.book().active(), everLive: everLive() }),
          zone: BANK_TIME_ZONE,
          reads: cached.reads,
          keptAnswers: config().API_CACHED_CLIENTS,
          budgetsClosed: budgetClosures(pool, () => rules.book().active()),
        },
        rules: postgresRuleAdmin(pool, {
          zone: BANK_TIME_ZONE,
          configuredPartners: () => config().partners.keys(),
        }),
        replays: {
          starter: temporalReplays({
            kafka: createKafka('achievements-replays'),
            temporal: client,
            taskQueue: taskQueues.replays,
            topics: { transactions: topics.transactions, clientEvents: topics.clientEvents },
            groupId: configuredGroups().processors,
            run: backfillRun(),
          }),
          store: postgresReplays(pool),
        },
        edge: { ...DEFAULT_EDGE, corsOrigins: config().CORS_ORIGINS },
        trustedProxyHops: config().TRUSTED_PROXY_HOPS,
        admin,
        privacy: {
          db: pool,
          erasure: clientErasure(pool, client, topics.erasures),
          audit: admin.audit,
          catalog: everLive,
          zone: BANK_TIME_ZONE,
        },
        console: {
          temporalUi: config().TEMPORAL_UI_URL,
          namespace,
          ...(OIDC_ISSUER ? { oidc: { issuer: OIDC_ISSUER, clientId: config().OIDC_CLIENT_ID } } : {}),
        },
        approvals: { mode: config().ADMIN_APPROVALS, proposalTtlMs: config().ADMIN_PROPOSAL_TTL },
        proposals: postgresProposals(pool),
        deadLetters: postgresDeadLetters(pool, redriveProducer.get, {
          inputs: [topics.transactions, topics.clientEvents],
          redrive: topics.redrive,
        }),
        explain: {
          ...reads,
          contextOf: (clientId) => loadContext(pool, clientId),
          refusedOf: async (clientId) => (await reads.achievementsOf(clientId)).refused ?? [],
          historyOf: kafkaHistory(createKafka('achievements-explain'), {
            transaction: topics.transactions,
            'client-event': topics.clientEvents,
          }),
          zone: BANK_TIME_ZONE,
        },
      },
      PORT,
    );
    return {
      stop: async () => {
        await stopServer();
        rules.stop();
        await cached.stop();
        await Promise.all([pool.end(), temporal.close(), redriveProducer.disconnect()]);
      },
      probes,
    };
  },
};

function chosenRoles(argument: string | undefined): readonly Role[] {
  if (argument === undefined) return ROLES;
  const known: readonly string[] = [...ROLES, ...NAMED_ONLY];
  if (!known.includes(argument)) {
    throw new Error(`unknown role "${argument}"; expected one of ${known.join(', ')}, or migrate`);
  }
  return [argument as Role];
}

/** The repository's catalog becomes version 1 of each default rule, once per database. */
async function seedRules() {
  const db = configuredPool();
  try {
    const seeded = await seedDefaultRules(db, readRuleFiles());
    if (seeded.length > 0) log.info({ seeded }, 'default rules seeded');
  } finally {
    await db.end();
  }
}

/**
 * Partners of the catalog with no PARTNER_<ID>_URL get a sandbox on loopback when run locally; answers what
 * stops them (to be registered after the roles, so they stop first and their last callbacks reach the API).
 */
async function startLocalPartners(): Promise<Stop> {
  const named = partnersOf(loadCatalog());
  const sandboxes = await startSandboxPartners(named, process.env, config().PARTNER_SANDBOX_DELAY);
  if (sandboxes.length > 0) {
    reloadConfig();
    log.info({ partners: sandboxes.map(({ id, url }) => ({ id, url })) }, 'sandbox partners started');
  }
  return async () => {
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  };
}

/** What `npm start` tells a newcomer once every role runs: where to look, and how to get a token. */
async function printWhereEverythingIs() {
  const api = `http://127.0.0.1:${config().PORT}`;
  const { TEMPORAL_UI_URL } = await import('./scripts/stack/temporal.js');
  const lines = [
    `API          ${api}  (try ${api}/health)`,
    `API docs     ${api}/docs  (OpenAPI: ${api}/openapi.json)`,
    `console      ${api}/console  (sign in at Keycloak as admin-1, admin-2 or support-1: README; or with a token)`,
    `approvals    ${config().ADMIN_APPROVALS === 'single' ? 'one admin acts alone (ADMIN_APPROVALS=single)' : 'four-eyes: one admin proposes, another approves'}`,
    `metrics      http://127.0.0.1:${config().METRICS_PORT}/metrics  (every role's, on a port of its own)`,
    ...(process.env.TEMPORAL_ADDRESS ? [] : [`Temporal UI  ${TEMPORAL_UI_URL}`]),
    'a token      npm run token -- --client c-0   (or --role admin --sub emp-1)',
    'traffic      npm run simulate',
  ];
  console.log(`\nThe achievements engine is running:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
}

/** Brings the database to the current schema and seeds the default rules (every start does; a Job may alone). */
async function prepareDatabase() {
  const applied = await migrate(config().DATABASE_URL, config().DATABASE_SCHEMA);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');
  await seedRules();
}

async function main() {
  // `tsx main.ts migrate`: what a deployment's migration Job runs before the roles roll out.
  if (process.argv[2] === 'migrate') {
    await prepareDatabase();
    return;
  }
  const roles = chosenRoles(process.argv[2]);
  exitOnSignals();
  // One per process, whichever roles run in it; registered first, so it stops last and shows the drain.
  const readiness = new Readiness();
  const metricsServer = await startMetricsServer(config().METRICS_PORT, {
    health: { readiness, maxLoopDelayMs: config().LIVENESS_MAX_LOOP_DELAY },
  });
  onShutdown('metrics server', () => metricsServer.stop());
  let stopLocalPartners: Stop | undefined;
  if (process.argv[2] === undefined) {
    const { localServices, upStack } = await import('./scripts/stack/stack.js');
    await upStack(localServices());
    stopLocalPartners = await startLocalPartners();
  }
  await prepareDatabase();
  const started = await Promise.allSettled(roles.map((role) => starters[role]()));
  // Registered in ROLES order so shutdown runs in reverse: the API stops taking requests first, then the
  // worker drains, then the processor commits and leaves its group. Roles that did start are registered
  // even when another failed, so the failure path still stops them; the sandbox partners, registered last,
  // stop before all of them.
  started.forEach((result, i) => {
    if (result.status !== 'fulfilled') return;
    onShutdown(roles[i]!, result.value.stop);
    readiness.add(result.value.probes);
  });
  if (stopLocalPartners) onShutdown('partner sandboxes', stopLocalPartners);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  log.info({ roles }, 'engine running');
  if (process.argv[2] === undefined) await printWhereEverythingIs();
}

main().catch(async (error: unknown) => {
  log.fatal({ err: error }, 'start-up failed');
  await shutdown();
  process.exit(1);
});
