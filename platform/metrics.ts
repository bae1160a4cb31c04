import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's Prometheus registry: every role running here reports into it; the metrics server serves it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  httpDuration: new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  eventsProcessed: new Counter({
    name: 'achievements_events_processed_total',
    help: 'Input records applied by the client actors',
    labelNames: ['topic'] as const,
    registers: [registry],
  }),
  unlocks: new Counter({
    name: 'achievements_unlocks_total',
    help: 'Achievements unlocked',
    labelNames: ['achievement'] as const,
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'achievements_dlq_records_total',
    help: 'Records sent to achievements.dlq.v1',
    labelNames: ['source_topic'] as const,
    registers: [registry],
  }),
  batchRetries: new Counter({
    name: 'achievements_batch_retries_total',
    help: 'Batches retried because a dependency (PostgreSQL, Kafka) failed; the records were kept',
    labelNames: ['topic'] as const,
    registers: [registry],
  }),
  checkpointSeconds: new Histogram({
    name: 'achievements_checkpoint_duration_seconds',
    help: 'How long storing a partition checkpoint (offsets, progress, nudges) took',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  checkpointFailures: new Counter({
    name: 'achievements_checkpoint_failures_total',
    help: 'Partition checkpoints PostgreSQL did not take; the progress stays in the actors and is tried again',
    registers: [registry],
  }),
  checkpointedClients: new Counter({
    name: 'achievements_checkpointed_clients_total',
    help: 'Client progress rows written by partition checkpoints',
    registers: [registry],
  }),
  cachedActors: new Gauge({
    name: 'achievements_cached_actors',
    help: 'Client actors held in memory',
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'achievements_consumer_lag',
    help: 'Records behind the partition end after the last processed batch',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
  }),
  partnerRequests: new Counter({
    name: 'achievements_partner_requests_total',
    help: 'Reward requests to partners by outcome: accepted, refused (4xx), failed (5xx, timeout, network), circuit_open',
    labelNames: ['partner', 'outcome'] as const,
    registers: [registry],
  }),
  rewardStatuses: new Counter({
    name: 'achievements_reward_status_changes_total',
    help: 'Rewards entering each status (granted, requested, fulfilled, rejected, timed_out, cancelled, failed)',
    labelNames: ['status', 'partner'] as const,
    registers: [registry],
  }),
  backupFilesStored: new Counter({
    name: 'achievements_backup_files_stored_total',
    help: 'Files the backup role put into the backup store: WAL segments, timeline histories, base backups',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  backupLastStored: new Gauge({
    name: 'achievements_backup_last_stored_timestamp_seconds',
    help: 'When the backup store last took a file of each kind (a WAL segment, a base backup), in Unix seconds',
    labelNames: ['kind'] as const,
    registers: [registry],
  }),
  dependencyUp: new Gauge({
    name: 'achievements_dependency_up',
    help: 'Whether the last health check reached each dependency (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [registry],
  }),
  backfillProgress: new Counter({
    name: 'achievements_backfill_progress_total',
    help: 'Steps backfills made in this worker: records replayed or merged, unlocks awarded',
    registers: [registry],
  }),
  backfillsRunning: new Gauge({
    name: 'achievements_backfills_running',
    help: 'Backfills running (paused ones too), as PostgreSQL holds them, read by each worker every 30 s',
    registers: [registry],
  }),
  workflowsStarted: new Counter({
    name: 'achievements_reward_workflows_started_total',
    help: 'Reward workflows started (repeats of an unlock excluded)',
    registers: [registry],
  }),
};
