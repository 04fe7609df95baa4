/**
 * Standby replicas: warm copies of other members' tasks' stores, kept up to date by reading
 * their changelogs, so that a task moving here restores only what the standby had not yet read.
 *
 * A standby copies a task's persistent (LevelDB) stores only: it opens them through their
 * handles, applies changelog records as they arrive, and checkpoints its position about once a
 * second and when it stops. When the task becomes active here, the standby is closed first (its
 * last checkpoint written, its lock released) and the active task opens the same store and
 * restores from that checkpoint. In-memory stores live inside a running task, so a task that
 * moves restores them in full, standby or not.
 *
 * One consumer (its own group, so it is assigned every partition of the changelogs it reads)
 * serves all of this thread's standbys; it is rebuilt when the set of standbys changes, which
 * happens only at a rebalance. It reads committed records only, so under exactly-once a standby
 * never holds data an aborted transaction wrote.
 */
import { randomUUID } from 'node:crypto';
import { timestampedStoreRecords, type ChangelogRecord, type Logger, type StateStore, type StateStoreContext } from '@tributary/streams';
import { preparableSupplierOf, type InternalTopologyBuilder, type StoreHandle, type SubtopologySpec } from '@tributary/streams/engine';
import { IllegalStateError } from '../errors.js';
import type { ResolvedKafkaStreamsOptions } from '../options.js';
import { changelogRecord } from './kafka-messages.js';
import type { FetchedBatch, FetchedRecord, KafkaClientSupplier, StreamsConsumer } from '../client/kafka-client.js';
import { retryWhileLocked } from './retry-locked.js';
import type { TaskKey } from './task-assignor.js';

/** How often a standby store records its position at most. */
const CHECKPOINT_INTERVAL_MS = 1000;

interface StandbyStore {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  readonly handle: StoreHandle;
  /** Whether the store keeps Kafka's timestamped layout: its changelog records are converted before the handle writes them. */
  readonly timestamped: boolean;
  /** The next changelog offset to apply. */
  position: number;
  checkpointed: number;
  lastCheckpointAt: number;
  /** A read-only instance of the store over the standby's database, opened by the first stale query. */
  view: StateStore | undefined;
}

export interface StandbyTasksOptions {
  readonly client: KafkaClientSupplier;
  readonly builder: InternalTopologyBuilder;
  readonly options: ResolvedKafkaStreamsOptions;
  readonly logger: Logger;
  /** Standby processing cannot go on (a store failed): treated like any task failure. */
  readonly onError: (error: unknown) => void;
}

export class StandbyTasks {
  private readonly tasks = new Map<TaskKey, StandbyStore[]>();
  private consumer: StreamsConsumer | undefined;
  /** Changelog records applied to standby stores since start. */
  applied = 0;

  constructor(private readonly options: StandbyTasksOptions) {}

  /** The standby tasks held now. */
  keys(): TaskKey[] {
    return [...this.tasks.keys()];
  }

  /**
   * Holds exactly `wanted` as standbys: stops reading, closes the standbys no longer wanted (a
   * task becoming active here included), opens the new ones, and reads again.
   */
  async update(wanted: ReadonlyMap<TaskKey, { subtopology: SubtopologySpec; partition: number }>): Promise<void> {
    await this.stopReading();
    for (const [key, stores] of [...this.tasks]) {
      if (wanted.has(key)) continue;
      this.tasks.delete(key);
      await this.closeStores(stores);
    }
    const { builder, options } = this.options;
    const changelogs = builder.changelogTopics(options.applicationId);
    for (const [key, { subtopology, partition }] of wanted) {
      if (this.tasks.has(key)) continue;
      const stores: StandbyStore[] = [];
      for (const store of subtopology.stores) {
        const topic = changelogs.get(store);
        const storeBuilder = builder.stores.get(store)!.builder;
        const supplier = preparableSupplierOf(storeBuilder);
        if (topic === undefined || supplier === undefined) continue;
        const handle = await retryWhileLocked(
          () => supplier.prepare({ stateDir: options.stateDir, applicationId: options.applicationId, taskId: { subtopology: subtopology.id, partition } }),
          options.rebalanceTimeoutMs,
        );
        const position = handle.checkpointOffset() ?? 0;
        stores.push({ store, topic, partition, handle, timestamped: storeBuilder.timestamped === true, position, checkpointed: position, lastCheckpointAt: Date.now(), view: undefined });
      }
      if (stores.length > 0) this.tasks.set(key, stores);
    }
    if (this.tasks.size > 0) await this.startReading();
  }

  /**
   * A read-only instance of standby task `key`'s store `name`, for stale interactive queries
   * (Kafka's `enableStaleStores`): it reads the standby's database as the changelog records
   * applied so far left it, with no cache in front. `undefined` when this thread holds no standby
   * of that task, or the standby does not copy that store (in-memory stores are not copied).
   */
  storeOf(key: TaskKey, name: string): StateStore | undefined {
    const entry = this.tasks.get(key)?.find((candidate) => candidate.store === name);
    if (entry === undefined) return undefined;
    entry.view ??= this.openView(entry);
    return entry.view;
  }

  /** Read-only instances of every standby task's store `name` on this thread (see {@link storeOf}). */
  storesNamed(name: string): StateStore[] {
    const found: StateStore[] = [];
    for (const key of this.tasks.keys()) {
      const store = this.storeOf(key, name);
      if (store !== undefined) found.push(store);
    }
    return found;
  }

  /**
   * Builds the store without its cache (a cache would keep values the standby has since
   * overwritten) and opens it on the database the standby prepared. It is never written to and
   * never closed itself: closing the standby's handle closes the database under it.
   */
  private openView(entry: StandbyStore): StateStore {
    const { builder, options } = this.options;
    const storeBuilder = builder.stores.get(entry.store)!.builder as { withCachingDisabled?: () => { build(): StateStore }; build(): StateStore };
    const store = typeof storeBuilder.withCachingDisabled === 'function' ? storeBuilder.withCachingDisabled().build() : storeBuilder.build();
    const subtopology = builder.subtopologies().find((candidate) => candidate.stores.includes(entry.store))!;
    const readOnly = (): never => {
      throw new IllegalStateError(`Standby store '${entry.store}' of partition ${entry.partition} is read-only: it answers stale interactive queries and is written only from its changelog.`);
    };
    const context: StateStoreContext = {
      applicationId: options.applicationId,
      taskId: { subtopology: subtopology.id, partition: entry.partition },
      appConfigs: options.streams.appConfigs,
      stateDir: options.stateDir,
      logger: this.options.logger,
      currentStreamTimeMs: () => -1,
      currentRecordTimestampMs: () => undefined,
      copyRecordOrigin: readOnly,
      setRecordOrigin: readOnly,
      changelogTopic: (storeName) => `${options.applicationId}-${storeName}-changelog`,
      logChange: readOnly,
      recordDropped: readOnly,
    };
    store.init(context);
    return store;
  }

  /** Stops reading and closes every standby store, checkpointed. */
  async close(): Promise<void> {
    await this.stopReading();
    for (const stores of this.tasks.values()) await this.closeStores(stores);
    this.tasks.clear();
  }

  private storeAt(topic: string, partition: number): StandbyStore | undefined {
    for (const stores of this.tasks.values()) for (const entry of stores) if (entry.topic === topic && entry.partition === partition) return entry;
    return undefined;
  }

  private async startReading(): Promise<void> {
    const { client, options, logger } = this.options;
    const topics = new Set<string>();
    for (const stores of this.tasks.values()) for (const entry of stores) topics.add(entry.topic);
    const consumer: StreamsConsumer = client.consumer({
      groupId: `${options.applicationId}-standby-${randomUUID()}`,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      maxWaitTimeMs: 500,
      // Never back from a crash once replaced or stopped (a crash can race the disconnect).
      mayRestart: () => this.consumer === consumer,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe([...topics], {
      onAssigned: ({ partitions: assigned }) => {
        // Only this member is in the group: it has every partition. Seek the standbys' ones, pause the rest.
        for (const [topic, partitions] of Object.entries(assigned)) {
          const idle: number[] = [];
          for (const partition of partitions) {
            const entry = this.storeAt(topic, partition);
            if (entry === undefined) idle.push(partition);
            else consumer.seek(topic, partition, entry.position);
          }
          if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
        }
      },
      onFailed: (error) => {
        if (this.consumer === consumer) this.options.onError(error);
      },
    });
    await consumer.run(async (batch: FetchedBatch) => {
      const entry = this.storeAt(batch.topic, batch.partition);
      if (entry === undefined || this.consumer !== consumer) return;
      // A batch of only transaction markers or aborted records still moves the position.
      if (batch.records.length === 0) {
        entry.position = Math.max(entry.position, batch.lastOffset + 1);
        return;
      }
      try {
        await this.apply(entry, batch.records, batch.lastOffset);
      } catch (error) {
        logger.error(`Standby store '${entry.store}' of partition ${entry.partition} failed`, { error: error instanceof Error ? error.message : String(error) });
        this.options.onError(error);
      }
    });
  }

  private async apply(entry: StandbyStore, messages: readonly FetchedRecord[], lastOffset: number): Promise<void> {
    const records: ChangelogRecord[] = [];
    for (const message of messages) {
      if (Number(message.offset) < entry.position) continue;
      if (message.key !== null) records.push(changelogRecord(message.key, message));
    }
    if (records.length > 0) {
      await entry.handle.restore(entry.timestamped ? timestampedStoreRecords(records, entry.store, this.options.options.streams.upgradeFrom) : records);
      this.applied += records.length;
    }
    entry.position = Math.max(entry.position, lastOffset + 1);
    if (Date.now() - entry.lastCheckpointAt >= CHECKPOINT_INTERVAL_MS) await this.checkpoint(entry);
  }

  private async checkpoint(entry: StandbyStore): Promise<void> {
    entry.lastCheckpointAt = Date.now();
    if (entry.position === entry.checkpointed) return;
    await entry.handle.writeCheckpoint(entry.position);
    entry.checkpointed = entry.position;
  }

  private async stopReading(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer === undefined) return;
    await consumer.disconnect().catch((error: unknown) => this.options.logger.warn('Could not stop the standby consumer cleanly', { error: String(error) }));
  }

  private async closeStores(stores: readonly StandbyStore[]): Promise<void> {
    for (const entry of stores) {
      try {
        await this.checkpoint(entry);
      } catch (error) {
        this.options.logger.warn(`Could not checkpoint standby store '${entry.store}' of partition ${entry.partition}`, { error: error instanceof Error ? error.message : String(error) });
      }
      await entry.handle.close().catch(() => {});
    }
  }
}
