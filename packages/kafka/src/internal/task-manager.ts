/**
 * The tasks of one stream thread and their lifecycle, apart from the consume/commit loop: creating
 * a task per assigned (sub-topology, partition) with its persistent stores' handles, restoring
 * their stores from changelogs before they process (`task-restorer.ts`), closing them, sharing
 * the application's cache budget among their caching stores, and the counters that outlive
 * closed tasks.
 */
import type { StateStore } from '@tributary/streams';
import { isCachingStore, preparableSupplierOf, StreamTask, type CachingStateStore, type DropReason, type InternalTopologyBuilder, type StoreHandle, type SubtopologySpec } from '@tributary/streams/engine';
import type { ResolvedKafkaStreamsOptions } from '../options.js';
import type { KafkaRecordCollector } from './kafka-record-collector.js';
import type { KafkaClientSupplier, RecordSender, StreamsAdmin } from '../client/kafka-client.js';
import { retryWhileLocked } from './retry-locked.js';
import { checkChangelogEndsFit } from './commit-metadata.js';
import type { TaskKey } from './task-assignor.js';
import { TaskRestorer } from './task-restorer.js';
import { TaskTransaction } from './task-transaction.js';

export interface ManagedTask {
  readonly key: TaskKey;
  /** Persistent stores' handles, by store name. */
  readonly handles: Map<string, StoreHandle>;
  readonly task: StreamTask;
  readonly subtopology: SubtopologySpec;
  /** The source topic-partitions of the task (full topic names). */
  readonly topicPartitions: { topic: string; partition: number }[];
  /** Where the task's records go: the thread's shared collector, or (exactly-once v1) the task's own. */
  readonly collector: KafkaRecordCollector;
  /** Under exactly-once v1, the task's transactional producer (v2: the thread's, in its collector). */
  readonly transaction: TaskTransaction | undefined;
  state: 'restoring' | 'running' | 'closed';
  /**
   * At-least-once, for a task with logged stores: the end of each of its changelog partitions as
   * last known (after its restore and roll-back; later acks are in the collector), by topic. Each
   * commit records them in the offset-commit metadata. `undefined` otherwise.
   */
  changelogEnds: Map<string, number> | undefined;
  /** The metadata of the task's last offset commit, to commit again when only a changelog moved. */
  committedMetadata: string | undefined;
  /** At-least-once: the committed offset of each input topic its restore started from (`-1`: none), for the consumer to start at. */
  startOffsets: Map<string, number> | undefined;
}

export interface TaskManagerOptions {
  readonly client: KafkaClientSupplier;
  readonly admin: StreamsAdmin;
  readonly builder: InternalTopologyBuilder;
  readonly options: ResolvedKafkaStreamsOptions;
  /**
   * The collector for a task: under at-least-once the thread's shared one (whatever the sender);
   * under exactly-once a new one sending through the task's transaction.
   */
  readonly collectorFor: (sender: RecordSender | undefined, taskId: string) => KafkaRecordCollector;
  /** Global stores, readable by every task. */
  readonly globalStores: ReadonlyMap<string, StateStore>;
  /** At-least-once: the thread's producer, which writes the compensating records of changelog roll-backs. */
  readonly producer: RecordSender | undefined;
}

export class TaskManager {
  readonly tasks = new Map<TaskKey, ManagedTask>();
  /** Counters of tasks already closed, so metrics survive rebalances. */
  private closedProcessed = 0;
  private readonly closedDropped = new Map<DropReason, number>();
  restoredRecords = 0;
  /** Punctuator calls of tasks already closed, for the thread's punctuate-total. */
  closedPunctuations = 0;
  private readonly restorer: TaskRestorer;

  constructor(private readonly options: TaskManagerOptions) {
    this.restorer = new TaskRestorer(options, (count) => {
      this.restoredRecords += count;
    });
    // Fail at start, not at the first commit, when a sub-topology's changelog ends cannot fit in the commit metadata.
    if (options.options.processingGuarantee === 'at_least_once') checkChangelogEndsFit(options.builder, options.options.applicationId, options.globalStores);
  }

  /** Task ids of running tasks, as `<subtopology>_<partition>`. */
  taskIds(): string[] {
    return [...this.tasks.values()].filter((managed) => managed.state === 'running').map((managed) => managed.key);
  }

  /** The running tasks' instances of a store. */
  storesNamed(name: string): StateStore[] {
    const stores: StateStore[] = [];
    for (const managed of this.tasks.values()) {
      if (managed.state !== 'running') continue;
      const store = managed.task.stores.get(name);
      if (store !== undefined && !this.options.globalStores.has(name)) stores.push(store);
    }
    return stores;
  }

  processedCount(): number {
    let total = this.closedProcessed;
    for (const managed of this.tasks.values()) total += managed.task.metrics.processed;
    return total;
  }

  streamTimeAheadOfWallClockMs(): number {
    let ahead = 0;
    for (const managed of this.tasks.values()) ahead = Math.max(ahead, managed.task.metrics.streamTimeAheadOfWallClockMs);
    return ahead;
  }

  droppedCounts(): Map<DropReason, number> {
    const total = new Map(this.closedDropped);
    for (const managed of this.tasks.values()) for (const [reason, count] of managed.task.metrics.dropped) total.set(reason, (total.get(reason) ?? 0) + count);
    return total;
  }

  /** Creates the task of one assigned (sub-topology, partition) and opens its persistent stores' handles. */
  async create(key: TaskKey, subtopology: SubtopologySpec, partition: number, assignment: Readonly<Record<string, readonly number[]>>): Promise<ManagedTask> {
    const { builder, options } = this.options;
    const taskId = { subtopology: subtopology.id, partition };
    let transaction: TaskTransaction | undefined;
    if (options.processingGuarantee === 'exactly_once') {
      transaction = new TaskTransaction({ client: this.options.client, applicationId: options.applicationId, taskId: key, commitIntervalMs: options.commitIntervalMs });
      // Fence the task's previous owner before reading its changelogs or committed offsets.
      await transaction.initialize().catch(async (error: unknown) => {
        await transaction!.close();
        throw error;
      });
    }
    const collector = this.options.collectorFor(transaction, key);
    const taskCollector = collector.forTask();
    const task = new StreamTask({ taskId, builder, subtopology, config: options.streams, collector: taskCollector, clock: Date.now, stateDir: options.stateDir, fetchesInput: true });
    taskCollector.context = task.context;
    for (const [name, store] of this.options.globalStores) task.context.stores.set(name, store);
    const topicPartitions = task.sourceTopics.filter((topic) => (assignment[topic] ?? []).includes(partition)).map((topic) => ({ topic, partition }));
    // A topic with fewer partitions than the sub-topology has tasks has none for this one: never waited for.
    for (const topic of task.sourceTopics) if (!topicPartitions.some((entry) => entry.topic === topic)) task.markPartitionMissing(topic);
    const managed: ManagedTask = {
      key,
      handles: new Map(),
      task,
      subtopology,
      topicPartitions,
      collector,
      transaction,
      state: 'restoring',
      changelogEnds: undefined,
      committedMetadata: undefined,
      startOffsets: undefined,
    };
    this.tasks.set(key, managed);
    for (const storeName of subtopology.stores) {
      const supplier = preparableSupplierOf(builder.stores.get(storeName)!.builder);
      // Another stream thread of this process may still hold the store's lock (see retry-locked.ts).
      if (supplier !== undefined) {
        const handle = await retryWhileLocked(() => supplier.prepare({ stateDir: options.stateDir, applicationId: options.applicationId, taskId }), options.rebalanceTimeoutMs);
        // Flushes reach the files only at commitStores, once their offsets or transaction are committed.
        handle.holdFlushesUntilCommit?.();
        managed.handles.set(storeName, handle);
      }
    }
    return managed;
  }

  /**
   * Divides the application's cache budget evenly among the caching stores of the tasks (as Kafka
   * Streams divides `statestore.cache.max.bytes`); called whenever the set of tasks changes.
   */
  applyCacheBudget(): void {
    const stores: CachingStateStore[] = [];
    for (const managed of this.tasks.values()) {
      if (managed.state === 'closed') continue;
      for (const [name, store] of managed.task.stores) {
        if (this.options.globalStores.has(name)) continue;
        if (isCachingStore(store)) stores.push(store);
      }
    }
    if (stores.length === 0) return;
    const share = Math.floor(this.options.options.cacheMaxBytes / stores.length);
    for (const store of stores) store.setCacheMaxBytes(share);
  }

  /**
   * Restores new tasks' stores and initializes the tasks (see `task-restorer.ts`): under
   * at-least-once only up to the changelog ends their last offset commit recorded, rolling back
   * what was written past them.
   */
  restore(created: readonly ManagedTask[], cancelled: () => boolean): Promise<void> {
    return this.restorer.restore(created, cancelled);
  }

  /**
   * At-least-once: the changelog ends to record with a task's next offset commit, from what its
   * restore found and what the collector has had acknowledged since. `undefined` for a task
   * without logged stores (or under exactly-once).
   */
  changelogEndsOf(managed: ManagedTask): Map<string, number> | undefined {
    const ends = managed.changelogEnds;
    if (ends === undefined) return undefined;
    const acknowledged = managed.collector.acknowledged;
    for (const [topic, end] of ends) {
      const acked = acknowledged.get(`${topic}:${managed.task.id.partition}`);
      if (acked !== undefined && acked > end) ends.set(topic, acked);
    }
    return ends;
  }

  /**
   * Writes the persistent stores' held flushes to disk, once the offsets or transaction that cover
   * them are committed, every store at once: each waits on its own disk writes, and one after the
   * other a thread of many tasks spent most of each commit waiting on the disk.
   */
  async commitStores(only?: readonly ManagedTask[]): Promise<void> {
    const commits: Promise<void>[] = [];
    for (const managed of only ?? this.tasks.values()) if (managed.state === 'running') for (const handle of managed.handles.values()) commits.push(handle.commit());
    await settleAll(commits);
  }

  /**
   * Checkpoints the changelog offset each persistent store of the running tasks (or `only` those)
   * reflects, as of the commit just made (`offsetsOf`: a task's changelog ends by
   * `topic:partition`), so a restart restores only what follows. As Kafka Streams'
   * `StreamTask.maybeCheckpoint`, a task's stores are checkpointed together when `always` (the
   * commit suspends or closes tasks) or once its changelogs moved by more than
   * `checkpointThresholdRecords` since its last checkpoint: each checkpoint syncs the disk. The
   * stores hold their flushes until commit, so between checkpoints their files hold committed
   * writes only, and a crash means replaying the changelog from the older checkpoint. The stores
   * are checkpointed at once: each is a file of its own synced to disk, and one after the other a
   * thread with 32 tasks of three stores took a second or two (under its lock) on a busy disk.
   */
  async writeCheckpoints(offsetsOf: (managed: ManagedTask) => ReadonlyMap<string, number> | undefined, always: boolean, only?: readonly ManagedTask[]): Promise<void> {
    const changelogs = this.options.builder.changelogTopics(this.options.options.applicationId);
    const threshold = this.options.options.checkpointThresholdRecords;
    const { logger } = this.options.options.streams;
    const tasks: Promise<void>[] = [];
    for (const managed of only ?? this.tasks.values()) {
      if (managed.state !== 'running') continue;
      const offsets = offsetsOf(managed);
      if (offsets === undefined) continue;
      const due: { readonly store: string; readonly handle: StoreHandle; readonly next: number }[] = [];
      let moved = 0;
      for (const [store, handle] of managed.handles) {
        const topic = changelogs.get(store);
        const next = topic === undefined ? undefined : offsets.get(`${topic}:${managed.task.id.partition}`);
        if (next === undefined) continue;
        moved += next - (handle.checkpointOffset() ?? 0);
        due.push({ store, handle, next });
      }
      if (due.length === 0 || (!always && moved <= threshold)) continue;
      const writes = due.map(({ handle, next }) => handle.writeCheckpoint(next));
      tasks.push(settleAll(writes).then(() => logger.debug(`Task ${managed.key} checkpointed [${due.map(({ store, next }) => `${store}@${next}`).join(', ')}]`)));
    }
    await settleAll(tasks);
  }

  /** Closes a task and its persistent stores, keeping its counters; global stores stay open. */
  async close(managed: ManagedTask): Promise<void> {
    if (managed.state === 'closed') return;
    managed.state = 'closed';
    this.tasks.delete(managed.key);
    this.closedProcessed += managed.task.metrics.processed;
    this.closedPunctuations += managed.task.metrics.punctuations;
    for (const [reason, count] of managed.task.metrics.dropped) this.closedDropped.set(reason, (this.closedDropped.get(reason) ?? 0) + count);
    // Global stores belong to the application, not the task: keep them open.
    for (const name of this.options.globalStores.keys()) managed.task.context.stores.delete(name);
    try {
      managed.task.close();
      for (const handle of managed.handles.values()) await handle.close();
      await managed.transaction?.close();
    } catch (error) {
      this.options.options.streams.logger.warn(`Task ${managed.key} did not close cleanly`, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * Waits for every promise, then throws the first failure: a store write still in flight must not
 * outlive the error that fails its thread and closes its stores.
 */
async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
