-- Up Migration
-- Originals too large to copy whole into an achievements.dlq.v1 record (CONTRACT §2): the DLQ record names
-- one by its source position, size and SHA-256, and the bytes are kept here exactly as they arrived. Keys and
-- values are bytea, since a hostile record may hold bytes that text columns refuse (NUL, invalid UTF-8).
CREATE TABLE dead_letter_records (
  topic         text        NOT NULL,
  partition     integer     NOT NULL,
  "offset"      bigint      NOT NULL,
  key           bytea,
  value         bytea,
  headers       json        NOT NULL,
  value_sha256  text        NOT NULL,
  error         text        NOT NULL,
  kept_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);
