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
export { MissingSourceTopicsError, InternalTopicMismatchError, CopartitionError, BrokerUnreachableError, IllegalStateError, StreamsFatalError, RecordSendError, CommitMetadataError, StateDirectoryLockedError } from './errors.js';
