/**
 * How a stream thread commits: one interface, two strategies (`at-least-once-commit.ts`,
 * `exactly-once-commit.ts`), and what both share: the first half of every commit, which flushes
 * the tasks' stores and notes the offsets each consumed, and the interval and metrics around it.
 */
import type { ThreadSensors } from '@tributary/streams/engine';
import type { OffsetCommit } from '../../client/kafka-client.js';
import type { Logger } from '@tributary/streams';
import type { KafkaRecordCollector } from '../kafka-record-collector.js';
import type { ManagedTask, TaskManager } from '../task-manager.js';
import type { PartitionPositions } from './partition-positions.js';

/** What a commit strategy works with: the thread's tasks, positions and failure path. */
export interface CommitContext {
  readonly taskManager: TaskManager;
  readonly positions: PartitionPositions;
  readonly groupId: string;
  readonly logger: Logger;
  /** Flushes the global stores at each commit. */
  readonly flushGlobals: () => void;
  /** Fails the thread: nothing more is sent or committed. */
  readonly fail: (error: unknown) => void;
}

/** A task ready to commit: its stores flushed, and the offsets it consumed since the last commit. */
export interface PreparedCommit {
  readonly managed: ManagedTask;
  readonly offsets: OffsetCommit[];
  /** The next offset of every input topic the task has consumed from (the task's own map: stable under the lock). */
  readonly consumed: ReadonlyMap<string, number>;
}

/**
 * Why a thread commits: its interval, or a rebalance, a revoke or a close, which suspend or close
 * tasks and so always checkpoint their stores (Kafka's enforced checkpoint); an interval commit
 * checkpoints a task only once its changelogs moved far enough (see `TaskManager.writeCheckpoints`).
 */
export type CommitReason = 'interval' | 'rebalance' | 'revoke' | 'close';

/** Whether a commit for `reason` checkpoints every task it commits, however little its changelogs moved. */
export function checkpointsAlways(reason: CommitReason): boolean {
  return reason !== 'interval';
}

export interface CommitStrategy {
  /**
   * The collector every task shares (at-least-once), or `undefined` when each task has its own
   * (exactly-once: the collector of its transaction).
   */
  readonly sharedCollector: KafkaRecordCollector | undefined;
  /**
   * Commits the running tasks (or `only` those) under the thread's lock: output, offsets and
   * stores, in the order the guarantee needs. A failure fails the thread through the context.
   * Returns how many tasks it prepared (none: no commit happened, for the metrics).
   */
  commit(reason: CommitReason, only?: readonly ManagedTask[]): Promise<number>;
}

/**
 * The first half of every commit, under the lock: flushes the stores of the running tasks that
 * need a commit (or for which `mustCommit` says so) and notes the offsets each consumed since the
 * last commit, then flushes the global stores. `undefined` when that failed the thread.
 */
export function prepareCommits(context: CommitContext, only: readonly ManagedTask[] | undefined, mustCommit: (managed: ManagedTask) => boolean): PreparedCommit[] | undefined {
  const work: PreparedCommit[] = [];
  for (const managed of only ?? context.taskManager.tasks.values()) {
    if (managed.state !== 'running') continue;
    const task = managed.task;
    if (!task.commitNeeded && !task.hasStores && !mustCommit(managed)) continue;
    let consumed: ReadonlyMap<string, number>;
    try {
      consumed = task.prepareCommit();
    } catch (error) {
      context.fail(error);
      return undefined;
    }
    const offsets: OffsetCommit[] = [];
    for (const [topic, offset] of consumed) {
      if (context.positions.committedOf(topic, task.id.partition) !== offset) offsets.push({ topic, partition: task.id.partition, offset });
    }
    work.push({ managed, offsets, consumed });
  }
  try {
    context.flushGlobals();
  } catch (error) {
    context.fail(error);
    return undefined;
  }
  return work;
}

/**
 * The thread's commits over time: runs its strategy unless the thread may no longer commit, times
 * each commit for the metrics, and says when the commit interval has passed.
 */
export class ThreadCommitter {
  private lastCommitAt = Date.now();

  constructor(
    private readonly strategy: CommitStrategy,
    private readonly commitIntervalMs: number,
    private readonly sensors: ThreadSensors,
    /** False, having failed the thread when it must, when it may no longer commit (failed, or expelled from its group). */
    private readonly mayCommit: () => boolean,
  ) {}

  /** Whether the commit interval has passed since the last full commit began (as Kafka's StreamThread counts it). */
  due(now: number): boolean {
    return now - this.lastCommitAt >= this.commitIntervalMs;
  }

  /** Commits every running task, or `only` those (a revoke's). Under the lock. */
  async commitAll(reason: CommitReason, only?: readonly ManagedTask[]): Promise<void> {
    if (!this.mayCommit()) return;
    const start = performance.now();
    // From when the commit begins: its duration must not stretch the wait of cached outputs for the next.
    const began = Date.now();
    const prepared = await this.strategy.commit(reason, only);
    if (only === undefined) this.lastCommitAt = began;
    // As Kafka's commit sensor: a pass that had no task to commit is no commit.
    if (prepared > 0) this.sensors.commit.record(performance.now() - start);
  }
}
