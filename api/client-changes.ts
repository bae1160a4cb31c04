import pg from 'pg';
import { logger } from '../platform/logger.js';

/** What a follower of the announced client changes is told. */
export interface ClientChangeListener {
  /** From now on every committed change is heard; before this, and after `lost`, some may not be. */
  listening(): void;
  /** These clients' stored progress or segments changed, committed. */
  changed(clientIds: readonly string[]): void;
  /** Anyone's may have changed (a rebuild, a large segment import). */
  changedAll(): void;
  /** Announcements may be missed from now until `listening` is told again: the connection was lost. */
  lost(): void;
}

/** A payload is a JSON array of client ids, or "*" for everyone (migrations/0009_client_changes.sql). */
function clientIdsOf(payload: string | undefined): string[] | undefined {
  try {
    const ids: unknown = payload === undefined ? undefined : JSON.parse(payload);
    return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : undefined;
  } catch {
    return undefined;
  }
}

/** An announcement naming nobody, sent to make sure announcements still arrive. */
const PROBE = '[]';

/**
 * Follows the changes PostgreSQL announces for the pool's schema (LISTEN), on a connection of its own since a
 * pooled one is handed to others. The listener is told `listening` only once an announcement sent after the
 * LISTEN has come back, and every `probeMs` one more is sent: a connection that stopped delivering them (a
 * network fault nobody reported, or a pooler in transaction mode, which cannot carry LISTEN) counts as lost.
 * A lost connection is reported, then opened again after `probeMs`; what was announced meanwhile is gone,
 * which is why the listener is told.
 */
export function followClientChanges(pool: pg.Pool, listener: ClientChangeListener, probeMs = 5_000) {
  const log = logger('client-changes');
  let stopped = false;
  let connection: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Whether an announcement arrived since the last probe was sent. */
  let heard = false;
  let confirmed = false;

  /** The listening connection `client` failed; a late failure of one already replaced changes nothing. */
  const onLoss = (client: pg.Client, error: unknown) => {
    if (stopped || connection !== client) return;
    log.warn({ err: error }, `client changes not heard; listening again in ${probeMs} ms`);
    clearInterval(timer);
    client.removeAllListeners();
    void client.end().catch(() => undefined);
    connection = undefined;
    listener.lost();
    timer = setTimeout(() => void listen(), probeMs);
  };

  // Sent from another connection, as the writers' announcements are: one the listening connection sent itself
  // would come back even through a transaction pooler, which drops those that arrive between its queries.
  const probe = (client: pg.Client, channel: string) => {
    heard = false;
    pool.query('SELECT pg_notify($1, $2)', [channel, PROBE]).catch((error: unknown) => onLoss(client, error));
  };

  const listen = async () => {
    const client = new pg.Client(pool.options);
    connection = client;
    confirmed = false;
    client.on('error', (error) => onLoss(client, error));
    client.on('end', () => onLoss(client, new Error('the connection ended')));
    client.on('notification', ({ payload }) => {
      heard = true;
      if (!confirmed) {
        confirmed = true;
        listener.listening();
      }
      if (payload === PROBE) return;
      const clientIds = clientIdsOf(payload);
      if (clientIds === undefined) listener.changedAll();
      else listener.changed(clientIds);
    });
    try {
      await client.connect();
      // Named after its channel, so operations tell this connection apart in pg_stat_activity.
      const { rows } = await client.query<{ channel: string }>(
        `SELECT set_config('application_name', client_changes_channel(current_schema()::text), false) AS channel`,
      );
      const channel = rows[0]!.channel;
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      if (stopped || connection !== client) return;
      probe(client, channel);
      timer = setInterval(() => {
        if (!heard) onLoss(client, new Error(`no announcement came back within ${probeMs} ms`));
        else probe(client, channel);
      }, probeMs);
    } catch (error) {
      onLoss(client, error);
    }
  };

  void listen();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      const client = connection;
      connection = undefined;
      client?.removeAllListeners();
      await client?.end().catch(() => undefined);
    },
  };
}
