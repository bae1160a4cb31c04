-- Up Migration
-- The app shows an unlock at once from its row in achievement_unlocks (rules/stored-unlocks.ts), no longer from a
-- copy of the client's progress written with it: that copy doubled what each unlock wrote (a row, its index entry,
-- and its deletion at the checkpoint). The progress that led to the unlock reaches the app with the partition's
-- next checkpoint.
DROP TABLE client_progress_ahead;

-- Announced as client_progress is (0009), so each API replica drops the client from its cache when an unlock of
-- theirs is stored (or erased).
CREATE TRIGGER achievement_unlocks_inserted AFTER INSERT ON achievement_unlocks REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
CREATE TRIGGER achievement_unlocks_deleted AFTER DELETE ON achievement_unlocks REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
CREATE TRIGGER achievement_unlocks_truncated AFTER TRUNCATE ON achievement_unlocks
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
