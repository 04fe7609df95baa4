/**
 * The consumer group's partition assignor, Kafka Streams' way: it assigns tasks, not partitions.
 * A task is one partition number of one sub-topology, and every source partition of that task
 * goes to the same member — kafkajs' round-robin assignor would split partition 0 of two joined
 * topics across members. Tasks stay with the member that had them when that keeps the load
 * balanced (each member sends its tasks in its subscription's user data), so a rebalance moves
 * as little state as it can.
 */
import { AssignerProtocol, type Assigner, type PartitionAssigner } from 'kafkajs';

export const TASK_ASSIGNOR_NAME = 'TributaryTaskAssignor';
const VERSION = 1;

/** A task's id as a string, `<subtopology>_<partition>` as Kafka Streams prints it. */
export type TaskKey = string;

export function taskKey(subtopology: number, partition: number): TaskKey {
  return `${subtopology}_${partition}`;
}

/** What the assignor knows of the topology: each sub-topology's source topics (full names) and task count. */
export interface AssignableSubtopology {
  readonly id: number;
  readonly sourceTopics: readonly string[];
  readonly tasks: number;
}

/** Member id → task keys; pure, for tests. `previous` holds each member's tasks before the rebalance. */
export function assignTasks(memberIds: readonly string[], tasks: readonly TaskKey[], previous: ReadonlyMap<string, readonly TaskKey[]>): Map<string, TaskKey[]> {
  const members = [...memberIds].sort();
  const result = new Map<string, TaskKey[]>(members.map((member) => [member, []]));
  if (members.length === 0) return result;
  const capacity = Math.ceil(tasks.length / members.length);
  const unassigned: TaskKey[] = [];
  const previousOwner = new Map<TaskKey, string>();
  for (const [member, owned] of previous) if (result.has(member)) for (const task of owned) previousOwner.set(task, member);
  for (const task of tasks) {
    const owner = previousOwner.get(task);
    const list = owner === undefined ? undefined : result.get(owner);
    if (list !== undefined && list.length < capacity) list.push(task);
    else unassigned.push(task);
  }
  for (const task of unassigned) {
    let target = members[0]!;
    for (const member of members) if (result.get(member)!.length < result.get(target)!.length) target = member;
    result.get(target)!.push(task);
  }
  return result;
}

/**
 * A kafkajs `PartitionAssigner` for a topology. `ownedTasks` is read when this member joins, to
 * tell the leader which tasks it holds.
 */
export function taskAssignor(subtopologies: readonly AssignableSubtopology[], ownedTasks: () => readonly TaskKey[]): PartitionAssigner {
  return ({ cluster }): Assigner => ({
    name: TASK_ASSIGNOR_NAME,
    version: VERSION,
    async assign({ members }) {
      const tasks: TaskKey[] = [];
      const topicPartitionsOfTask = new Map<TaskKey, { topic: string; partition: number }[]>();
      // Ask the cluster rather than trusting the plan alone: partitions can be added under us.
      for (const subtopology of subtopologies) {
        const counts = subtopology.sourceTopics.map((topic) => ({ topic, count: cluster.findTopicPartitionMetadata(topic).length }));
        const taskCount = Math.max(subtopology.tasks, ...counts.map((entry) => entry.count));
        for (let partition = 0; partition < taskCount; partition++) {
          const key = taskKey(subtopology.id, partition);
          tasks.push(key);
          topicPartitionsOfTask.set(
            key,
            counts.filter((entry) => partition < entry.count).map((entry) => ({ topic: entry.topic, partition })),
          );
        }
      }
      const previous = new Map<string, TaskKey[]>();
      for (const member of members) {
        try {
          const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
          const owned = metadata?.userData !== undefined && metadata.userData.length > 0 ? (JSON.parse(metadata.userData.toString('utf8')) as unknown) : [];
          if (Array.isArray(owned)) previous.set(member.memberId, owned.filter((task): task is string => typeof task === 'string'));
        } catch {
          // A member whose metadata cannot be read simply has no previous tasks.
        }
      }
      const assignment = assignTasks(
        members.map((member) => member.memberId),
        tasks,
        previous,
      );
      return [...assignment].map(([memberId, memberTasks]) => {
        const byTopic: Record<string, number[]> = {};
        for (const task of memberTasks) for (const { topic, partition } of topicPartitionsOfTask.get(task) ?? []) (byTopic[topic] ??= []).push(partition);
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: VERSION, assignment: byTopic, userData: Buffer.from(JSON.stringify(memberTasks)) }),
        };
      });
    },
    protocol({ topics }) {
      return {
        name: TASK_ASSIGNOR_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.from(JSON.stringify(ownedTasks())) }),
      };
    },
  });
}
