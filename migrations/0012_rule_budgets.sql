-- Up Migration

-- What each budgeted rule has given across all clients (rule-schema.ts `budget`), taken in the transaction that
-- stores the unlocks, so a rolled-back batch gives nothing back and nothing twice. Its row lock orders the
-- processors and backfill merges taking from one budget. Once an unlock does not fit, the rule is closed under
-- the limits of that time (`closed_under`); a version with other limits opens it again.
CREATE TABLE rule_budgets (
  rule_id        text        PRIMARY KEY,
  unlocks_spent  bigint      NOT NULL DEFAULT 0,
  points_spent   bigint      NOT NULL DEFAULT 0,
  closed_at      timestamptz,
  closed_under   jsonb
);

-- Each budgeted unlock's decision, once: an unlock seen again (a backfill finding what live processing
-- stored, a redelivery) is decided as before and spends nothing. `client_id` lets the app show a refused
-- unlock as closed; an erasure clears it and gives the row a random unlock id.
CREATE TABLE budget_spends (
  unlock_id      uuid        PRIMARY KEY,
  rule_id        text        NOT NULL,
  client_id      text,
  achievement_id text        NOT NULL,
  occurrence     text        NOT NULL,
  points         integer     NOT NULL,
  granted        boolean     NOT NULL,
  decided_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX budget_spends_refused_by_client ON budget_spends (client_id) WHERE NOT granted;

-- An unlock past a budget that goes on `without-points`: stored and announced, with no points or partner.
ALTER TABLE achievement_unlocks ADD COLUMN beyond_budget boolean NOT NULL DEFAULT false;

-- A refused unlock changes what the app shows the client: announced like a change of their progress
-- (0009_client_changes.sql).
CREATE TRIGGER budget_spends_inserted AFTER INSERT ON budget_spends REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes();
