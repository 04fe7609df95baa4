/**
 * The consumer group as the coordinator describes it after a join: every member's endpoint
 * (`applicationServer`, from its subscription) and active and standby tasks (from its
 * assignment). kafkajs drops the assignment's user data when it hands a member its partitions;
 * the group description keeps it, so a stream thread reads its standby tasks, and every
 * instance's tasks for interactive queries, from here.
 */
import { AssignerProtocol, type Admin } from 'kafkajs';
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
export async function describeGroup(admin: Admin, groupId: string, memberId: string | undefined): Promise<DescribedGroup> {
  const { groups } = await admin.describeGroups([groupId]);
  const members: MemberTasksInfo[] = [];
  let ownStandby: TaskKey[] = [];
  for (const member of groups[0]?.members ?? []) {
    let subscriptionData: Buffer | undefined;
    let assignmentData: Buffer | undefined;
    try {
      subscriptionData = AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData;
      assignmentData = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.userData;
    } catch {
      // A member whose metadata cannot be read (not ours, or mid-rebalance) holds nothing here.
    }
    const tasks = decodeMemberTasks(assignmentData) ?? { active: [], standby: [] };
    members.push({ applicationServer: decodeSubscription(subscriptionData, member.memberId).applicationServer, active: tasks.active, standby: tasks.standby });
    if (member.memberId === memberId) ownStandby = tasks.standby;
  }
  return { members, ownStandby };
}
