/**
 * The tasks of one stream thread and their lifecycle, apart from the consume/commit loop: creating
 * a task per assigned (sub-topology, partition) with its persistent stores' handles, restoring
 * their stores from changelogs before they process, closing them, sharing the application's cache
 * budget among their caching stores, and the counters that outlive closed tasks.
 */
import { rm } from 'node:fs/promises';
import { StateStoreError, timestampedStoreRecords, type StateStore } from '@tributary/streams';
import {
  isCachingStore,
  isRestorableStore,
  preparableSupplierOf,
  StreamTask,
  type CachingStateStore,
  type DropReason,
  type InternalTopologyBuilder,
  type StoreHandle,
  type SubtopologySpec,
} from '@tributary/streams/engine';
import type { ResolvedKafkaStreamsOptions } from '../options.js';
import type { KafkaRecordCollector } from './kafka-record-collector.js';
import type { KafkaClientSupplier, RecordSender, StreamsAdmin } from '../client/kafka-client.js';
import { restoreChangelogs, type RestoreRequest } from './changelog-restorer.js';
import { retryWhileLocked } from './retry-locked.js';
import { IllegalStateError } from '../errors.js';
import { checkChangelogEndsFit } from './commit-metadata.js';
import { ChangelogTail, readCommittedPoints, restoreStart, sendCompensation, type CommittedPoint } from './changelog-rollback.js';
import type { TaskKey } from './task-assignor.js';
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

/** One store of a new task to restore, with where its consistent state ends and its tail. */
interface StoreRestore {
  readonly managed: ManagedTask;
  readonly storeName: string;
  readonly topic: string;
  /** The changelog end of the last commit; `undefined` restores to the end (exactly-once, or no metadata). */
  readonly end: number | undefined;
  readonly tail: ChangelogTail | undefined;
}

export class TaskManager {
  readonly tasks = new Map<TaskKey, ManagedTask>();
  /** Counters of tasks already closed, so metrics survive rebalances. */
  private closedProcessed = 0;
  private readonly closedDropped = new Map<DropReason, number>();
  restoredRecords = 0;
  /** Punctuator calls of tasks already closed, for the thread's punctuate-total. */
  closedPunctuations = 0;

  constructor(private readonly options: TaskManagerOptions) {
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
      await transaction.fence().catch(async (error: unknown) => {
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
   * Restores new tasks' stores and initializes the tasks: persistent stores first, through their
   * handles from their checkpoints (before the task opens them), then in-memory stores from the
   * beginning of their changelogs (after, as they need to be open). Under at-least-once each
   * changelog is replayed only up to the end its task's last offset commit recorded, and its tail
   * past that is rolled back (see `changelog-rollback.ts`) before the task processes.
   */
  async restore(created: readonly ManagedTask[], cancelled: () => boolean): Promise<void> {
    const { builder, options } = this.options;
    const { logger } = options.streams;
    const changelogs = builder.changelogTopics(options.applicationId);
    const restoreOptions = {
      groupIdPrefix: options.applicationId,
      logger,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      onRecords: (count: number) => {
        this.restoredRecords += count;
      },
      cancelled,
    };
    const plans = await this.planRestores(created, changelogs);
    const requestOf = (plan: StoreRestore, fromOffset: number, apply: RestoreRequest['apply']): RestoreRequest => ({
      store: plan.storeName,
      topic: plan.topic,
      partition: plan.managed.task.id.partition,
      fromOffset,
      endOffset: plan.end,
      onTail: plan.tail === undefined ? undefined : (key, timestamp) => plan.tail!.add(key, timestamp),
      apply,
      metrics: plan.managed.task.metrics,
    });
    const persistent: { request: RestoreRequest; handle: StoreHandle; managed: ManagedTask }[] = [];
    for (const plan of plans) {
      const { managed, storeName } = plan;
      let handle = managed.handles.get(storeName);
      if (handle === undefined) continue;
      const start = restoreStart(handle.checkpointOffset(), plan.end);
      if (start.wipe) {
        logger.info(`Task ${managed.key}: store '${storeName}' holds changelog offsets up to ${handle.checkpointOffset()}, past the last commit's ${plan.end}; rebuilding it from the changelog.`);
        handle = await this.reopenEmpty(managed, storeName, handle);
      }
      const restoring = handle;
      // The handle writes the store's bytes directly: a timestamped store's records get their timestamp back first.
      const timestamped = this.options.builder.stores.get(storeName)!.builder.timestamped === true;
      const request = requestOf(plan, start.fromOffset, async (records) => {
        if (managed.state === 'restoring') await restoring.restore(timestamped ? timestampedStoreRecords(records, storeName, options.streams.upgradeFrom) : records);
      });
      persistent.push({ request, handle, managed });
    }
    if (persistent.length > 0) {
      const { positions } = await restoreChangelogs(this.options.client, this.options.admin, persistent.map((entry) => entry.request), restoreOptions);
      for (const { request, handle, managed } of persistent) {
        // A task closed during its restore (its thread failed, or it was revoked) stopped applying
        // records the restore still read: its position claims more than its store holds, and a
        // checkpoint there would make the next owner skip those records (counts lost, ids
        // de-duplicated twice). Its store keeps the checkpoint it had.
        const position = positions.get(request);
        if (managed.state !== 'restoring') {
          logger.debug(`Task ${managed.key}: store '${request.store}' closed while it restored ${request.topic}-${request.partition} from offset ${request.fromOffset}; its checkpoint stays as it was`);
          continue;
        }
        logger.debug(`Task ${managed.key}: store '${request.store}' restored ${request.topic}-${request.partition} from offset ${request.fromOffset} to ${position ?? 'its start'}${request.endOffset === undefined ? '' : ` (its consistent end ${request.endOffset})`}`);
        if (position !== undefined && position !== request.fromOffset) await handle.writeCheckpoint(position);
      }
    }
    const inMemory: RestoreRequest[] = [];
    for (const managed of created) {
      if (managed.state !== 'restoring') continue;
      managed.task.initialize();
    }
    for (const plan of plans) {
      const { managed, storeName } = plan;
      const store = managed.task.stores.get(storeName);
      if (managed.state !== 'restoring' || managed.handles.has(storeName) || store === undefined || !isRestorableStore(store)) continue;
      inMemory.push(
        requestOf(plan, 0, (records) => {
          if (managed.state === 'restoring') store.restore(records);
        }),
      );
    }
    if (inMemory.length > 0) await restoreChangelogs(this.options.client, this.options.admin, inMemory, restoreOptions);
    if (!cancelled()) await this.rollBackTails(plans, changelogs);
  }

  /**
   * The stores of new tasks to restore. Under at-least-once, with the end of each changelog as of
   * the task's last offset commit: none committed means state as of nothing (end 0); offsets an
   * older version committed, without changelog ends, restore to the end as before.
   */
  private async planRestores(created: readonly ManagedTask[], changelogs: ReadonlyMap<string, string>): Promise<StoreRestore[]> {
    const { options, admin } = this.options;
    const logged = (managed: ManagedTask): string[] => managed.subtopology.stores.filter((name) => changelogs.has(name) && !this.options.globalStores.has(name));
    const consistent = options.processingGuarantee === 'at_least_once';
    const withLogs = created.filter((managed) => logged(managed).length > 0);
    const points = consistent ? await readCommittedPoints(admin, options.applicationId, withLogs) : new Map<string, CommittedPoint>();
    const plans: StoreRestore[] = [];
    for (const managed of withLogs) {
      const committed = points.get(managed.key);
      if (committed !== undefined) {
        managed.startOffsets = committed.offsets;
        managed.changelogEnds = new Map();
        if (committed.point.kind === 'legacy') {
          options.streams.logger.info(`Task ${managed.key}: its committed offsets carry no changelog offsets (an older version committed them); restoring its stores to the end of their changelogs.`);
        }
      }
      for (const storeName of logged(managed)) {
        const topic = changelogs.get(storeName)!;
        const point = committed?.point;
        const end = point === undefined || point.kind === 'legacy' ? undefined : point.kind === 'none' ? 0 : point.ends.get(topic);
        const tail = end === undefined ? undefined : new ChangelogTail(storeName, topic, managed.task.id.partition);
        plans.push({ managed, storeName, topic, end, tail });
      }
    }
    return plans;
  }

  /** Closes a persistent store whose local state ran ahead, deletes its directory and opens it empty. */
  private async reopenEmpty(managed: ManagedTask, storeName: string, handle: StoreHandle): Promise<StoreHandle> {
    const { builder, options } = this.options;
    await handle.close();
    await rm(handle.path, { recursive: true, force: true });
    const supplier = preparableSupplierOf(builder.stores.get(storeName)!.builder)!;
    const reopened = await retryWhileLocked(() => supplier.prepare({ stateDir: options.stateDir, applicationId: options.applicationId, taskId: managed.task.id }), options.rebalanceTimeoutMs);
    managed.handles.set(storeName, reopened);
    return reopened;
  }

  /**
   * Writes, after each changelog tail, what the restored store holds for every key the tail
   * wrote, and waits for the acks; then notes where each task's changelogs end.
   */
  private async rollBackTails(plans: readonly StoreRestore[], changelogs: ReadonlyMap<string, string>): Promise<void> {
    const { logger } = this.options.options.streams;
    const compensated = new Map<string, number>();
    for (const { managed, storeName, tail } of plans) {
      if (tail === undefined || tail.size === 0 || managed.state !== 'restoring') continue;
      const store = managed.task.stores.get(storeName);
      if (store === undefined || !isRestorableStore(store) || typeof store.changelogValue !== 'function') {
        throw new StateStoreError(
          `Task ${managed.key}: store '${storeName}' has ${tail.records} changelog records past its last commit, and cannot say what it holds for their keys to roll them back (it has no changelogValue): build it with Stores.* or @tributary/level's suppliers.`,
        );
      }
      const producer = this.options.producer;
      if (producer === undefined) throw new IllegalStateError(`Task ${managed.key} has no producer to roll back its changelogs with (they are rolled back under at-least-once only).`);
      const next = await sendCompensation(producer, tail.topic, tail.compensation((key) => store.changelogValue(key)));
      if (next !== undefined) compensated.set(`${tail.topic}:${tail.partition}`, next);
      logger.info(`Task ${managed.key}: rolled back ${tail.records} changelog record(s) of store '${storeName}' written after the last commit (${tail.size} key(s) rewritten)`);
    }
    const tasks = new Set(plans.map((plan) => plan.managed).filter((managed) => managed.changelogEnds !== undefined));
    if (tasks.size === 0) return;
    const highs = new Map<string, number>();
    for (const topic of new Set(plans.map((plan) => plan.topic))) {
      for (const entry of await this.options.admin.listOffsets(topic)) highs.set(`${topic}:${entry.partition}`, entry.high);
    }
    for (const managed of tasks) {
      for (const storeName of managed.subtopology.stores) {
        const topic = changelogs.get(storeName);
        if (topic === undefined || this.options.globalStores.has(storeName)) continue;
        const key = `${topic}:${managed.task.id.partition}`;
        managed.changelogEnds!.set(topic, Math.max(highs.get(key) ?? 0, compensated.get(key) ?? 0));
      }
    }
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
   * Commits the persistent stores' flushed writes to disk (before the offsets that cover them are
   * committed), every store at once: each waits on its own disk writes, and one after the other
   * a thread of many tasks spent most of each commit waiting on the disk.
   */
  async commitStores(only?: readonly ManagedTask[]): Promise<void> {
    const commits: Promise<void>[] = [];
    for (const managed of only ?? this.tasks.values()) if (managed.state === 'running') for (const handle of managed.handles.values()) commits.push(handle.commit());
    await settleAll(commits);
  }

  /**
   * Checkpoints the changelog offset each persistent store now reflects, so a restart restores
   * only what follows. Every store's checkpoint is written at once: each is a file of its own
   * synced to disk, and written one after the other, a thread with 32 tasks of three stores took
   * a second or two of every commit (under its lock) on a busy disk.
   */
  async writeCheckpoints(nextOffsets: ReadonlyMap<string, number>, only?: readonly ManagedTask[]): Promise<void> {
    const changelogs = this.options.builder.changelogTopics(this.options.options.applicationId);
    const { logger } = this.options.options.streams;
    const tasks: Promise<void>[] = [];
    for (const managed of only ?? this.tasks.values()) {
      if (managed.state !== 'running') continue;
      const written: string[] = [];
      const writes: Promise<void>[] = [];
      for (const [store, handle] of managed.handles) {
        const topic = changelogs.get(store);
        const next = topic === undefined ? undefined : nextOffsets.get(`${topic}:${managed.task.id.partition}`);
        if (next === undefined) continue;
        writes.push(handle.writeCheckpoint(next));
        written.push(`${store}@${next}`);
      }
      if (writes.length > 0) tasks.push(settleAll(writes).then(() => logger.debug(`Task ${managed.key} checkpointed [${written.join(', ')}]`)));
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
