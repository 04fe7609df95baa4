/**
 * The consumer group's partition assignor, Kafka Streams' way: it assigns tasks, not partitions.
 * A task is one partition number of one sub-topology, and every source partition of that task
 * goes to the same member — kafkajs' round-robin assignor would split partition 0 of two joined
 * topics across members. Tasks stay with the member that had them when that keeps the load
 * balanced (each member sends its tasks in its subscription's user data), so a rebalance moves
 * as little state as it can; a task that must move goes first to a member holding a standby
 * replica of it, whose stores are warm.
 *
 * With `numStandbyReplicas`, each task also gets that many standby replicas, on members of other
 * application instances (processes) than its active copy and than each other; a standby stays
 * where it was when it can. The standby tasks travel in the assignment's user data.
 */
import type { GroupAssignor } from '../client/kafka-client.js';

const TASK_ASSIGNOR_NAME = 'TributaryTaskAssignor';
const VERSION = 2;

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

/** What a member tells the leader when it joins: its instance, and the tasks it holds. */
export interface MemberSubscription {
  /** The application instance (process) the member belongs to; standbys avoid their active's instance. */
  readonly process: string;
  readonly active: readonly TaskKey[];
  readonly standby: readonly TaskKey[];
  /** The instance's `applicationServer` (`host:port`), when it has one: where its stores can be queried. */
  readonly applicationServer?: string;
}

/** What the leader tells a member besides its partitions: its standby tasks. */
export interface MemberTasks {
  readonly active: TaskKey[];
  readonly standby: TaskKey[];
}

/** Reads a subscription's user data (version 1 sent a bare array of active tasks). */
export function decodeSubscription(userData: Buffer | undefined, memberId: string): MemberSubscription {
  const strings = (value: unknown): TaskKey[] => (Array.isArray(value) ? value.filter((task): task is string => typeof task === 'string') : []);
  try {
    const data = userData !== undefined && userData.length > 0 ? (JSON.parse(userData.toString('utf8')) as unknown) : [];
    if (Array.isArray(data)) return { process: memberId, active: strings(data), standby: [] };
    const fields = data as { process?: unknown; active?: unknown; standby?: unknown; applicationServer?: unknown };
    const subscription = { process: typeof fields.process === 'string' ? fields.process : memberId, active: strings(fields.active), standby: strings(fields.standby) };
    return typeof fields.applicationServer === 'string' ? { ...subscription, applicationServer: fields.applicationServer } : subscription;
  } catch {
    // A member whose user data cannot be read simply holds nothing.
    return { process: memberId, active: [], standby: [] };
  }
}

/** The standby tasks in an assignment's user data (none in version 1's bare array). */
export function decodeStandbyTasks(userData: Buffer | undefined): TaskKey[] {
  return decodeMemberTasks(userData)?.standby ?? [];
}

/** The active and standby tasks in an assignment's user data; `undefined` when it has none (version 1, or unreadable). */
export function decodeMemberTasks(userData: Buffer | undefined): MemberTasks | undefined {
  const strings = (value: unknown): TaskKey[] => (Array.isArray(value) ? value.filter((task): task is string => typeof task === 'string') : []);
  try {
    const data = userData !== undefined && userData.length > 0 ? (JSON.parse(userData.toString('utf8')) as { active?: unknown; standby?: unknown }) : undefined;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
    return { active: strings(data.active), standby: strings(data.standby) };
  } catch {
    return undefined;
  }
}

/**
 * Member id → task keys; pure, for tests. `previous` holds each member's tasks before the
 * rebalance; `warm`, the members holding a standby of a task, preferred when the task must move.
 */
export function assignTasks(
  memberIds: readonly string[],
  tasks: readonly TaskKey[],
  previous: ReadonlyMap<string, readonly TaskKey[]>,
  warm: ReadonlyMap<TaskKey, readonly string[]> = new Map(),
): Map<string, TaskKey[]> {
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
    const warmMember = warm.get(task)?.find((member) => (result.get(member)?.length ?? capacity) < capacity);
    if (warmMember !== undefined) {
      result.get(warmMember)!.push(task);
      continue;
    }
    let target = members[0]!;
    for (const member of members) if (result.get(member)!.length < result.get(target)!.length) target = member;
    result.get(target)!.push(task);
  }
  return result;
}

/**
 * Member id → standby task keys; pure, for tests. Each task gets up to `replicas` standbys on
 * members of instances other than its active member's and than each other's; a member that held
 * the standby before keeps it, the others go to the member with the fewest tasks. With fewer
 * instances than `replicas + 1`, a task gets fewer standbys.
 */
export function assignStandbys(
  active: ReadonlyMap<string, readonly TaskKey[]>,
  processOf: ReadonlyMap<string, string>,
  previousStandby: ReadonlyMap<string, readonly TaskKey[]>,
  replicas: number,
): Map<string, TaskKey[]> {
  const members = [...active.keys()].sort();
  const result = new Map<string, TaskKey[]>(members.map((member) => [member, []]));
  if (replicas <= 0) return result;
  const load = new Map<string, number>(members.map((member) => [member, active.get(member)!.length]));
  const heldBefore = new Map<TaskKey, Set<string>>();
  for (const [member, tasks] of previousStandby) for (const task of tasks) (heldBefore.get(task) ?? heldBefore.set(task, new Set()).get(task)!).add(member);
  const process = (member: string): string => processOf.get(member) ?? member;
  for (const [owner, tasks] of [...active].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const task of tasks) {
      const used = new Set([process(owner)]);
      for (let copy = 0; copy < replicas; copy++) {
        const candidates = members.filter((member) => !used.has(process(member)));
        if (candidates.length === 0) break;
        const sticky = candidates.find((member) => heldBefore.get(task)?.has(member));
        const target = sticky ?? candidates.reduce((best, member) => (load.get(member)! < load.get(best)! ? member : best));
        result.get(target)!.push(task);
        load.set(target, load.get(target)! + 1);
        used.add(process(target));
      }
    }
  }
  return result;
}

/**
 * The group assignor for a topology (the client encodes it in Kafka's consumer protocol).
 * `heldTasks` is read when this member joins, to tell the leader which tasks it holds.
 */
export function taskAssignor(
  subtopologies: readonly AssignableSubtopology[],
  heldTasks: () => MemberSubscription,
  numStandbyReplicas = 0,
): GroupAssignor {
  return {
    name: TASK_ASSIGNOR_NAME,
    version: VERSION,
    assign(members, partitionCount) {
      const tasks: TaskKey[] = [];
      const topicPartitionsOfTask = new Map<TaskKey, { topic: string; partition: number }[]>();
      // Ask the cluster rather than trusting the plan alone: partitions can be added under us.
      for (const subtopology of subtopologies) {
        const counts = subtopology.sourceTopics.map((topic) => ({ topic, count: partitionCount(topic) }));
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
      const previousStandby = new Map<string, TaskKey[]>();
      const processOf = new Map<string, string>();
      const warm = new Map<TaskKey, string[]>();
      for (const member of members) {
        const subscription = decodeSubscription(member.userData, member.memberId);
        previous.set(member.memberId, [...subscription.active]);
        previousStandby.set(member.memberId, [...subscription.standby]);
        processOf.set(member.memberId, subscription.process);
        for (const task of subscription.standby) (warm.get(task) ?? warm.set(task, []).get(task)!).push(member.memberId);
      }
      const memberIds = members.map((member) => member.memberId);
      const assignment = assignTasks(memberIds, tasks, previous, warm);
      const standbys = assignStandbys(assignment, processOf, previousStandby, numStandbyReplicas);
      return [...assignment].map(([memberId, memberTasks]) => {
        const partitions: Record<string, number[]> = {};
        for (const task of memberTasks) for (const { topic, partition } of topicPartitionsOfTask.get(task) ?? []) (partitions[topic] ??= []).push(partition);
        const userData: MemberTasks = { active: memberTasks, standby: standbys.get(memberId) ?? [] };
        return { memberId, partitions, userData: Buffer.from(JSON.stringify(userData)) };
      });
    },
    subscriptionUserData: () => Buffer.from(JSON.stringify(heldTasks())),
  };
}
