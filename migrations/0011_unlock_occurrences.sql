-- Up Migration

-- A repeating achievement is earned once per occurrence (its period, or its count): one row each. Achievements
-- earned once keep the empty occurrence, so their rows and unlock ids stay as they were.
ALTER TABLE achievement_unlocks ADD COLUMN occurrence text NOT NULL DEFAULT '';
ALTER TABLE achievement_unlocks DROP CONSTRAINT achievement_unlocks_client_id_achievement_id_key;
ALTER TABLE achievement_unlocks ADD CONSTRAINT achievement_unlocks_once_per_occurrence
  UNIQUE (client_id, achievement_id, occurrence);
