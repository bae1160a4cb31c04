import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

const NAME = 'AchievementsCoPartitioned';

/**
 * Which partitions each member takes: partition number N of every topic goes to one member (the N-th, round
 * the sorted members). The input topics carry a client on the same partition number of each, so one
 * processor holds both of a client's streams: its turns per partition number keep the client's progress in
 * one writer's hands, and a backfill's merge of a partition meets one owner.
 */
export function coPartitionedAssignment(
  memberIds: readonly string[],
  partitionsByTopic: ReadonlyMap<string, readonly number[]>,
): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const assignment = new Map<string, Record<string, number[]>>(members.map((memberId) => [memberId, {}]));
  for (const [topic, partitions] of partitionsByTopic) {
    for (const partition of partitions) {
      const taken = assignment.get(members[partition % members.length]!)!;
      (taken[topic] ??= []).push(partition);
    }
  }
  return assignment;
}

/** The processors' assigner for kafkajs (see `coPartitionedAssignment`). */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: NAME,
  version: 1,
  assign: ({ members, topics }) => {
    const partitions = new Map(
      topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)]),
    );
    const assignment = coPartitionedAssignment(
      members.map((member) => member.memberId),
      partitions,
    );
    return Promise.resolve(
      [...assignment].map(([memberId, taken]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: taken,
          userData: Buffer.alloc(0),
        }),
      })),
    );
  },
  protocol: ({ topics }) => ({
    name: NAME,
    metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
  }),
});
