-- Up Migration

-- A processor keeps its clients' progress in its actors and checkpoints it with the partition's offsets every few
-- seconds (actors/checkpoints.ts). Unlocks are stored at once, before the checkpoint that covers their records:
-- `decided_offset` is the offset after the last record whose unlocks were stored. A replay from the checkpoint
-- decides the records before it under the rules and segments the checkpoint names, as live processing did, and
-- takes newer changes only past it.
ALTER TABLE consumer_offsets ADD COLUMN decided_offset bigint;

-- A backfill merges into the progress a checkpoint stored, so it needs every unlock stored at once to be covered
-- by the checkpoint. Until this time, the partition's processor stores no more unlocks (it checkpoints, and
-- waits) so the merge gets its turn; a lease, so a merge that died holds nothing up for long.
ALTER TABLE consumer_offsets ADD COLUMN merge_holds_until timestamptz;

-- The newest segment import the partition's clients are decided with, taken at a checkpoint like a rule change.
-- Every import before this migration was read by every processor already.
ALTER TABLE consumer_offsets ADD COLUMN segment_seq bigint NOT NULL DEFAULT 0;
UPDATE consumer_offsets SET segment_seq = (SELECT coalesce(max(seq), 0) FROM segment_changes);

-- Which clients each import added and which it removed, so a replay can give a client its memberships as they
-- were at an earlier import (platform/segment-history.ts). Null for imports before this migration.
ALTER TABLE segment_changes ADD COLUMN added text[], ADD COLUMN removed text[];

-- A client's progress as it stood when an unlock of theirs was stored, written with the unlock, before the
-- checkpoint that stores it in client_progress: the app shows an unlock at once. The engine never reads it (a
-- replay starts from client_progress); the app shows it only while it is newer than client_progress's.
CREATE TABLE client_progress_ahead (
  client_id   text        PRIMARY KEY,
  version     bigint      NOT NULL,
  progress    json        NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Announced as client_progress is (0009), so each API replica drops the client from its cache.
CREATE TRIGGER client_progress_ahead_inserted AFTER INSERT ON client_progress_ahead REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
CREATE TRIGGER client_progress_ahead_updated AFTER UPDATE ON client_progress_ahead REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
CREATE TRIGGER client_progress_ahead_deleted AFTER DELETE ON client_progress_ahead REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
CREATE TRIGGER client_progress_ahead_truncated AFTER TRUNCATE ON client_progress_ahead
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
