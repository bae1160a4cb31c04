import { serve } from '@hono/node-server';
import { logger } from '../platform/logger.js';
import { createApp, type ApiDependencies } from './app.js';
import { ruleEvaluation, stopRuleEvaluation } from './rule-evaluation.js';

/**
 * Listens on `port`; the returned function stops accepting requests, waits for open ones, then stops the rule
 * evaluation threads (started here, so the first simulation does not wait for them).
 */
export async function startApi(deps: ApiDependencies, port: number): Promise<() => Promise<void>> {
  const app = createApp(deps);
  ruleEvaluation();
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, () => resolve(listening));
    listening.once('error', reject);
  });
  logger('api').info({ port }, 'HTTP API listening');
  return async () => {
    try {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
    } finally {
      await stopRuleEvaluation();
    }
  };
}
