import { serve } from '@hono/node-server';
import { logger } from '../platform/logger.js';
import { createApp, type ApiDependencies } from './app.js';
import type { ProposalStore } from './proposal-store.js';
import { dispatchThrough, resumeUnanswered, type Dispatch } from './proposals.js';
import { ruleEvaluation, stopRuleEvaluation } from './rule-evaluation.js';

/** How often this process looks for approved proposals whose action never answered (proposals.ts). */
const SWEEP_INTERVAL_MS = 60_000;

function sweepUnansweredApprovals(store: ProposalStore, dispatch: Dispatch) {
  const log = logger('api');
  const sweep = () =>
    resumeUnanswered(store, dispatch).then(
      (sent) => sent > 0 && log.warn({ sent }, 'approved proposals left unanswered were sent again'),
      (error: unknown) => log.warn({ err: error }, 'could not look for unanswered approved proposals'),
    );
  void sweep();
  return setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
}

/**
 * Listens on `port`; the returned function stops accepting requests, waits for open ones, then stops the rule
 * evaluation threads (started here, so the first simulation does not wait for them).
 */
export async function startApi(deps: ApiDependencies, port: number): Promise<() => Promise<void>> {
  const app = createApp(deps);
  ruleEvaluation();
  const sweep = sweepUnansweredApprovals(deps.proposals, dispatchThrough(app));
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, () => resolve(listening));
    listening.once('error', reject);
  });
  logger('api').info({ port }, 'HTTP API listening');
  return async () => {
    clearInterval(sweep);
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
