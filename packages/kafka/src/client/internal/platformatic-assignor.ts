/**
 * A {@link GroupAssignor} as @platformatic/kafka's group options. platformatic encodes one
 * assignment user data for every member (its option `assignmentUserData`), and when the group
 * has a single member it assigns every partition without asking the assignor; the runtime's
 * assignor gives each member its own user data (its tasks). So the options' `assignmentUserData`
 * is read through a getter: the leader's assignor queues each member's data in the order
 * platformatic encodes the members (the order the assignor returned them), and for a group of
 * one the assignor runs then, for this member alone.
 */
import { kOptions, type ClusterMetadata, type Consumer, type GroupOptions, type GroupPartitionsAssignments } from '@platformatic/kafka';
import type { GroupAssignor } from '../kafka-client.js';

function partitionCounter(metadata: ClusterMetadata | undefined): (topic: string) => number {
  return (topic) => metadata?.topics.get(topic)?.partitionsCount ?? 0;
}

/**
 * The group options that run `assignor` on `consumer`, which it wires its user data into. Each
 * JoinGroup waits for `beforeJoin` first (the revoked partitions' commit): platformatic asks for
 * the subscription's user data before it sends the request, and waits for a promise.
 */
export function platformaticGroupOptions(consumer: Consumer, assignor: GroupAssignor, beforeJoin: () => Promise<void>): Pick<GroupOptions, 'protocols' | 'protocolsMetadata' | 'partitionAssigner'> {
  const pendingUserData: Buffer[] = [];
  let lastSubscription: Buffer | undefined;
  Object.defineProperty((consumer as unknown as Record<symbol, object>)[kOptions], 'assignmentUserData', {
    configurable: true,
    enumerable: true,
    get(): Buffer {
      const queued = pendingUserData.shift();
      if (queued !== undefined) return queued;
      const memberId = consumer.memberId ?? '';
      const [alone] = assignor.assign([{ memberId, userData: lastSubscription }], partitionCounter(consumer.currentMetadata));
      return alone?.userData ?? Buffer.alloc(0);
    },
  });
  return {
    protocols: [{ name: assignor.name, version: assignor.version }],
    protocolsMetadata: async () => {
      await beforeJoin();
      lastSubscription = assignor.subscriptionUserData();
      return lastSubscription;
    },
    partitionAssigner: (_current, members, _topics, metadata): GroupPartitionsAssignments[] => {
      const decided = assignor.assign(
        [...members].map(([memberId, subscription]) => ({ memberId, userData: typeof subscription.metadata === 'string' ? Buffer.from(subscription.metadata) : subscription.metadata })),
        partitionCounter(metadata),
      );
      pendingUserData.length = 0;
      return decided.map(({ memberId, partitions, userData }) => {
        pendingUserData.push(userData);
        return { memberId, assignments: new Map(Object.entries(partitions).map(([topic, numbers]) => [topic, { topic, partitions: [...numbers] }])) };
      });
    },
  };
}
