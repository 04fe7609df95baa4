/**
 * `@tributary/kafka`: runs Tributary topologies on Apache Kafka through kafkajs.
 *
 * @packageDocumentation
 * @module @tributary/kafka
 */
export { KafkaStreams } from './kafka-streams.js';
export type { KafkaStreamsState, StateListener, KafkaStreamsMetrics, StreamThreadMetrics, CloseOptions } from './kafka-streams.js';
export { fixKafkajsReadCommitted } from './read-committed.js';
export { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_INSTANCE_CACHE_MAX_BYTES } from './options.js';
export type { KafkaStreamsOptions, KafkaStreamsConsumerOptions, ProcessingGuarantee, StreamThreadContext, StreamThreadModule } from './options.js';
export { MissingSourceTopicsError, InternalTopicMismatchError, CopartitionError, BrokerUnreachableError, IllegalStateError, StreamsFatalError, RecordSendError, CommitMetadataError, StateDirectoryLockedError, UnknownStoreError, StoreUnavailableError } from './errors.js';
export { hostAddress, parseHostInfo } from './streams-metadata.js';
export type { HostInfo, TopicPartition, StreamsMetadata, KeyQueryMetadata, KeyLocator } from './streams-metadata.js';
export { DEFAULT_QUERY_LIMIT } from './interactive-queries.js';
export type { QueryLimit, StoreQueryOptions, AsyncKeyValueStore, AsyncWindowStore, AsyncSessionStore, AsyncStoreView } from './interactive-queries.js';
