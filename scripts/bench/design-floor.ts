import { dispatch, spawn, start, stop } from 'nact';
import { loadCatalog } from '../../platform/catalog-files.js';
import { decide } from '../../rules/decide.js';
import { decodeRecord } from '../../rules/decode.js';
import type { InputEvent } from '../../rules/events.js';
import { initialProgress, type ClientProgress } from '../../rules/progress.js';
import type { SimulatedRecord } from '../simulator/traffic.js';

/** The CPU each event costs in the parts the design fixes, in µs, measured in this process with no I/O. */
export interface DesignFloor {
  decode: number;
  decide: number;
  dispatch: number;
  total: number;
}

const ZONE = 'Europe/Kyiv';
const ROUNDS = 3;

/** The fastest of `ROUNDS` runs of `work` over `count` events, in µs per event: the floor, not the typical. */
async function fastest(count: number, work: () => void | Promise<void>) {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await work();
    best = Math.min(best, ((performance.now() - started) * 1_000) / count);
  }
  return best;
}

/** Events handed to the actors at once, then awaited: about what one fetched batch of a partition holds. */
const RUN = 2_000;

/**
 * One nact message per event to its client's actor, whose behaviour does nothing, in runs of `RUN` events
 * each awaited as the processor awaits a batch's: nact's own cost.
 */
async function dispatchAll(clientIds: readonly string[]) {
  const system = start();
  const actors = new Map<string, ReturnType<typeof spawn>>();
  let waiting = 0;
  let runAnswered: () => void = () => undefined;
  const behaviour = (state: number) => {
    if (--waiting === 0) runAnswered();
    return state + 1;
  };
  for (const clientId of new Set(clientIds))
    actors.set(clientId, spawn(system, behaviour, `client-${actors.size}`, { initialState: 0 }));
  const perEvent = await fastest(clientIds.length, async () => {
    for (let from = 0; from < clientIds.length; from += RUN) {
      const run = clientIds.slice(from, from + RUN);
      waiting = run.length;
      const answered = new Promise<void>((resolve) => (runAnswered = resolve));
      for (const clientId of run) dispatch(actors.get(clientId)!, clientId);
      await answered;
    }
  });
  stop(system);
  return perEvent;
}

/** The records of one client in `n` (in the order clients first appear), each client's every record. */
export function everyNthClient(records: readonly SimulatedRecord[], n: number) {
  const order = new Map<string, number>();
  return records.filter((record) => {
    const clientId = record.value.clientId;
    if (!order.has(clientId)) order.set(clientId, order.size);
    return order.get(clientId)! % n === 0;
  });
}

/**
 * What the engine's fixed design costs per event before any I/O: decoding the record, `decide()` over the
 * default catalog (each client's progress carried from its previous event), and one nact message to the
 * client's actor. The processor does all three for every event, so its CPU per event in (b) cannot go below
 * their sum on this machine, whatever is done about PostgreSQL, Kafka and garbage.
 */
export async function measureDesignFloor(records: readonly SimulatedRecord[]): Promise<DesignFloor> {
  const encoded = records.map((record) => ({
    kind: record.topic === 'transactions' ? ('transaction' as const) : ('client-event' as const),
    key: Buffer.from(record.value.clientId),
    value: Buffer.from(JSON.stringify(record.value)),
  }));
  const events: InputEvent[] = [];
  const decode = await fastest(encoded.length, () => {
    events.length = 0;
    for (const { kind, key, value } of encoded) {
      const decoded = decodeRecord(kind, key, value);
      if (decoded.ok) events.push(decoded.event);
    }
  });
  const catalog = loadCatalog();
  const decideAll = await fastest(events.length, () => {
    const progress = new Map<string, ClientProgress>();
    for (const event of events) {
      const before = progress.get(event.clientId) ?? initialProgress();
      progress.set(event.clientId, decide(before, event, catalog, ZONE).progress);
    }
  });
  const dispatchEach = await dispatchAll(events.map((event) => event.clientId));
  return {
    decode,
    decide: decideAll,
    dispatch: dispatchEach,
    total: decode + decideAll + dispatchEach,
  };
}
