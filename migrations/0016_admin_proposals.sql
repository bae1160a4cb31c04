-- Up Migration

-- Four-eyes approvals (CONTRACT §6): an activation, a deactivation, an erasure or a redrive one admin proposes
-- runs only once a different admin approves it. The row is the proposal, its decision and what running it
-- answered; the check keeps the second pair of eyes even for a writer that bypasses the API.
CREATE TABLE admin_proposals (
  id              bigserial   PRIMARY KEY,
  kind            text        NOT NULL
                              CHECK (kind IN ('rule.activate', 'rule.deactivate', 'client.erase', 'dead-letters.redrive')),
  action          jsonb       NOT NULL,
  reason          text        NOT NULL,
  proposed_by     text        NOT NULL,
  proposed_at     timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  dry_run_id      uuid,
  decision        text        CHECK (decision IN ('approved', 'rejected')),
  decided_by      text,
  decided_at      timestamptz,
  decision_reason text,
  -- When its action was last sent on its way: an approved proposal left unanswered (its API process died) is
  -- sent again once this is old enough, by whichever API process claims it first.
  dispatched_at   timestamptz,
  result_status   integer,
  result          jsonb,
  CHECK ((decision IS NULL) = (decided_by IS NULL)),
  CHECK (decided_by IS DISTINCT FROM proposed_by)
);

-- The admin who approved what another proposed, and the proposal; null for an action one person did alone.
ALTER TABLE audit_log ADD COLUMN approved_by text, ADD COLUMN proposal_id bigint;
