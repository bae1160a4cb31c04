import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayThreads } from './support/replays.js';
import { migratedSchema } from './support/stack.js';

describe('replay threads (workflows/replay-threads.ts)', () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;

  beforeAll(async () => {
    db = await migratedSchema();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('answer a failure as the thread threw it, and go on taking work after it', async () => {
    const threads = replayThreads(db.schema, 1);
    const noSuchReplay = '00000000-0000-4000-8000-000000000000';
    const work = { kind: 'chunk', replayId: noSuchReplay, partition: 0, chunk: {} } as const;
    const heartbeats: unknown[] = [];
    const signal = new AbortController().signal;
    try {
      await expect(threads.run(work, (details) => heartbeats.push(details), signal)).rejects.toThrow(
        `no replay ${noSuchReplay}`,
      );
      await expect(threads.run({ ...work, kind: 'merge' }, () => undefined, signal)).rejects.toThrow(
        `no replay ${noSuchReplay}`,
      );
      expect(heartbeats).toEqual([]);
    } finally {
      await threads.close();
    }
  });
});
