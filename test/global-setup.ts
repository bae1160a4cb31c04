import type { TestProject } from 'vitest/node';
import { LOCAL_DATABASE_URL, LOCAL_OIDC_ISSUER } from '../platform/config.js';
import { LOCAL_BROKER } from '../scripts/stack/kafka.js';
import { localPostgresCa } from '../scripts/stack/postgres.js';
import { localServices, upStack } from '../scripts/stack/stack.js';
import { LOCAL_TEMPORAL } from '../scripts/stack/temporal.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    databaseUrl: string;
    temporalAddress: string;
    /** The CA of the local cluster's certificate, for trying `sslmode=verify-full`. */
    postgresCa: string;
    /** The staff identity provider's realm (the local Keycloak's unless OIDC_ISSUER names another). */
    oidcIssuer: string;
  }
}

/**
 * Starts the local stack for every service the environment does not point elsewhere, once per test run, and
 * hands the addresses to the suites. The servers keep running afterwards so the next run starts in seconds;
 * `npm run stack:down` stops them.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const services = localServices();
  await upStack(services);
  if (services.length > 0) {
    console.log(
      `local stack (${services.join(', ')}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  project.provide('kafkaBrokers', (process.env.KAFKA_BROKERS ?? LOCAL_BROKER).split(','));
  project.provide('databaseUrl', process.env.DATABASE_URL ?? LOCAL_DATABASE_URL);
  project.provide('temporalAddress', process.env.TEMPORAL_ADDRESS ?? LOCAL_TEMPORAL);
  project.provide('postgresCa', process.env.DATABASE_CA_FILE ?? localPostgresCa());
  project.provide('oidcIssuer', process.env.OIDC_ISSUER ?? LOCAL_OIDC_ISSUER);
}
