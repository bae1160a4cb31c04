import { AssignerProtocol } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, ownInputTopics, startTestProcessor } from './support/engine.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('partitions of the input topics among processors', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  const running: Awaited<ReturnType<typeof startTestProcessor>>[] = [];

  afterAll(async () => {
    await Promise.all(running.map((processor) => processor.stop()));
    await db?.drop();
  });

  it('gives one processor partition N of both input topics, with four processors on six partitions', async () => {
    db = await migratedSchema();
    const topics = await ownInputTopics(kafka, 6);
    const groupId = uniqueName('group');
    for (let i = 0; i < 4; i++) running.push(await startTestProcessor(db.pool, topics, groupId));
    const admin = kafka.admin();
    await admin.connect();
    const assignments = await eventually(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]!.members.map(
          (member) => AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment ?? {},
        );
      },
      (found) => found.length === 4 && found.every((taken) => Object.keys(taken).length > 0),
    );
    await admin.disconnect();
    for (const taken of assignments)
      expect([...(taken[topics.clientEvents] ?? [])].sort()).toEqual(
        [...(taken[topics.transactions] ?? [])].sort(),
      );
    expect(assignments.flatMap((taken) => taken[topics.transactions] ?? []).sort()).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
  });
});
