import { kafkaRunning, startKafka, stopKafka } from './kafka.js';
import { keycloakRunning, startKeycloak, stopKeycloak } from './keycloak.js';
import { postgresRunning, startPostgres, stopPostgres } from './postgres.js';
import { StackError } from './processes.js';
import { startTemporal, stopTemporal, temporalRunning } from './temporal.js';

export const SERVICES = ['kafka', 'temporal', 'postgres', 'keycloak'] as const;
export type Service = (typeof SERVICES)[number];

/** The variable that, when set, points the engine at an existing deployment of the service instead. */
const OVERRIDE: Record<Service, string> = {
  kafka: 'KAFKA_BROKERS',
  temporal: 'TEMPORAL_ADDRESS',
  postgres: 'DATABASE_URL',
  keycloak: 'OIDC_ISSUER',
};

/** The services this environment leaves to the local stack (those whose address variable is unset). */
export function localServices(env: NodeJS.ProcessEnv = process.env): Service[] {
  return SERVICES.filter((service) => !env[OVERRIDE[service]]);
}

function topicPartitions(env: NodeJS.ProcessEnv): number {
  const partitions = Number(env.KAFKA_TOPIC_PARTITIONS ?? 6);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new StackError(
      'kafka',
      `KAFKA_TOPIC_PARTITIONS must be a positive integer, got "${env.KAFKA_TOPIC_PARTITIONS}"`,
    );
  }
  return partitions;
}

const starters: Record<Service, (env: NodeJS.ProcessEnv) => Promise<void>> = {
  kafka: (env) => startKafka(topicPartitions(env)),
  temporal: () => startTemporal(),
  postgres: () => startPostgres(),
  keycloak: () => startKeycloak(),
};

const stoppers: Record<Service, () => Promise<boolean> | boolean> = {
  kafka: stopKafka,
  temporal: stopTemporal,
  postgres: stopPostgres,
  keycloak: stopKeycloak,
};

export const running: Record<Service, () => boolean> = {
  kafka: kafkaRunning,
  temporal: temporalRunning,
  postgres: postgresRunning,
  keycloak: keycloakRunning,
};

/** Starts the given services side by side and waits until each answers; idempotent. */
export async function upStack(services: readonly Service[], env: NodeJS.ProcessEnv = process.env) {
  const results = await Promise.allSettled(services.map((service) => starters[service](env)));
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length > 0) {
    const reasons = failures.map((failure): unknown => failure.reason);
    throw new AggregateError(reasons, reasons.map(String).join('\n'));
  }
}

/** Stops the given services (data stays on disk); answers which were running. */
export async function downStack(services: readonly Service[]): Promise<Service[]> {
  const stopped: Service[] = [];
  for (const service of services) if (await stoppers[service]()) stopped.push(service);
  return stopped;
}
