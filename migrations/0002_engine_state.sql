-- Up Migration
-- The stream processor's durable state. Progress, unlocks, outbox rows and consumed offsets of one batch are
-- written in one transaction, which is what makes processing exactly-once in effect (see actors/progress-store.ts).

-- One row per client: the rule engine's progress as JSON, with a version that only grows, so that a batch
-- finishing late can never overwrite newer progress written by another batch.
CREATE TABLE client_progress (
  client_id   text        PRIMARY KEY,
  version     bigint      NOT NULL,
  progress    json        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Each achievement unlocks at most once per client; unlock_id is stable so consumers can deduplicate.
CREATE TABLE achievement_unlocks (
  unlock_id        uuid        PRIMARY KEY,
  client_id        text        NOT NULL,
  achievement_id   text        NOT NULL,
  rule_id          text        NOT NULL,
  points           integer     NOT NULL,
  partner_id       text,
  unlocked_at      timestamptz NOT NULL,
  source_event_id  text        NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (client_id, achievement_id)
);

CREATE INDEX achievement_unlocks_by_achievement ON achievement_unlocks (achievement_id);

-- Records to publish to Kafka, written with the unlock and deleted once the broker acknowledged them, so a
-- crash between the commit and the publish still publishes.
CREATE TABLE outbox (
  id          bigserial   PRIMARY KEY,
  topic       text        NOT NULL,
  key         text        NOT NULL,
  value       json        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The next offset to process per consumer group and partition, committed with the progress it produced.
CREATE TABLE consumer_offsets (
  group_id     text        NOT NULL,
  topic        text        NOT NULL,
  partition    integer     NOT NULL,
  next_offset  bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);
