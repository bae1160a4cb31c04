import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { BackfillPolicy } from '../rules/backfill-awards.js';
import type { RuleProblem } from '../rules/rule-validation.js';
import { problem } from './problem.js';
import type { ReplayStarter } from './replay-starter.js';
import type { BackfillRequest, ReplayStore } from './replay-store.js';

/** The policy of a backfill (CONTRACT §6). */
export const backfillPolicy = z
  .object({
    notify: z.boolean().optional(),
    levels: z.enum(['all', 'highest']).optional(),
    maxPoints: z.number().int().nonnegative().optional(),
  })
  .strict()
  .openapi('BackfillPolicy', {
    description:
      'notify: push the unlocks to clients (default) or award silently; levels: award every level reached (default) or only the highest; maxPoints: the most points the backfill grants',
  });

/** 409: a run of the version's backfill has not ended. */
export const backfillRunning = (c: Context, workflowId: string) =>
  problem(c, {
    title: 'Conflict',
    status: 409,
    detail: `A backfill of this version is still running: see ${workflowId} in the Temporal UI, or cancel it there.`,
  });

/**
 * The backfill an activation asks for, checked before anything changes: not from the future, and not from
 * before the history Kafka still holds in full (a clear refusal, never a backfill of part of it).
 */
export async function backfillRequest(
  body: { backfillFrom?: string; policy?: Partial<BackfillPolicy> },
  starter: ReplayStarter,
): Promise<{ request?: BackfillRequest } | { problems: RuleProblem[] }> {
  if (body.backfillFrom === undefined)
    return body.policy === undefined
      ? {}
      : {
          problems: [{ pointer: '/policy', detail: 'a policy is for a backfill: give backfillFrom with it' }],
        };
  const fromMs = Date.parse(body.backfillFrom);
  if (fromMs > Date.now())
    return {
      problems: [{ pointer: '/backfillFrom', detail: 'is in the future; a backfill replays history' }],
    };
  const gap = await starter.historyGap(fromMs);
  if (gap) return { problems: [{ pointer: '/backfillFrom', detail: gap }] };
  return {
    request: {
      replayId: randomUUID(),
      fromMs,
      policy: body.policy ?? {},
      topics: starter.topics,
      groupId: starter.groupId,
    },
  };
}

/** Replays: the starter (history, Temporal) and their rows in PostgreSQL. */
export interface ReplayDependencies {
  starter: ReplayStarter;
  store: ReplayStore;
}
