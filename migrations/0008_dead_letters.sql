-- Up Migration
-- Every record the engine set aside to achievements.dlq.v1, as operations browse them (by reason, by source,
-- over time) and redrive them after a fix (CONTRACT §2, achievements.redrive.v1). `record` is the DLQ
-- record's value exactly as published; `key` the source record's key, by which an erasure finds a client's.
CREATE TABLE dead_letters (
  id            bigserial   PRIMARY KEY,
  topic         text        NOT NULL,
  partition     integer     NOT NULL,
  "offset"      bigint      NOT NULL,
  key           bytea,
  reason        text        NOT NULL,
  error         text        NOT NULL,
  record        text        NOT NULL,
  dead_at       timestamptz NOT NULL DEFAULT now(),
  -- The newest redrive asked for, and the engine's answer to it: accepted once, or refused again and why.
  redrive_asked_at  timestamptz,
  redrive_asked_by  text,
  redrive_refusal   text,
  UNIQUE (topic, partition, "offset")
);
CREATE INDEX dead_letters_by_time ON dead_letters (dead_at);

-- The source records a redrive made the engine accept, written with the progress they produced: a record
-- redriven again, however often, is skipped (each original record counts at most once).
CREATE TABLE redriven_records (
  topic         text        NOT NULL,
  partition     integer     NOT NULL,
  "offset"      bigint      NOT NULL,
  accepted_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);
