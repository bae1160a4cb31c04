/**
 * (e) Heap bytes per cached client actor, run as `node --expose-gc --import tsx actor-memory.ts <records> <clients>`:
 * builds each client's progress from the benchmark workload (as the engine would have stored it), then
 * measures the heap that spawning one actor per client with that progress adds; and, as the processor holds
 * them once it has caught up, the heap of one actor per client after the workload's events were applied
 * through the actors, in runs as a batch's. Prints JSON.
 */
import { ClientActors } from '../../actors/client-actors.js';
import { NO_CONTEXT } from '../../rules/audience.js';
import type { InputEvent } from '../../rules/events.js';
import { loadCatalog } from '../../platform/catalog-files.js';
import { decide } from '../../rules/decide.js';
import { initialProgress, type ClientProgress } from '../../rules/progress.js';
import { generateWorkload } from './workload.js';

const [records, clients] = process.argv.slice(2).map(Number);
const catalog = loadCatalog();
const zone = 'Europe/Kyiv';
const events = generateWorkload(records!, clients!, 'memory').records.map((record): InputEvent =>
  record.topic === 'transactions'
    ? { type: 'TransactionReceived', clientId: record.value.clientId, transaction: record.value }
    : { type: 'ClientEventReceived', clientId: record.value.clientId, event: record.value },
);
const stored = new Map<string, { version: number; progress: ClientProgress }>();
for (const event of events) {
  const current = stored.get(event.clientId) ?? { version: 0, progress: initialProgress() };
  stored.set(event.clientId, {
    version: current.version + 1,
    progress: decide(current.progress, event, catalog, zone).progress,
  });
}
// As loaded from PostgreSQL: JSON text, parsed only when the actor is spawned, so the parsed state counts.
const rows = [...stored].map(([clientId, state]) => [clientId, JSON.stringify(state)] as const);
stored.clear();

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
gc();
const before = process.memoryUsage().heapUsed;
const actors = new ClientActors(zone, 3_600_000);
for (const [clientId, json] of rows)
  actors.spawn(clientId, 0, JSON.parse(json) as { version: number; progress: ClientProgress }, NO_CONTEXT);
gc();
const after = process.memoryUsage().heapUsed;
const stateBytes = rows.reduce((sum, [, json]) => sum + json.length, 0) / rows.length;
const bytesPerActor = (after - before) / actors.size;
actors.stopAll();

/** Events handed to the actors at once, about what one fetched batch of a partition holds. */
const RUN = 2_000;
gc();
const beforeLive = process.memoryUsage().heapUsed;
const live = new ClientActors(zone, 3_600_000);
for (const [clientId] of rows) live.spawn(clientId, 0, undefined, NO_CONTEXT);
for (let from = 0; from < events.length; from += RUN)
  await live.applyAll(events.slice(from, from + RUN), catalog);
gc();
// The events are still held, as they were at `beforeLive`: the difference is the actors and their progress.
const afterLive = process.memoryUsage().heapUsed;
process.stdout.write(
  JSON.stringify({
    actors: live.size,
    bytesPerActor,
    bytesPerLiveActor: (afterLive - beforeLive) / live.size,
    storedJsonBytes: stateBytes,
  }) + '\n',
);
live.stopAll();
