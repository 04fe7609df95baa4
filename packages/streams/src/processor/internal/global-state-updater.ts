/**
 * Keeps a runner's global stores (Kafka's `GlobalStateUpdateTask`): every record of a global
 * table's topic, from any partition, is written to its store as soon as it is consumed, before
 * the tasks process what came after it. A null value deletes the key; a null key is dropped and
 * counted; a record that cannot be deserialized goes to the deserialization handler. The stores
 * are not changelogged (their topic is the changelog) and every task can read them.
 */
import type { ResolvedStreamsConfig } from '../../config.js';
import { DeserializationError, InvalidTimestampError, StreamsError, TopologyError } from '../../errors/streams-error.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { StateStore, StateStoreContext } from '../../state/state-store.js';
import { valueAndTimestamp, type ValueAndTimestamp } from '../../state/value-and-timestamp.js';
import type { ConsumedRecord } from '../record-collector.js';
import { DropWarnings } from './drop-warnings.js';
import { TaskMetrics, type DropReason } from './task-metrics.js';
import type { GlobalStoreSpec, InternalTopologyBuilder } from './topology-builder.js';

/** The task id global stores report, as Kafka's global thread has no task. */
const globalTaskId = { subtopology: -1, partition: -1 } as const;

interface OpenGlobalStore {
  readonly spec: GlobalStoreSpec;
  readonly store: KeyValueStore<unknown, ValueAndTimestamp<unknown>>;
}

/**
 * Builds, fills and closes the global stores of one topology for one driver. The driver routes
 * every record of a global topic to {@link update} (check with {@link reads}), flushes it with
 * its commits and closes it with its tasks.
 */
export class GlobalStateUpdater {
  /** Records dropped while filling global stores (null keys, undeserializable bytes); `processed` stays 0. */
  readonly metrics = new TaskMetrics();
  private readonly byTopic = new Map<string, OpenGlobalStore>();
  private readonly dropWarnings: DropWarnings;

  /** Builds and initializes the global stores of `builder`'s topology, under `stateDir` when they persist. */
  constructor(
    builder: InternalTopologyBuilder,
    private readonly config: ResolvedStreamsConfig,
    stateDir: string | undefined,
  ) {
    this.dropWarnings = new DropWarnings(this.metrics, config.logger, 'global', Date.now);
    const context: StateStoreContext = {
      applicationId: config.applicationId,
      taskId: globalTaskId,
      appConfigs: config.appConfigs,
      stateDir,
      logger: config.logger,
      currentStreamTimeMs: () => -1,
      changelogTopic: (storeName) => `${config.applicationId}-${storeName}-changelog`,
      logChange: () => {},
      recordDropped: (reason) => this.metrics.recordDropped(reason),
    };
    for (const [topic, spec] of builder.globalStores) {
      const store = spec.builder.build() as KeyValueStore<unknown, ValueAndTimestamp<unknown>>;
      store.init(context);
      this.byTopic.set(topic, { spec, store });
    }
  }

  /** Whether `topic` fills a global store. */
  reads(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** The global stores by name, for the tasks' contexts and for interactive queries. */
  stores(): Map<string, StateStore> {
    const stores = new Map<string, StateStore>();
    for (const { store } of this.byTopic.values()) stores.set(store.name, store);
    return stores;
  }

  /** Applies one record of a global topic to its store. */
  update(record: ConsumedRecord): void {
    const open = this.byTopic.get(record.topic);
    if (open === undefined) throw new TopologyError(`No global store reads topic '${record.topic}'.`);
    const { spec, store } = open;
    let key: unknown;
    let value: unknown;
    try {
      key = record.key === null ? null : this.serde(spec, 'key').deserialize(record.topic, record.key, record.headers);
      value = record.value === null ? null : this.serde(spec, 'value').deserialize(record.topic, record.value, record.headers);
    } catch (error) {
      this.onDeserializationError(record, spec, error);
      return;
    }
    if (key === null || key === undefined) {
      this.drop(record, 'null-key', `Global table '${spec.builder.name}' skipped a record with a null key.`);
      return;
    }
    const extractor = spec.timestampExtractor ?? this.config.defaultTimestampExtractor;
    let timestamp: number;
    try {
      timestamp = extractor({ topic: record.topic, partition: record.partition, offset: record.offset, key, value, timestamp: record.timestamp, wallClockTimeMs: Date.now() }, record.timestamp);
    } catch (error) {
      // An extractor rejecting the record (boundedTimestampExtractor) is the handler's to decide; anything else is fatal.
      if (!(StreamsError.isInstance(error) && error.code === 'INVALID_TIMESTAMP')) throw error;
      this.onDeserializationError(record, spec, error, 'invalid-timestamp');
      return;
    }
    if (!(timestamp >= 0)) {
      this.drop(record, 'invalid-timestamp', `Global table '${spec.builder.name}' skipped a record with an invalid timestamp (${timestamp}); timestamps must be >= 0.`);
      return;
    }
    store.put(key, value === null || value === undefined ? null : valueAndTimestamp(value, timestamp));
  }

  /** Counts a dropped record and warns about it, at most once per reason every 10 s. */
  private drop(record: ConsumedRecord, reason: DropReason, message: string): void {
    const dropped = this.dropWarnings.count(reason);
    if (dropped > 0) this.dropWarnings.warn(dropped, reason, message, { source: `${record.topic}-${record.partition} at offset ${record.offset}`, timestamp: record.timestamp });
  }

  /** Flushes every global store, as a commit does for task stores. */
  flush(): void {
    for (const { store } of this.byTopic.values()) store.flush();
  }

  /** Closes every global store; the updater cannot be used afterwards. */
  close(): void {
    for (const { store } of this.byTopic.values()) store.close();
  }

  private serde(spec: GlobalStoreSpec, part: 'key' | 'value') {
    const serde = part === 'key' ? (spec.keySerde ?? this.config.defaultKeySerde) : (spec.valueSerde ?? this.config.defaultValueSerde);
    if (serde === undefined) {
      throw new TopologyError(`Global table '${spec.builder.name}' (topic '${spec.topic}') has no ${part} serde: give one with Consumed.with, or set default${part === 'key' ? 'Key' : 'Value'}Serde.`);
    }
    return serde;
  }

  private onDeserializationError(record: ConsumedRecord, spec: GlobalStoreSpec, error: unknown, reason: DropReason = 'deserialization-error'): void {
    if (error instanceof TopologyError) throw error;
    const cause = error instanceof Error ? error : new Error(String(error));
    const response = this.config.deserializationExceptionHandler(
      {
        taskId: globalTaskId,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        processorNodeName: spec.builder.name,
        sourceRawKey: record.key,
        sourceRawValue: record.value,
        headers: record.headers,
        timestamp: record.timestamp,
        logger: this.config.logger,
      },
      cause,
    );
    if (response?.action === 'fail') {
      if (reason === 'invalid-timestamp') throw new InvalidTimestampError(`${cause.message} The deserialization handler chose to fail.`, { cause });
      throw new DeserializationError(
        `Could not deserialize the record of global topic ${record.topic}-${record.partition} at offset ${record.offset}: ${cause.message}. Check the global table's serdes or configure deserializationExceptionHandler.`,
        { cause },
      );
    }
    this.metrics.recordDropped(reason);
  }
}
