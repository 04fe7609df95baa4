/**
 * How the thread follows its group, as Kafka's `StreamsRebalanceListener` with the task manager's
 * assignment handling: when a rebalance begins (the revoke) everything is committed while the old
 * generation still accepts commits; on the assignment, tasks no longer assigned are committed and
 * closed, the standbys are updated (a standby promoted to active first releases its stores), new
 * tasks are created and restore from their changelogs with their partitions paused, outside the
 * lock, and once restored they start at their committed offsets and the thread runs again.
 */
import type { InternalTopologyBuilder, SubtopologySpec, ThreadSensors } from '@tributary/streams/engine';
import type { Logger } from '@tributary/streams';
import type { ConsumerGroupMetadata, GroupAssignment, GroupMembershipListener, StreamsAdmin, StreamsConsumer } from '../../client/kafka-client.js';
import { IllegalStateError } from '../../errors.js';
import { describeGroup, type DescribedGroup } from '../group-description.js';
import type { StandbyTasks } from '../standby-tasks.js';
import type { GroupSnapshot } from '../streams-metadata-state.js';
import { taskKey, type TaskKey } from '../task-assignor.js';
import type { ManagedTask, TaskManager } from '../task-manager.js';
import type { ThreadCommitter } from './commit-strategy.js';
import type { LivenessWatchdog } from './liveness-watchdog.js';
import type { PartitionPositions } from './partition-positions.js';
import type { ThreadLock } from './thread-lock.js';
import type { ThreadStateMachine } from './thread-state.js';

type AssignedTasks = Map<TaskKey, { subtopology: SubtopologySpec; partition: number }>;

export interface RebalanceListenerOptions {
  readonly state: ThreadStateMachine;
  readonly consumer: StreamsConsumer;
  readonly admin: StreamsAdmin;
  readonly groupId: string;
  readonly builder: InternalTopologyBuilder;
  readonly subtopologyByTopic: ReadonlyMap<string, SubtopologySpec>;
  readonly taskManager: TaskManager;
  readonly standbys: StandbyTasks | undefined;
  readonly positions: PartitionPositions;
  readonly committer: ThreadCommitter;
  readonly watchdog: LivenessWatchdog;
  readonly lock: ThreadLock;
  readonly sensors: ThreadSensors;
  readonly logger: Logger;
  /**
   * Exactly-once: every restored task seeks to its committed offsets, read after the fencing (v1:
   * its producer's; v2: the coordinator's, which refuses the previous owner's offsets once the
   * group moved on) and stable (a transaction of them still completing is waited for).
   */
  readonly exactlyOnce: boolean;
  /** Every input topic's partition count, for the group snapshot. */
  readonly partitionCounts: ReadonlyMap<string, number>;
  readonly onGroupSnapshot: ((snapshot: GroupSnapshot) => void) | undefined;
  readonly fail: (error: unknown) => void;
}

export class RebalanceListener implements GroupMembershipListener {
  /** This member's id in the group, from its last join. */
  private memberId: string | undefined;
  /** The assignment the thread's tasks run under: set once it is applied, after the revoked tasks' commit. */
  private applied: { readonly memberId: string; readonly generationId: number } | undefined;

  constructor(private readonly options: RebalanceListenerOptions) {}

  /** Commits everything (settled once done or failed, a failure failing the thread), while the old generation's commits are still accepted. */
  onRevoked(): Promise<void> {
    const { state, lock, committer } = this.options;
    if (state.isActive) state.transitionTo('PARTITIONS_REVOKED');
    return lock.exclusive(() => committer.commitAll('rebalance')).catch((error: unknown) => {
      if (state.isActive) this.options.fail(error);
    });
  }

  onLost(): void {
    this.options.watchdog.membershipLost([...this.options.taskManager.tasks.keys()]);
  }

  onFailed(error: unknown): void {
    // A failure while closing is the client going away under the close.
    if (this.options.state.isActive) this.options.fail(error);
  }

  /** A new generation's assignment: pauses the partitions of tasks not yet running, then applies it in the background. */
  onAssigned({ memberId, generationId, partitions }: GroupAssignment): void {
    this.memberId = memberId;
    const { state, subtopologyByTopic, taskManager, consumer, lock } = this.options;
    if (state.failed) return;
    // Pause partitions of tasks not yet running before the first fetch; restored tasks resume them.
    const toPause: { topic: string; partitions: number[] }[] = [];
    for (const [topic, numbers] of Object.entries(partitions)) {
      const subtopology = subtopologyByTopic.get(topic);
      const paused = numbers.filter((partition) => subtopology === undefined || taskManager.tasks.get(taskKey(subtopology.id, partition))?.state !== 'running');
      if (paused.length > 0) toPause.push({ topic, partitions: paused });
    }
    if (toPause.length > 0) consumer.pause(toPause);
    lock.background(() => this.applyAssignment(partitions, { memberId, generationId }));
  }

  /**
   * The consumer group's metadata for exactly-once v2's offsets: the member id and generation of
   * the assignment the tasks run under, not the client's latest, so the coordinator refuses
   * offsets of tasks processed in a generation the group has left behind.
   */
  groupMetadata(): ConsumerGroupMetadata {
    const { groupId } = this.options;
    const applied = this.applied;
    if (applied === undefined || applied.generationId < 0) {
      throw new IllegalStateError(
        `The consumer of group ${groupId} did not report its generation with its assignment, which exactly_once_v2 sends with the offsets: use a client that reports it (the @platformatic/kafka client does), or 'exactly_once'.`,
      );
    }
    return { groupId, generationId: applied.generationId, memberId: applied.memberId };
  }

  /**
   * Moves to `RUNNING` when the assignment is applied and every task is restored and running.
   * Only from `PARTITIONS_ASSIGNED`: a restore that ends while the group rebalances again waits
   * for that assignment.
   */
  checkRunning(): void {
    const { state, taskManager } = this.options;
    if (state.state !== 'PARTITIONS_ASSIGNED') return;
    for (const managed of taskManager.tasks.values()) if (managed.state !== 'running') return;
    state.transitionTo('RUNNING');
  }

  /**
   * The group moved on without this member's offsets (exactly-once v2: the coordinator refused
   * them, and the thread's transaction was aborted): as Kafka's `handleLostAll`, every task is
   * closed without a commit, its partitions paused, and the thread stays a member. The group's
   * next assignment, which the consumer joins for at its next heartbeat, creates the tasks again
   * from their committed offsets and changelogs. Replacing the thread instead would leave and
   * rejoin the group, a rebalance more for every member. Under the lock.
   */
  async loseAll(reason: unknown): Promise<void> {
    const { taskManager, consumer, logger } = this.options;
    const lost = [...taskManager.tasks.values()];
    const partitions = lost.flatMap((managed) => managed.topicPartitions.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
    try {
      if (partitions.length > 0) consumer.pause(partitions);
    } catch {
      // The consumer is not running: nothing is fetched anyway.
    }
    for (const managed of lost) await this.closeTask(managed);
    taskManager.applyCacheBudget();
    logger.warn(
      `The consumer group moved on without this member's offsets; its tasks [${lost.map((managed) => managed.key).join(', ')}] are closed without a commit and resume from their last commit when the group assigns them again`,
      { error: reason instanceof Error ? reason.message : String(reason) },
    );
  }

  /** Commits what the tasks processed (unless the thread failed), closes them and the standbys. Under the lock. */
  async closeAll(): Promise<void> {
    const { state, committer, taskManager, standbys } = this.options;
    if (!state.failed) await committer.commitAll('close');
    for (const managed of [...taskManager.tasks.values()]) await this.closeTask(managed);
    await standbys?.close();
  }

  /** Applies a new assignment: commits and closes revoked tasks, creates and restores new ones. Under the lock. */
  private async applyAssignment(assignment: Readonly<Record<string, readonly number[]>>, member: { readonly memberId: string; readonly generationId: number }): Promise<void> {
    const { state, taskManager, committer, logger, standbys, sensors } = this.options;
    if (!state.isActive) return;
    state.transitionTo('PARTITIONS_ASSIGNED');
    const wanted: AssignedTasks = new Map();
    for (const [topic, partitions] of Object.entries(assignment)) {
      const subtopology = this.options.subtopologyByTopic.get(topic);
      if (subtopology === undefined) continue;
      for (const partition of partitions) wanted.set(taskKey(subtopology.id, partition), { subtopology, partition });
    }
    const revoked = [...taskManager.tasks.values()].filter((managed) => !wanted.has(managed.key));
    if (revoked.length > 0) {
      await committer.commitAll('revoke', revoked);
      for (const managed of revoked) await this.closeTask(managed);
      // The tasks kept get the revoked ones' share now, before anything else can await (a query reads them between).
      taskManager.applyCacheBudget();
      logger.info(`Closed revoked tasks [${revoked.map((managed) => managed.key).join(', ')}]`);
    }
    // What was processed before is committed under the generation it was processed in (above, or at the revoke).
    this.applied = member;
    const group = await this.describeGroup();
    if (group === 'failed') return;
    // Standbys first: one promoted to an active task here must release its stores before the task opens them.
    if (standbys !== undefined) {
      try {
        await standbys.update(this.assignedStandbys(group?.ownStandby ?? [], wanted));
      } catch (error) {
        this.options.fail(error);
        return;
      }
    }
    const created: ManagedTask[] = [];
    for (const [key, { subtopology, partition }] of wanted) {
      if (taskManager.tasks.has(key)) continue;
      try {
        created.push(await taskManager.create(key, subtopology, partition, assignment));
        sensors.tasksCreated++;
      } catch (error) {
        this.options.fail(error);
        return;
      }
    }
    if (created.length === 0) {
      this.checkRunning();
      return;
    }
    // Restoring runs outside the lock, so the consumer keeps heartbeating and running tasks keep processing.
    // A rebalance does not cancel a restore: tasks it keeps here must start fully restored, and
    // the ones it revokes are closed, after which their restore applies nothing more.
    void taskManager.restore(created, () => !state.isActive).then(
      () => this.options.lock.exclusive(() => this.restored(created)),
      (error: unknown) => this.options.fail(error),
    ).catch((error: unknown) => {
      if (state.isActive) this.options.fail(error);
    });
  }

  /** The group description, for the query metadata and this member's standbys; `'failed'` when that failed the thread. */
  private async describeGroup(): Promise<DescribedGroup | undefined | 'failed'> {
    const { admin, groupId, standbys, logger, onGroupSnapshot, partitionCounts } = this.options;
    let group: DescribedGroup;
    try {
      group = await describeGroup(admin, groupId, this.memberId);
    } catch (error) {
      // Without standbys only the query metadata needs the description: it waits for the next rebalance.
      if (standbys !== undefined) {
        this.options.fail(error);
        return 'failed';
      }
      logger.warn('Could not describe the consumer group; interactive query metadata stays as it was until the next rebalance', { error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
    onGroupSnapshot?.({ members: group.members, partitionCounts: [...partitionCounts] });
    return group;
  }

  /** Restored tasks (those not closed meanwhile) start at their committed offsets and run. Under the lock. */
  private async restored(created: readonly ManagedTask[]): Promise<void> {
    const { state, taskManager, positions, consumer } = this.options;
    taskManager.applyCacheBudget();
    const restored = created.filter((managed) => managed.state === 'restoring');
    if (state.isActive) {
      try {
        await positions.seekToCommitted(this.options.exactlyOnce ? restored : restored.filter((managed) => managed.startOffsets !== undefined));
      } catch (error) {
        this.options.fail(error);
      }
    }
    const toResume: { topic: string; partitions: number[] }[] = [];
    for (const managed of restored) {
      managed.state = 'running';
      for (const { topic, partition } of managed.topicPartitions) toResume.push({ topic, partitions: [partition] });
    }
    if (toResume.length > 0 && state.isActive) consumer.resume(toResume);
    this.checkRunning();
  }

  /** This member's standby tasks in the current generation that are not also active here. */
  private assignedStandbys(keys: readonly TaskKey[], active: ReadonlyMap<TaskKey, unknown>): AssignedTasks {
    const subtopologies = new Map(this.options.builder.subtopologies().map((subtopology) => [subtopology.id, subtopology]));
    const standbys: AssignedTasks = new Map();
    for (const key of keys) {
      if (active.has(key)) continue;
      const [subtopologyId, partition] = key.split('_').map(Number);
      const subtopology = subtopologies.get(subtopologyId!);
      if (subtopology !== undefined && Number.isInteger(partition)) standbys.set(key, { subtopology, partition: partition! });
    }
    return standbys;
  }

  private async closeTask(managed: ManagedTask): Promise<void> {
    if (managed.state === 'closed') return;
    this.options.positions.forget(managed);
    // Its partitions' lag goes with it (Kafka's consumer drops an unassigned partition's lag metrics):
    // kept, the last batch's lag would be reported for as long as the thread runs, however its new owner does.
    for (const { topic, partition } of managed.topicPartitions) this.options.sensors.recordsLag.delete(`${topic}:${partition}`);
    await this.options.taskManager.close(managed);
    this.options.sensors.tasksClosed++;
  }
}
