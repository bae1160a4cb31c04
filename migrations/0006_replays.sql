-- Up Migration
-- Replays of history (CONTRACT §6): a dry run computes a rule over the input topics' history and keeps only its
-- result; a backfill does the same for an activated version and merges what it found into live state.

-- A backfill's merge moves the epoch of the partition it merged into, so a processor that read the partition's
-- progress before the merge cannot commit over it: its commit is fenced like one after a rebalance.
ALTER TABLE consumer_offsets ADD COLUMN epoch bigint NOT NULL DEFAULT 0;

-- Outbox records may carry Kafka headers: a backfill's unlock records name the backfill, whose own task queue
-- starts their rewards.
ALTER TABLE outbox ADD COLUMN headers json;

CREATE TABLE replays (
  replay_id     uuid        PRIMARY KEY,
  kind          text        NOT NULL CHECK (kind IN ('dry-run', 'backfill')),
  workflow_id   text        NOT NULL,
  rule_id       text        NOT NULL,
  -- A backfill's version; a dry run replays a document that need not be stored as a version.
  rule_version  integer,
  document      jsonb       NOT NULL,
  from_time     timestamptz NOT NULL,
  policy        jsonb,
  -- The input topics it reads, and (a backfill) the live consumer group whose state it merges into.
  topics        jsonb       NOT NULL,
  group_id      text,
  status        text        NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
  phase         text        NOT NULL,
  requested_by  text        NOT NULL,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz,
  -- What the replay found: clients per achievement and points (a dry run); unlocks and points granted (a backfill).
  result        jsonb,
  -- A backfill's awards: the last unlock given its award, in (unlocked_at, unlock_id) order, and points spent.
  award_cursor  jsonb,
  points_spent  bigint      NOT NULL DEFAULT 0,
  error         text
);

CREATE INDEX replays_by_workflow ON replays (workflow_id, requested_at DESC);

-- Each input partition of a replay: where it starts, where it stands (the checkpoint), where it stops.
CREATE TABLE replay_partitions (
  replay_id            uuid        NOT NULL REFERENCES replays ON DELETE CASCADE,
  partition            integer     NOT NULL,
  transactions_from    bigint      NOT NULL,
  events_from          bigint      NOT NULL,
  transactions_at      bigint      NOT NULL,
  events_at            bigint      NOT NULL,
  -- A dry run stops at the end of the partitions when it started; a backfill follows live processing instead.
  transactions_until   bigint,
  events_until         bigint,
  events_replayed      bigint      NOT NULL DEFAULT 0,
  clients_touched      integer     NOT NULL DEFAULT 0,
  status               text        NOT NULL CHECK (status IN ('replaying', 'caught-up', 'merged')),
  summary              jsonb,
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (replay_id, partition)
);

-- A backfill's per-client state at its partition's checkpoint, so a replay resumes after a worker crash.
CREATE TABLE replay_client_state (
  replay_id  uuid    NOT NULL REFERENCES replays ON DELETE CASCADE,
  partition  integer NOT NULL,
  client_id  text    NOT NULL,
  progress   json    NOT NULL,
  PRIMARY KEY (replay_id, partition, client_id)
);

-- Unlocks a backfill found: awarded (points, rewards, pushes) by the backfill itself, in order, at a bounded rate.
ALTER TABLE achievement_unlocks ADD COLUMN backfill_replay uuid;
CREATE INDEX achievement_unlocks_by_backfill ON achievement_unlocks (backfill_replay, unlocked_at, unlock_id)
  WHERE backfill_replay IS NOT NULL;
