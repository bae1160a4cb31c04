-- Up Migration
-- The loyalty ledger: append-only entries; a client's balance is the sum of their entries. The idempotency
-- key makes a retried activity harmless: the same grant or expiry is never written twice.
CREATE TABLE loyalty_ledger (
  id               bigserial   PRIMARY KEY,
  client_id        text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('grant', 'expiry', 'adjustment', 'reversal')),
  points           integer     NOT NULL,
  idempotency_key  text        NOT NULL UNIQUE,
  reference        text,
  occurred_at      timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz,
  CHECK ((kind = 'grant') = (expires_at IS NOT NULL))
);

CREATE INDEX loyalty_ledger_client ON loyalty_ledger (client_id, occurred_at);
CREATE INDEX loyalty_ledger_due ON loyalty_ledger (expires_at) WHERE kind = 'grant';

CREATE FUNCTION loyalty_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'loyalty_ledger is append-only: correct with an adjustment or reversal entry';
END;
$$;

CREATE TRIGGER loyalty_ledger_append_only
  BEFORE UPDATE OR DELETE ON loyalty_ledger
  FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_is_append_only();

-- The tier each client holds now, and every change of it.
CREATE TABLE loyalty_tiers (
  client_id   text        PRIMARY KEY,
  tier        text        NOT NULL,
  earned_12m  integer     NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE loyalty_tier_changes (
  id          bigserial   PRIMARY KEY,
  client_id   text        NOT NULL,
  from_tier   text,
  to_tier     text        NOT NULL,
  earned_12m  integer     NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per reward, for the app and the partner callback checks. reward_id is the unlock's opaque id (what
-- partners see); workflow_id is reward-<clientId>-<achievementId>, which names the client and stays in-house.
CREATE TABLE rewards (
  reward_id       text        PRIMARY KEY,
  workflow_id     text        NOT NULL UNIQUE,
  client_id       text        NOT NULL,
  achievement_id  text        NOT NULL,
  points          integer     NOT NULL,
  partner_id      text,
  status          text        NOT NULL,
  voucher_code    text,
  reason          text,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX rewards_client ON rewards (client_id);
