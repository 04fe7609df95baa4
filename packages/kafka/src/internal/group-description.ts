/**
 * The consumer group as the coordinator describes it after a join: every member's endpoint
 * (`applicationServer`, from its subscription) and active and standby tasks (from its
 * assignment). A client need not hand a member its assignment's user data with its partitions
 * (kafkajs does not); the group description keeps it, so a stream thread reads its standby tasks, and every
 * instance's tasks for interactive queries, from here.
 */
import type { StreamsAdmin } from '../client/kafka-client.js';
import type { MemberTasksInfo } from './streams-metadata-state.js';
import { decodeMemberTasks, decodeSubscription, type TaskKey } from './task-assignor.js';

/** What {@link describeGroup} found. */
export interface DescribedGroup {
  readonly members: MemberTasksInfo[];
  /** The standby tasks of the member `memberId`. */
  readonly ownStandby: TaskKey[];
}

/**
 * Describes group `groupId`. A group already rebalancing again is described without assignments:
 * its members then hold nothing until the next join, which describes it again.
 */
export async function describeGroup(admin: StreamsAdmin, groupId: string, memberId: string | undefined): Promise<DescribedGroup> {
  const members: MemberTasksInfo[] = [];
  let ownStandby: TaskKey[] = [];
  for (const member of await admin.describeGroup(groupId)) {
    const tasks = decodeMemberTasks(member.assignmentUserData) ?? { active: [], standby: [] };
    members.push({ applicationServer: decodeSubscription(member.subscriptionUserData, member.memberId).applicationServer, active: tasks.active, standby: tasks.standby });
    if (member.memberId === memberId) ownStandby = tasks.standby;
  }
  return { members, ownStandby };
}
