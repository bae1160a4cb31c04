import type pg from 'pg';
import { followClientChanges, type ClientChangeListener } from './client-changes.js';
import type { ClientReads } from './client-reads.js';

interface Reading<T> {
  read: Promise<T>;
  /** A change of the client was announced while it was read: what it answers may be older than that. */
  stale: boolean;
}

/**
 * What the app reads of a client, kept in this replica's memory while it hears PostgreSQL announce every change
 * (api/client-changes.ts). A client's entry is dropped when their change is announced, and everything is dropped
 * when announcements may have been missed; while they cannot be heard, reads go to PostgreSQL and nothing is
 * kept. A read answering from before an announcement is not kept either, and a request arriving after the
 * announcement does not wait on it: every request sees what was committed before its change reached the
 * replica. Bounded: past `max` clients the one read longest ago is dropped.
 */
export class ClientCache<T> implements ClientChangeListener {
  private readonly entries = new Map<string, T>();
  private readonly reading = new Map<string, Reading<T>>();
  private hearing = false;

  constructor(
    private readonly load: (clientId: string) => Promise<T>,
    private readonly max: number,
  ) {}

  get(clientId: string): Promise<T> {
    const kept = this.entries.get(clientId);
    if (kept !== undefined) {
      this.entries.delete(clientId);
      this.entries.set(clientId, kept);
      return Promise.resolve(kept);
    }
    const pending = this.reading.get(clientId);
    if (pending) return pending.read;
    const reading: Reading<T> = { read: this.load(clientId), stale: !this.hearing };
    this.reading.set(clientId, reading);
    const done = () => {
      if (this.reading.get(clientId) === reading) this.reading.delete(clientId);
    };
    reading.read.then((value) => {
      done();
      if (!reading.stale) this.keep(clientId, value);
    }, done);
    return reading.read;
  }

  get size(): number {
    return this.entries.size;
  }

  listening() {
    this.hearing = true;
  }

  changed(clientIds: readonly string[]) {
    for (const clientId of clientIds) {
      this.entries.delete(clientId);
      const reading = this.reading.get(clientId);
      if (!reading) continue;
      reading.stale = true;
      this.reading.delete(clientId);
    }
  }

  changedAll() {
    this.entries.clear();
    for (const reading of this.reading.values()) reading.stale = true;
    this.reading.clear();
  }

  lost() {
    this.hearing = false;
    this.changedAll();
  }

  private keep(clientId: string, value: T) {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(clientId, value);
  }
}

/**
 * The app's reads with its achievements answered from a `ClientCache` of up to `maxClients`, which PostgreSQL's
 * announcements keep current; `stop` ends the listening.
 */
export function cachedAchievements(pool: pg.Pool, reads: ClientReads, maxClients: number) {
  const cache = new ClientCache(reads.achievementsOf, maxClients);
  const changes = followClientChanges(pool, cache);
  return {
    reads: { ...reads, achievementsOf: (clientId: string) => cache.get(clientId) },
    cache,
    stop: changes.stop,
  };
}
