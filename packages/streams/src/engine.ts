/**
 * `@tributary/streams/engine`: the task engine, for drivers. The test driver, the embedded
 * runner and the Kafka runtime all feed these same tasks; an application never needs this
 * entry point, and it may change between minor versions.
 *
 * @packageDocumentation
 * @module @tributary/streams/engine
 */
export { StreamTask } from './processor/internal/stream-task.js';
export type { StreamTaskOptions } from './processor/internal/stream-task.js';
export { TaskMetrics } from './processor/internal/task-metrics.js';
export type { SuppressionEmitCounter, SourceProcessCounter, SuppressionBufferSensors } from './processor/internal/task-metrics.js';
export type { StoreSensors } from './metrics/internal/store-sensors.js';
export type { DropReason } from './processor/drop-reason.js';
export { StreamsMetricsReader } from './metrics/internal/metrics-reader.js';
export type { ClientView, ThreadView } from './metrics/internal/metrics-reader.js';
export { ThreadSensors } from './metrics/internal/thread-sensors.js';
export type { PartitionLag } from './metrics/internal/thread-sensors.js';
export { SampledStat, CounterRate, SAMPLE_WINDOW_MS, perRecordSensorsOffConfig } from './metrics/internal/sampled-stat.js';
export { InternalTopologyBuilder, changelogTopicName } from './processor/internal/topology-builder.js';
export type {
  SourceSpec,
  ProcessorSpec,
  SinkSpec,
  NodeSpec,
  InternalTopicSpec,
  SubtopologySpec,
  StoreEntry,
  GlobalStoreSpec,
} from './processor/internal/topology-builder.js';
export { GlobalStateUpdater } from './processor/internal/global-state-updater.js';
export { LocalRunner } from './processor/internal/local-runner.js';
export type { LocalRunnerOptions, StoredRecord } from './processor/internal/local-runner.js';
// The streams config, validated for a driver; drivers that add options of their own name them.
export { resolveStreamsConfig, checkKnownOptions, streamsConfigOptions } from './config.js';
export type { ResolvedStreamsConfig } from './config.js';
// A topology's graph, which only drivers read.
export { topologyBuilder } from './processor/topology.js';
// What a driver hands a task and takes from it.
export type { RecordCollector, ConsumedRecord } from './processor/record-collector.js';
// The contract between drivers and stores: stores a driver restores from their changelog in bulk,
// stores that open asynchronously (persistent ones) and the handles a driver keeps for them, and
// stores whose cache bound a driver sets from the application's budget.
export { isRestorableStore, isPreparableSupplier, preparableSupplierOf, isCachingStore } from './state/store-suppliers.js';
export type { StoreHandle, StoreLocation, RestoreOptions, PreparableStoreSupplier, CachingStateStore } from './state/store-suppliers.js';
// For store backends: the changelog key layouts (Kafka's), the sorted key index of a key-value
// backend, and the sorted (key, time, tiebreak) structure of window and session backends.
export { windowKey, parseWindowKey, sessionKey, parseSessionKey, windowKeySuffixBytes, sessionKeySuffixBytes } from './state/internal/key-schemas.js';
export type { WindowKeyParts, SessionKeyParts } from './state/internal/key-schemas.js';
export { SortedKeyIndex } from './state/internal/sorted-key-index.js';
export type { LiveKeys } from './state/internal/sorted-key-index.js';
export { TimeKeyedEntries } from './state/internal/time-keyed-entries.js';
export type { TimedEntry, KeyedTimedEntry } from './state/internal/time-keyed-entries.js';
