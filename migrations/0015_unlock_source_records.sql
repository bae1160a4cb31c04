-- Up Migration

-- Where the record that earned each unlock sits (its partition is its client's): a replay of a composite or a
-- follow-up gives it the prerequisite on that very record, as live processing held it. Absent (null) for
-- unlocks stored before it was kept, which a replay holds from the start of the history it reads.
ALTER TABLE achievement_unlocks ADD COLUMN source_topic text, ADD COLUMN source_offset bigint;

-- A backfill of a rule sharing a cap with a group keeps what the group was granted, record by record, as its
-- replay is given it (see rules/group-grants.ts): its merge counts them in every period.
ALTER TABLE replay_client_state ADD COLUMN grants json NOT NULL DEFAULT '[]';
