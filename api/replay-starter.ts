import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { BeyondRetention, historyFrom } from '../platform/history-span.js';
import type { InputTopics } from '../platform/topics.js';
import { REPLAY_SEARCH_ATTRIBUTES, type ReplayInput } from '../workflows/replay-contract.js';

/** What the API needs to start dry runs and backfills: the history they read, and Temporal to run them. */
export interface ReplayStarter {
  /** The input topics replays read, and the live consumer group backfills merge into. */
  readonly topics: InputTopics;
  readonly groupId: string;
  /** Why a replay from `fromMs` cannot run (retention deleted some of that history), or undefined. */
  historyGap(fromMs: number): Promise<string | undefined>;
  /** Starts the replay's workflow; false when a run of that workflow id is still going. */
  start(kind: 'dry-run' | 'backfill', replayId: string, workflowId: string): Promise<boolean>;
  /** Whether the latest run of the workflow id has not ended yet. */
  isRunning(workflowId: string): Promise<boolean>;
}

export interface ReplayStarterOptions {
  kafka: Kafka;
  temporal: Client;
  taskQueue: string;
  topics: InputTopics;
  groupId: string;
  /** How replay workflows run: their chunk, history and heartbeat bounds. */
  run: Omit<ReplayInput, 'replayId'>;
}

const WORKFLOW_TYPES = { 'dry-run': 'dryRunWorkflow', backfill: 'backfillWorkflow' } as const;

export function temporalReplays(options: ReplayStarterOptions): ReplayStarter {
  const names = [options.topics.transactions, options.topics.clientEvents];
  return {
    topics: options.topics,
    groupId: options.groupId,
    historyGap: async (fromMs) => {
      try {
        await historyFrom(options.kafka, names, fromMs);
        return undefined;
      } catch (error) {
        if (error instanceof BeyondRetention) return error.message;
        throw error;
      }
    },
    start: async (kind, replayId, workflowId) => {
      try {
        await options.temporal.workflow.start(WORKFLOW_TYPES[kind], {
          workflowId,
          taskQueue: options.taskQueue,
          args: [{ replayId, ...options.run } satisfies ReplayInput],
          // A backfill run again (after its earlier run ended) is a new run of the same workflow id.
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          typedSearchAttributes: [{ key: REPLAY_SEARCH_ATTRIBUTES.phase, value: 'planning' }],
          memo: { replayId },
        });
        return true;
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw error;
      }
    },
    isRunning: async (workflowId) => {
      try {
        return (await options.temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    },
  };
}
