import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';
import type pg from 'pg';
import { z } from 'zod';
import type { UnlockedUnder } from '../platform/rule-feed.js';
import type { RuleLevel } from '../rules/rule-schema.js';
import { sendDeadLetters } from '../platform/dead-letter-sink.js';
import { deadLetter, type DeadLetter } from '../platform/dead-letters.js';
import { identifier } from '../platform/text.js';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { erasedClients, isErasedSince } from './ledger.js';
import { BACKFILL_HEADER } from './replay-contract.js';
import { rewardWorkflowId, SEARCH_ATTRIBUTES, type RewardInput } from './reward-contract.js';
import { rewardWorkflow } from './reward.workflow.js';

/** How many workflow starts run side by side. */
const START_SLICE = 100;

/** What the starter needs of an `achievements.unlocked.v1` record, with ids fit to name a workflow. */
const unlockedSchema = z.object({
  unlockId: identifier(),
  clientId: identifier(),
  achievementId: identifier(64),
  points: z.number().int().min(0).max(1_000_000),
  ruleId: identifier(64).optional(),
  ruleVersion: z.number().int().positive().optional(),
  unlockedAt: z.iso.datetime({ offset: true }).optional(),
  occurrence: z
    .string()
    .regex(/^[0-9A-Z-]{1,16}$/)
    .nullable()
    .optional(),
  /** Past its rule's budget (CONTRACT §2): no points, no partner reward. */
  beyondBudget: z.literal(true).optional(),
});

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid';
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return undefined;
  }
}

export interface StarterOptions {
  kafka: Kafka;
  /** Keeps dead letters too large to copy whole into the DLQ. */
  db: pg.Pool;
  temporal: Client;
  taskQueue: string;
  /** Finds the level an unlock was earned at (its partner), in the rule version it names. */
  level: (unlock: UnlockedUnder) => Promise<RuleLevel | undefined>;
  callbackTimeoutMs: number;
  /** PARTNER_RETRY_WINDOW: how long each new reward keeps asking a partner that does not answer. */
  partnerRetryMs: number;
  groupId: string;
  /** The unlock topic (`achievements.unlocked.v1`). */
  topic: string;
  /** Where unlock records it cannot reward go. */
  deadLetterTopic: string;
  /** For an unlock whose workflow already exists: writes what PostgreSQL lost of it again (reconcileReward). */
  reconcile?: (input: RewardInput) => Promise<unknown>;
  /** Told when its consumer crashed and kafkajs will not restart it: the worker role ends to be restarted clean. */
  onFailure?: (error: Error) => void;
}

/** What starting a reward needs: where, how to find the unlock's partner, and its partner timeouts. */
export type RewardStart = Pick<
  StarterOptions,
  'temporal' | 'taskQueue' | 'level' | 'callbackTimeoutMs' | 'partnerRetryMs' | 'reconcile'
>;

/** An unlock to reward; `notify: false` rewards it silently (a backfill's policy). */
export type UnlockToReward = z.output<typeof unlockedSchema> & { notify?: boolean };

/**
 * Starts `reward-<clientId>-<achievementId>[@<occurrence>]` once per unlock. Unlock records arrive at least once; the
 * workflow id is the business key and duplicates are rejected, so "already started" means "already done",
 * unless PostgreSQL lost what the workflow wrote (a restore): `reconcile` checks, and writes it again.
 */
export async function startReward(options: RewardStart, unlock: UnlockToReward) {
  const level = await options.level(unlock);
  if (!level) throw new Error(`achievement ${unlock.achievementId} is not in any rule ever live`);
  const partnerId = unlock.beyondBudget ? null : (level.partner ?? null);
  const workflowId = rewardWorkflowId(unlock.clientId, unlock.achievementId, unlock.occurrence);
  const { unlockId, clientId, achievementId, points } = unlock;
  const log = logger('reward-starter');
  const input: RewardInput = {
    rewardId: unlockId,
    workflowId,
    clientId,
    achievementId,
    points,
    partnerId,
    callbackTimeoutMs: options.callbackTimeoutMs,
    partnerRetryMs: options.partnerRetryMs,
    ...(unlock.unlockedAt ? { unlockedAt: unlock.unlockedAt } : {}),
    ...(unlock.notify === false ? { notify: false } : {}),
  };
  try {
    await options.temporal.workflow.start(rewardWorkflow, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.clientId, value: unlock.clientId },
        { key: SEARCH_ATTRIBUTES.achievementId, value: unlock.achievementId },
        { key: SEARCH_ATTRIBUTES.partnerId, value: partnerId ?? 'none' },
        { key: SEARCH_ATTRIBUTES.rewardStatus, value: 'granting' },
      ],
      memo: { rewardId: unlockId, points },
    });
    log.info({ correlationId: unlockId, partnerId }, 'reward workflow started');
    return true;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    log.debug({ correlationId: unlockId }, 'reward workflow already started');
    // A reconciliation that fails (its workflow gone, Temporal slow to answer) must not hold the partition up.
    await options
      .reconcile?.(input)
      .catch((failure: unknown) =>
        log.warn({ err: failure, correlationId: unlockId }, 'reward not reconciled'),
      );
    return false;
  }
}

/** Consumes `achievements.unlocked.v1` and starts each unlock's reward workflow; returns a stop function. */
export async function startRewardStarter(options: StarterOptions): Promise<() => Promise<void>> {
  const log = logger('reward-starter');
  const startSlice = async (messages: KafkaMessage[], topic: string, partition: number) => {
    const letters: DeadLetter[] = [];
    const unlocks: UnlockToReward[] = [];
    for (const message of messages) {
      // A backfill starts its own unlocks' rewards, on its own task queue at its own pace.
      if (message.headers?.[BACKFILL_HEADER] !== undefined) continue;
      const parsed = unlockedSchema.safeParse(parseJson(message.value?.toString()));
      if (!parsed.success) {
        const refusal = `not an achievements.unlocked.v1 record: ${describeIssue(parsed.error)}`;
        letters.push(deadLetter({ topic, partition, message }, refusal));
        continue;
      }
      if (await options.level(parsed.data)) unlocks.push(parsed.data);
      else {
        const refusal = `achievement ${parsed.data.achievementId} is not in any rule ever live`;
        letters.push(deadLetter({ topic, partition, message }, refusal));
      }
    }
    // Never dropped, never blocking: bad records are set aside with their reason, like the processor's.
    if (letters.length > 0) {
      await sendDeadLetters({ producer, db: options.db, topic: options.deadLetterTopic }, letters);
      log.error({ partition, count: letters.length }, 'unlock records sent to the DLQ');
    }
    const erased = await erasedClients(
      options.db,
      unlocks.map((unlock) => unlock.clientId),
    );
    // An unlock earned before its client's erasure is not rewarded (CONTRACT §7).
    const due = unlocks.filter((unlock) => !isErasedSince(erased.get(unlock.clientId), unlock.unlockedAt));
    const started = (await Promise.all(due.map((unlock) => startReward(options, unlock)))).filter(
      Boolean,
    ).length;
    metrics.workflowsStarted.inc(started);
    log.debug(
      { started, repeated: due.length - started, erased: unlocks.length - due.length },
      'reward workflows started',
    );
  };
  const producer = options.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = options.kafka.consumer({ groupId: options.groupId });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.onFailure?.(payload.error);
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    // Offsets are resolved slice by slice below; a batch left early must not count as done.
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      // Unlocks are independent, so a slice of a batch is started side by side. Slices keep a large backlog
      // from holding up a shutdown or a rebalance: between slices the offset is resolved and the loop stops
      // when the consumer is stopping. A failed start fails the batch, which is fetched again from the last
      // resolved offset; the starts that had succeeded then answer "already started".
      for (let from = 0; from < batch.messages.length; from += START_SLICE) {
        if (!payload.isRunning() || payload.isStale()) return;
        const slice = batch.messages.slice(from, from + START_SLICE);
        await startSlice(slice, batch.topic, batch.partition);
        payload.resolveOffset(slice.at(-1)!.offset);
        await payload.heartbeat();
      }
    },
  });
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}
