-- Up Migration
-- Every change of what the app reads of a client (stored progress, segment memberships) is announced on the
-- channel `client_changes:<schema>` when its transaction commits, so each API replica drops exactly those
-- clients from its cache (api/client-cache.ts). The payload is a JSON array of client ids, split to fit
-- NOTIFY's 8000 bytes; a statement changing more than 5000 clients (a rebuild, a segment import) and a
-- TRUNCATE announce "*", everyone. Triggers, not the writers, announce: no writer can forget to.
CREATE FUNCTION client_changes_channel(schema_name text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT left('client_changes:' || schema_name, 63) $$;

CREATE FUNCTION announce_client_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- A channel name is at most 63 bytes; the listeners shorten theirs alike (client_changes_channel()).
  channel text := client_changes_channel(TG_TABLE_SCHEMA);
  payload text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify(channel, '*');
    RETURN NULL;
  END IF;
  IF (SELECT count(DISTINCT client_id) > 5000 FROM changed_rows) THEN
    PERFORM pg_notify(channel, '*');
    RETURN NULL;
  END IF;
  -- Chunks of at most 7000 bytes of JSON, plus the one id (at most 128 characters) that crosses the line.
  FOR payload IN
    SELECT json_agg(client_id)::text
      FROM (SELECT client_id, sum(octet_length(to_json(client_id)::text) + 1) OVER (ORDER BY client_id) / 7000 AS chunk
              FROM (SELECT DISTINCT client_id FROM changed_rows) AS ids) AS numbered
     GROUP BY chunk
  LOOP
    PERFORM pg_notify(channel, payload);
  END LOOP;
  RETURN NULL;
END $$;

-- The same four triggers on each table that holds what the app reads of a client.
DO $$
DECLARE
  watched text;
BEGIN
  FOREACH watched IN ARRAY ARRAY['client_progress', 'segment_members'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes()', watched || '_inserted', watched);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes()', watched || '_updated', watched);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes()', watched || '_deleted', watched);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I
                    FOR EACH STATEMENT EXECUTE FUNCTION announce_client_changes()', watched || '_truncated', watched);
  END LOOP;
END $$;
