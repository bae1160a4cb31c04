interface Waiting<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/** `readMany` answered without a key it was asked for. */
export class BatchedReadMissing extends Error {
  constructor(readonly key: unknown) {
    super(`the batched read answered nothing for ${String(key)}`);
    this.name = 'BatchedReadMissing';
  }
}

/**
 * One read per key, made of reads of many keys at once: the calls of one tick, and every call that arrives while
 * a read is in flight, go together in the next `readMany`, at most `maxBatch` calls to one (a full batch goes at
 * once). Under load this costs one round trip per batch instead of one per key, and callers queue for a batch,
 * not behind each other's round trips. A call only joins a batch not yet sent, so it sees everything stored
 * before it was made. A failed `readMany` rejects every call of its batch, and later batches go as usual.
 */
export function batchedReads<K, V>(
  readMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>,
  maxBatch: number,
): (key: K) => Promise<V> {
  let waiting: Waiting<K, V>[] = [];
  let inFlight = 0;
  let tickEndAwaited = false;

  const send = () => {
    const batch = waiting;
    waiting = [];
    inFlight += 1;
    readMany([...new Set(batch.map((call) => call.key))])
      .then(
        (values) => {
          for (const { key, resolve, reject } of batch) {
            if (values.has(key)) resolve(values.get(key)!);
            else reject(new BatchedReadMissing(key));
          }
        },
        (error: unknown) => {
          for (const { reject } of batch) reject(error);
        },
      )
      .finally(() => {
        inFlight -= 1;
        if (waiting.length > 0) send();
      });
  };

  return (key) =>
    new Promise<V>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (waiting.length >= maxBatch) send();
      else if (inFlight === 0 && !tickEndAwaited) {
        // setImmediate, not a microtask: the requests parsed in this turn of the event loop join the batch.
        tickEndAwaited = true;
        setImmediate(() => {
          tickEndAwaited = false;
          if (inFlight === 0 && waiting.length > 0) send();
        });
      }
    });
}
