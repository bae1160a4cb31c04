-- Up Migration
-- Every support or admin read of client data is recorded here (CONTRACT §4). Rows are only ever appended:
-- the trigger refuses updates and deletes so the log stays trustworthy evidence.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    text        NOT NULL,
  actor_role  text        NOT NULL CHECK (actor_role IN ('client', 'support', 'admin', 'system')),
  action      text        NOT NULL,
  target      text        NOT NULL,
  reason      text
);

CREATE INDEX audit_log_at ON audit_log (at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
