-- Up Migration
-- Erasure on request (CONTRACT §7). A client erased keeps one row here: their records dated before erased_at
-- count for nothing, however often Kafka delivers them or a replay reads them again; records dated later count
-- for a client starting afresh. Who erased whom and why is in the audit log.
CREATE TABLE erased_clients (
  client_id  text        PRIMARY KEY,
  erased_at  timestamptz NOT NULL
);

-- The ledger stays append-only, with one exception: an erasure pseudonymizes a client's entries (the bank's
-- points liability keeps its amounts and dates; nothing in them names the client any more).
CREATE OR REPLACE FUNCTION loyalty_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.client_id LIKE 'erased-%' AND OLD.client_id NOT LIKE 'erased-%'
     AND NEW.id = OLD.id AND NEW.kind = OLD.kind AND NEW.points = OLD.points
     AND NEW.occurred_at = OLD.occurred_at AND NEW.expires_at IS NOT DISTINCT FROM OLD.expires_at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'loyalty_ledger is append-only: correct with an adjustment or reversal entry';
END;
$$;
