-- Up Migration

-- A backfill of a repeating rule merges each occurrence its replay earned: the checkpoint keeps them, as the
-- progress's repeat records only count them.
ALTER TABLE replay_client_state ADD COLUMN earnings json NOT NULL DEFAULT '[]';
