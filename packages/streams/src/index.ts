/**
 * `@tributary/streams`: Kafka Streams for TypeScript. The DSL (`StreamsBuilder`, `KStream`),
 * the Processor API (`Topology`, `Processor`), serdes, state stores and the task engine that
 * every driver runs. Test topologies with `@tributary/streams/test`.
 *
 * @packageDocumentation
 * @module @tributary/streams
 */

// DSL
export { StreamsBuilder } from './kstream/streams-builder.js';
export type { StreamsBuilderOptions } from './kstream/streams-builder.js';
export type { KStream, BranchedKStream } from './kstream/kstream.js';
export { Consumed } from './kstream/consumed.js';
export { Produced } from './kstream/produced.js';
export { Named } from './kstream/named.js';
export { Branched } from './kstream/branched.js';
export { Repartitioned } from './kstream/repartitioned.js';
export type {
  Predicate,
  KeyValueMapper,
  ValueMapper,
  ForeachAction,
  FlatKeyValueMapper,
  FlatValueMapper,
  Initializer,
  Aggregator,
  Reducer,
  Merger,
  ValueJoiner,
  ValueJoinerWithKey,
} from './kstream/functions.js';
export { updateInPlace } from './kstream/in-place-aggregator.js';
export type { InPlaceAggregation } from './kstream/in-place-aggregator.js';
export type { KTable } from './kstream/ktable.js';
export type { GlobalKTable } from './kstream/global-ktable.js';
export type {
  KGroupedStream,
  TimeWindowedKStream,
  SessionWindowedKStream,
  CogroupedKStream,
  TimeWindowedCogroupedKStream,
} from './kstream/kgrouped-stream.js';
export type { KGroupedTable } from './kstream/kgrouped-table.js';
export { TimeWindows, SlidingWindows, SessionWindows, JoinWindows } from './kstream/windows.js';
export { windowed, formatWindowed } from './kstream/windowed.js';
export type { Window, Windowed } from './kstream/windowed.js';
export { WindowedSerdes } from './kstream/windowed-serdes.js';
export { Grouped } from './kstream/grouped.js';
export { Materialized } from './kstream/materialized.js';
export { Joined, StreamJoined } from './kstream/joined.js';
export type { TableJoined } from './kstream/joined.js';
export { Suppressed, BufferConfig } from './kstream/suppressed.js';
export type { BufferFullStrategy } from './kstream/suppressed.js';

// Processor API
export { Topology } from './processor/topology.js';
export type { SourceOptions, SinkOptions } from './processor/topology.js';
export { TopologyDescription } from './processor/topology-description.js';
export type { NodeDescription, SubtopologyDescription } from './processor/topology-description.js';
export { StreamRecord, FixedKeyRecord } from './processor/stream-record.js';
export { Headers } from './processor/headers.js';
export type { Header } from './processor/headers.js';
export { PunctuationType, formatTaskId } from './processor/processor.js';
export type {
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  FixedKeyProcessor,
  FixedKeyProcessorContext,
  FixedKeyProcessorSupplier,
  BaseProcessorContext,
  Punctuator,
  Cancellable,
  RecordMetadata,
  TaskId,
} from './processor/processor.js';
export { recordTimestampExtractor, wallClockTimestampExtractor, valueTimestampExtractor, boundedTimestampExtractor } from './processor/timestamp-extractor.js';
export type { TimestampExtractor, ConsumedRecordView, TimestampBounds } from './processor/timestamp-extractor.js';
export type { StreamPartitioner, TopicNameExtractor } from './processor/stream-partitioner.js';
export type { DropReason } from './processor/drop-reason.js';
export { findMetrics, sumMetrics, recordsAt, recordingLevels } from './metrics/metrics.js';
export type { Metric, RecordingLevel } from './metrics/metrics.js';

// Embedded runner (the in-process driver)
export { EmbeddedRunner } from './embedded/embedded-runner.js';
export type { EmbeddedRecord, EmbeddedRecordListener, EmbeddedRunnerMetrics, EmbeddedSendOptions } from './embedded/embedded-runner.js';
export { DEFAULT_EMBEDDED_COMMIT_INTERVAL_MS } from './embedded/options.js';
export type { EmbeddedRunnerOptions } from './embedded/options.js';

// Serdes
export type { Serde, Serializer, Deserializer, SerdeType } from './serde/serde.js';
export { Serdes, StringSerde, Int32Serde, Int64Serde, Float64Serde, BytesSerde, JsonSerde } from './serde/serdes.js';
export { JsonSchemaSerde } from './serde/json-schema-serde.js';
export type {
  JsonSchemaSerdeOptions,
  JsonSchemaFor,
  JsonSchemaDefinition,
  JsonSchemaObject,
  JsonSchemaKeywords,
  JsonSchemaForObject,
  JsonSchemaTypeName,
} from './serde/json-schema-serde.js';

// State
export type { StateStore, StateStoreContext, StoreBuilder, ChangelogConfig, RecordOrigin } from './state/state-store.js';
export type { KeyValueStore, ReadOnlyKeyValueStore, KeyValue, TimestampedKeyValueStore } from './state/key-value-store.js';
export type { WindowStore, ReadOnlyWindowStore, TimestampedWindowStore } from './state/window-store.js';
export type { SessionStore, ReadOnlySessionStore } from './state/session-store.js';
export { valueAndTimestamp } from './state/value-and-timestamp.js';
export type { ValueAndTimestamp } from './state/value-and-timestamp.js';
export { pair } from './state/key-value-store.js';
export {
  Stores,
  KeyValueStoreBuilder,
  WindowStoreBuilder,
  SessionStoreBuilder,
  DEFAULT_STORE_CACHE_MAX_BYTES,
  WINDOWED_CHANGELOG_ADDITIONAL_RETENTION_MS,
} from './state/stores.js';
export type { CachingOptions } from './state/stores.js';
export type { DslKeyValueParams, DslStoreSuppliers } from './state/dsl-store-suppliers.js';
export { QueryableStoreTypes, queryStore } from './state/queryable-store-types.js';
export type { QueryableStoreType } from './state/queryable-store-types.js';
export type {
  KeyValueBytesStoreSupplier,
  WindowBytesStoreSupplier,
  SessionBytesStoreSupplier,
  BytesBackend,
  KeyValueBytesBackend,
  WindowBytesBackend,
  SessionBytesBackend,
  BytesEntry,
  BytesWrite,
  WindowBytesEntry,
  WindowBytesWrite,
  SessionBytesEntry,
  SessionBytesWrite,
  ChangelogRecord,
  ChangelogValue,
  RestorableStateStore,
} from './state/store-suppliers.js';
export { BARE_VALUE_HEADER, hasBareValueHeader, timestampedStoreRecords, timestampedStoreValue } from './state/internal/timestamped-changelog.js';

// Sketches
export { UniqueCountSketch, uniqueCountSketchSerde, countDistinct, DEFAULT_SKETCH_PRECISION } from './sketch/unique-count-sketch.js';

// Configuration, errors and failure policy
export type { StreamsConfig } from './config.js';
export {
  StreamsError,
  TopologyError,
  ConfigError,
  DeserializationError,
  SerializationError,
  ProcessingError,
  StateStoreError,
  InvalidTimestampError,
  SuppressionBufferFullError,
} from './errors/streams-error.js';
export type { StreamsErrorOptions } from './errors/streams-error.js';
export { logAndContinue, logAndFail, deadLetterTopic, deadLetterRecord, fitDeadLetter, recordSizeInBytes, DeadLetterHeaders, DEFAULT_DEAD_LETTER_MAX_BYTES } from './errors/handlers.js';
export type {
  ErrorHandlerContext,
  HandlerResponse,
  DeadLetterRecord,
  DeserializationExceptionHandler,
  ProcessingExceptionHandler,
  ProductionExceptionHandler,
  ExceptionHandler,
  DeadLetterTopicOptions,
} from './errors/handlers.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
