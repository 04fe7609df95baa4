/**
 * `@tributary/kafka`: runs Tributary topologies on Apache Kafka, through kafkajs by default or
 * through Kafka clients of your own (`KafkaClientSupplier`).
 *
 * @packageDocumentation
 * @module @tributary/kafka
 */
export { KafkaStreams } from './kafka-streams.js';
export type { KafkaStreamsState, StateListener, KafkaStreamsMetrics, StreamThreadMetrics, CloseOptions } from './kafka-streams.js';
export { fixKafkajsReadCommitted } from './read-committed.js';
export { fixKafkajsIdlePolling } from './kafkajs-idle-polling.js';
export { DEFAULT_CHECKPOINT_THRESHOLD_RECORDS, DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_INSTANCE_CACHE_MAX_BYTES } from './options.js';
export type { KafkaStreamsOptions, KafkaStreamsConsumerOptions, ProcessingGuarantee, StreamThreadContext, StreamThreadModule } from './options.js';
export { MissingSourceTopicsError, InternalTopicMismatchError, CopartitionError, BrokerUnreachableError, IllegalStateError, StreamsFatalError, RecordSendError, CommitMetadataError, StateDirectoryLockedError, UnknownStoreError, StoreUnavailableError } from './errors.js';
export { KafkaClientError } from './client/client-error.js';
export type { KafkaClientErrorKind } from './client/client-error.js';
export type {
  KafkaClientSupplier,
  StreamsConsumer,
  StreamsProducer,
  TransactionalProducer,
  StreamsAdmin,
  RecordSender,
  ConsumerConfig,
  ProducerConfig,
  TransactionalProducerConfig,
  GroupMembershipListener,
  GroupAssignment,
  GroupAssignor,
  AssignorMember,
  MemberAssignment,
  FetchedBatch,
  FetchedRecord,
  RecordHeaders,
  TopicPartitions,
  OffsetCommit,
  CommittedOffset,
  PartitionOffsets,
  OutgoingKafkaRecord,
  SendAcknowledgement,
  ConsumerGroupMetadata,
  NewTopic,
  DescribedMember,
} from './client/kafka-client.js';
export { hostAddress, parseHostInfo } from './streams-metadata.js';
export type { HostInfo, TopicPartition, StreamsMetadata, KeyQueryMetadata, KeyLocator } from './streams-metadata.js';
export { DEFAULT_QUERY_LIMIT } from './interactive-queries.js';
export type { QueryLimit, StoreQueryOptions, AsyncKeyValueStore, AsyncWindowStore, AsyncSessionStore, AsyncStoreView } from './interactive-queries.js';
