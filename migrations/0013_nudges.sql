-- Up Migration

-- Progress points clients crossed (a level's `nudges`), each once per client, achievement, occurrence and point:
-- written with the batch that crossed it, sent by the worker's nudge dispatcher once due and allowed
-- (rules/nudge-policy.ts), held until 08:00 over quiet hours, or dropped and why.
CREATE TABLE nudges (
  nudge_id         uuid        PRIMARY KEY,
  client_id        text        NOT NULL,
  achievement_id   text        NOT NULL,
  occurrence       text        NOT NULL,
  threshold        bigint      NOT NULL,
  current          bigint      NOT NULL,
  target           bigint      NOT NULL,
  source_event_id  text        NOT NULL,
  event_at         timestamptz NOT NULL,
  due_at           timestamptz NOT NULL,
  status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dropped')),
  dropped_because  text        CHECK (dropped_because IN ('stale', 'reached', 'daily-limit')),
  sent_at          timestamptz,
  -- The bank's local day it was sent on (days since 1970-01-01), which the daily allowance counts.
  sent_day         integer,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX nudges_due ON nudges (due_at) WHERE status = 'pending';
CREATE INDEX nudges_sent_by_client_and_day ON nudges (client_id, sent_day) WHERE status = 'sent';
