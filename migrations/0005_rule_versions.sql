-- Up Migration
-- Rules as versioned data (CONTRACT §6). A version is immutable once written; what is live is decided by the
-- ordered log of changes, and every processor applies each change from one recorded offset per partition.

CREATE TABLE rule_versions (
  rule_id     text        NOT NULL,
  version     integer     NOT NULL CHECK (version > 0),
  document    jsonb       NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text        NOT NULL,
  PRIMARY KEY (rule_id, version)
);

-- Activations and deactivations in the order they were asked for. `measured_since` is the version whose
-- activation started the progress this one keeps counting: its own, unless an edit left what is measured as it
-- was (texts, points, partner).
CREATE TABLE rule_changes (
  seq             bigserial   PRIMARY KEY,
  rule_id         text        NOT NULL,
  version         integer,
  measured_since  integer,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  requested_by    text        NOT NULL,
  FOREIGN KEY (rule_id, version) REFERENCES rule_versions (rule_id, version),
  CHECK ((version IS NULL) = (measured_since IS NULL))
);

-- Where each change went live: the first offset of each input partition it applied to. Written in the same
-- transaction as the batch that first applied it, so no two processors can disagree about it.
CREATE TABLE rule_change_positions (
  seq          bigint      NOT NULL REFERENCES rule_changes (seq),
  group_id     text        NOT NULL,
  topic        text        NOT NULL,
  partition    integer     NOT NULL,
  from_offset  bigint      NOT NULL,
  applied_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (seq, group_id, topic, partition)
);

-- The newest rule change each partition's stored offset was processed under.
ALTER TABLE consumer_offsets ADD COLUMN rule_seq bigint NOT NULL DEFAULT 0;

ALTER TABLE achievement_unlocks ADD COLUMN rule_version integer NOT NULL DEFAULT 1;

-- Targeting segments whose members operations import; every import is a change the processors pick up.
CREATE TABLE segment_members (
  segment_id  text        NOT NULL,
  client_id   text        NOT NULL,
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (segment_id, client_id)
);

CREATE INDEX segment_members_by_client ON segment_members (client_id);

CREATE TABLE segment_changes (
  seq         bigserial   PRIMARY KEY,
  segment_id  text        NOT NULL,
  client_ids  text[]      NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now()
);
