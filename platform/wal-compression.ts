import type pg from 'pg';

/**
 * Most of the WAL the processor's writes make is full-page images: the first change of a page after each
 * PostgreSQL checkpoint logs the whole 8 kB page, and progress rows are spread over many pages (measured on the
 * production-shaped day: four fifths of its WAL bytes). Compressed, such an image of JSON rows is a fraction of
 * that. The processor compresses its own transactions' images where the database lets its role set
 * `wal_compression` (PostgreSQL 15: `GRANT SET ON PARAMETER wal_compression TO <role>`); elsewhere it writes them
 * as the server is configured.
 */
export const COMPRESS_WAL = "SET LOCAL wal_compression = 'lz4'";

/** Whether this connection's role may set `wal_compression` for its transactions (false before PostgreSQL 15). */
export async function mayCompressWal(db: pg.Pool): Promise<boolean> {
  const { rows } = await db
    .query<{ may: boolean }>(`SELECT has_parameter_privilege('wal_compression', 'SET') AS may`)
    .catch(() => ({ rows: [{ may: false }] }));
  return rows[0]!.may;
}
