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
export type { DropReason } from './processor/internal/task-metrics.js';
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
