/**
 * Restoring a stream thread's new tasks before they process, as Kafka Streams'
 * `StoreChangelogReader` does for its `TaskManager`: persistent stores from their checkpoints
 * (wiped and rebuilt when they ran ahead of the last commit), in-memory stores from the beginning
 * of their changelogs, and under at-least-once each changelog only up to the end its task's last
 * offset commit recorded, its tail past that rolled back (`changelog-rollback.ts`).
 */
import { rm } from 'node:fs/promises';
import { StateStoreError, timestampedStoreRecords } from '@tributary/streams';
import { isRestorableStore, preparableSupplierOf, type StoreHandle } from '@tributary/streams/engine';
import { IllegalStateError } from '../errors.js';
import { restoreChangelogs, type RestoreRequest } from './changelog-restorer.js';
import { ChangelogTail, readCommittedPoints, restoreStart, sendCompensation, type CommittedPoint } from './changelog-rollback.js';
import { retryWhileLocked } from './retry-locked.js';
import type { ManagedTask, TaskManagerOptions } from './task-manager.js';

/** One store of a new task to restore, with where its consistent state ends and its tail. */
interface StoreRestore {
  readonly managed: ManagedTask;
  readonly storeName: string;
  readonly topic: string;
  /** The changelog end of the last commit; `undefined` restores to the end (exactly-once, or no metadata). */
  readonly end: number | undefined;
  readonly tail: ChangelogTail | undefined;
}

/** Restores the stores of a thread's new tasks; `TaskManager.restore` calls it. */
export class TaskRestorer {
  constructor(
    private readonly options: TaskManagerOptions,
    /** Counts the changelog records restored, for the thread's metrics. */
    private readonly onRecords: (count: number) => void,
  ) {}

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
      onRecords: this.onRecords,
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
    reopened.holdFlushesUntilCommit?.();
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
}
