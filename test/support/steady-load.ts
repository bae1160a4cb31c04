import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Kafka } from 'kafkajs';
import { valueOf } from './engine.js';
import { purchase } from './events.js';
import { uniqueName } from './stack.js';

/** Clients buying at once, and how many purchases each makes before the next wave of clients takes over. */
const WAVE = 40;
const PURCHASES_PER_CLIENT = 12;

/**
 * The n-th purchase of the load: waves of clients, each buying coffee once a day in November 2026 (12 days,
 * 450 UAH each), so each client reaches first-purchase, week-streak, coffee-lover (a partner reward) and
 * big-spender-bronze in turn.
 */
function nthPurchase(prefix: string, merchantId: string, n: number) {
  const wave = Math.floor(n / (WAVE * PURCHASES_PER_CLIENT));
  const day = Math.floor(n / WAVE) % PURCHASES_PER_CLIENT;
  return purchase({
    id: `${prefix}-tx-${n}`,
    clientId: `${prefix}-c${wave * WAVE + (n % WAVE)}`,
    categoryId: 5814,
    amount: 45_000,
    merchantId,
    time: `2026-11-${String(day + 1).padStart(2, '0')}T08:00:00+02:00`,
  });
}

export interface SteadyLoad {
  /** Records written so far (repeats included). */
  written: () => number;
  /** Sends that failed and were tried again at the next tick (the broker was down). */
  failedSends: () => number;
  /** Resolves once `count` records have been written. */
  reached: (count: number) => Promise<void>;
  /** Stops producing after the tick under way; resolves when the producer has left. */
  stop: () => Promise<void>;
}

/**
 * A producer writing `perSecond` purchases at `merchantId` to `topic` in ticks of 100 ms, keyed by client as the core bank
 * does, until stopped; each tick also repeats its first record (a redelivery the engine must not count twice).
 * A tick whose send fails is kept and sent again at the next one, so an outage delays records but loses none;
 * what reached the topic is what the test expects the engine to have counted.
 */
export async function startSteadyLoad(
  kafka: Kafka,
  topic: string,
  perSecond: number,
  merchantId = 'm-1',
): Promise<SteadyLoad> {
  const prefix = uniqueName('load');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const perTick = Math.max(1, Math.round(perSecond / 10));
  let next = 0;
  let written = 0;
  let failedSends = 0;
  let running = true;
  let pending: ReturnType<typeof nthPurchase>[] = [];

  const loop = (async () => {
    while (running) {
      if (pending.length === 0) {
        pending = Array.from({ length: perTick }, () => nthPurchase(prefix, merchantId, next++));
        pending.push(pending[0]!);
      }
      try {
        await producer.send({
          topic,
          messages: pending.map((event) => ({ key: event.clientId, value: JSON.stringify(valueOf(event)) })),
        });
        written += pending.length;
        pending = [];
      } catch {
        failedSends++;
      }
      await sleep(100);
    }
    await producer.disconnect();
  })();

  return {
    written: () => written,
    failedSends: () => failedSends,
    reached: async (count) => {
      while (written < count) await sleep(50);
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
