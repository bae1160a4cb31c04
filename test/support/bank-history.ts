import type { Catalog } from '../../rules/catalog.js';
import { decide } from '../../rules/decide.js';
import type { InputEvent } from '../../rules/events.js';
import { initialProgress, type ClientProgress } from '../../rules/progress.js';
import { random } from '../../scripts/simulator/traffic.js';
import { clientEvent, purchase, refund } from './events.js';

/**
 * Card traffic of many clients in November 2026, in the order the core bank writes it: per client 0–9 coffees
 * (MCC 5814), groceries, now and then a refunded coffee, a coffee delivered twice, a contacts sync; clients'
 * records interleaved. The same clients and seed give the same history.
 */
export function bankHistory(clientIds: string[], seed: number, days = { from: 1, to: 28 }): InputEvent[] {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const perClient = clientIds.map((clientId, c) => {
    const time = () => {
      const day = String(days.from + pick(days.to - days.from + 1)).padStart(2, '0');
      return `2026-11-${day}T${String(7 + pick(14)).padStart(2, '0')}:${String(pick(60)).padStart(2, '0')}:00+02:00`;
    };
    const coffees = Array.from({ length: pick(10) }, (_, i) =>
      purchase({
        id: `${clientId}-${seed}-coffee-${i}`,
        clientId,
        categoryId: 5814,
        amount: 4_000 + pick(6_000),
        time: time(),
      }),
    );
    const groceries = Array.from({ length: 1 + pick(3) }, (_, i) =>
      purchase({
        id: `${clientId}-${seed}-food-${i}`,
        clientId,
        categoryId: 5411,
        amount: 20_000 + pick(90_000),
        time: time(),
      }),
    );
    const events: InputEvent[] = [...coffees, ...groceries].sort(
      (a, b) => Date.parse(timeOf(a)) - Date.parse(timeOf(b)),
    );
    if (coffees.length > 0 && next() < 0.15) {
      const refunded = coffees[pick(coffees.length)]!;
      events.push(
        refund(
          refunded,
          timeOf(refunded).replace(
            /T(\d\d)/,
            (_, h: string) => `T${String(Math.min(23, Number(h) + 1)).padStart(2, '0')}`,
          ),
        ),
      );
    }
    if (coffees.length > 0 && next() < 0.15)
      events.splice(pick(events.length + 1), 0, coffees[pick(coffees.length)]!);
    if (next() < 0.2)
      events.splice(pick(events.length + 1), 0, clientEvent('contacts.synced', time(), {}, clientId));
    return { c, events };
  });
  // Interleaved as a bank's stream is: each client's records in order, clients taking turns at random.
  const interleaved: InputEvent[] = [];
  const cursors = perClient.map(() => 0);
  let left = perClient.reduce((sum, { events }) => sum + events.length, 0);
  while (left > 0) {
    const { c, events } = perClient[pick(perClient.length)]!;
    if (cursors[c]! >= events.length) continue;
    interleaved.push(events[cursors[c]!++]!);
    left--;
  }
  return interleaved;
}

const timeOf = (event: InputEvent) =>
  event.type === 'TransactionReceived' ? event.transaction.time : event.event.time;

/**
 * What the test computes itself: each client's records in the order written, through `decide` with `catalog`
 * from no progress (the rule live from the first of them), and the unlocks with their times.
 */
export function expectedUnlocks(events: InputEvent[], catalog: Catalog): Map<string, Map<string, string>> {
  const progress = new Map<string, ClientProgress>();
  const unlocks = new Map<string, Map<string, string>>();
  for (const event of events) {
    const decision = decide(progress.get(event.clientId) ?? initialProgress(), event, catalog, 'Europe/Kyiv');
    progress.set(event.clientId, decision.progress);
    for (const unlock of decision.unlocked) {
      const mine = unlocks.get(unlock.clientId) ?? new Map<string, string>();
      mine.set(unlock.achievementId, unlock.unlockedAt);
      unlocks.set(unlock.clientId, mine);
    }
  }
  return unlocks;
}

/** Clients per achievement, and the points, of expected unlocks. */
export function countsOf(unlocks: Map<string, Map<string, string>>, catalog: Catalog) {
  const clients = Object.fromEntries([...catalog.achievements.keys()].map((id) => [id, 0]));
  let points = 0;
  for (const mine of unlocks.values())
    for (const id of mine.keys()) {
      clients[id]!++;
      points += catalog.achievements.get(id)!.level.points;
    }
  return { clients, points };
}
