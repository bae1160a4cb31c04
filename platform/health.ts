import type { Connection } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { metrics } from './metrics.js';

export type Dependency = 'kafka' | 'postgres' | 'temporal';

export interface DependencyStatus {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'up' | 'down';
  dependencies: Record<Dependency, DependencyStatus>;
}

export type HealthProbe = () => Promise<unknown>;

const PROBE_TIMEOUT_MS = 2_000;

async function check(probe: HealthProbe): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

const DEPENDENCIES: readonly string[] = ['kafka', 'postgres', 'temporal'] satisfies Dependency[];

/**
 * Asks every probe at once; the report is up only when all of them answer. What each dependency's probe found
 * is the `achievements_dependency_up` gauge (a role's own checks, a partition assignment, are not).
 */
export async function checkHealth<P extends Record<string, HealthProbe>>(
  probes: P,
): Promise<{ status: 'up' | 'down'; dependencies: Record<keyof P, DependencyStatus> }> {
  const names = Object.keys(probes) as (keyof P & string)[];
  const results = await Promise.all(names.map((name) => check(probes[name]!)));
  names.forEach((name, i) => {
    if (DEPENDENCIES.includes(name))
      metrics.dependencyUp.set({ dependency: name }, results[i]!.status === 'up' ? 1 : 0);
  });
  const dependencies = Object.fromEntries(names.map((name, i) => [name, results[i]])) as Record<
    keyof P,
    DependencyStatus
  >;
  const status = results.every((result) => result.status === 'up') ? 'up' : 'down';
  return { status, dependencies };
}

/** A metadata request to the Kafka cluster. */
export const kafkaProbe = (kafka: Kafka) => async () => {
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
};

/** A query on the pool. */
export const postgresProbe = (pool: pg.Pool) => () => pool.query('SELECT 1');

/** A Temporal system-info call, bounded as every probe is. */
export const temporalProbe = (temporal: Connection) => () =>
  temporal.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({}));

/** Probes of the real dependencies: a metadata request, a query and a Temporal system-info call. */
export function dependencyProbes(deps: { kafka: Kafka; pool: pg.Pool; temporal: Connection }) {
  return {
    kafka: kafkaProbe(deps.kafka),
    postgres: postgresProbe(deps.pool),
    temporal: temporalProbe(deps.temporal),
  } satisfies Record<Dependency, HealthProbe>;
}
