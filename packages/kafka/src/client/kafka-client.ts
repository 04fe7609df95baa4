/**
 * The Kafka client seam, as Kafka Streams' `KafkaClientSupplier`: the consumer, producers and
 * admin client the runtime needs, shaped by what it does with them (fetch batches, pause and
 * resume, seek, commit; send one topic-partition's records; transactions with the consumer
 * group's metadata; describe and create topics), not by any client library. Everything above
 * this seam talks to these interfaces only; `kafkajsClientSupplier` is the default
 * implementation, and an application may pass its own as the option `client`.
 *
 * Offsets are numbers (Kafka's offsets stay far below 2^53); a fetched record's offset and
 * timestamp are the decimal strings the client decoded, handed on without a copy per record.
 */

/** A record's headers: each key to its value, or to its values in order when it repeats. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** One record as fetched. */
export interface FetchedRecord {
  /** The record's offset, as a decimal string. */
  readonly offset: string;
  /** The record's timestamp in milliseconds, as a decimal string. */
  readonly timestamp: string;
  /** The key bytes; `null` for none. */
  readonly key: Buffer | null;
  /** The value bytes; `null` for a tombstone. */
  readonly value: Buffer | null;
  /** The record's headers; absent or empty for none. */
  readonly headers?: RecordHeaders;
}

/**
 * Records of one topic-partition, in offset order, as one fetch returned them. A batch may hold
 * no record when what was fetched was only transaction markers or records of aborted
 * transactions: it still moves the partition's position to {@link lastOffset} + 1.
 */
export interface FetchedBatch {
  /** The topic fetched from. */
  readonly topic: string;
  /** The partition fetched from. */
  readonly partition: number;
  /** The records, in offset order; none when the fetch held only markers or aborted records. */
  readonly records: readonly FetchedRecord[];
  /** The last offset the fetch covered (at least the last record's). */
  readonly lastOffset: number;
  /** The partition's high watermark (read_committed: its last stable offset) when fetched. */
  readonly highWatermark: number;
}

/** Partitions of one topic; no `partitions` means every partition of the topic. */
export interface TopicPartitions {
  /** The topic. */
  readonly topic: string;
  /** Partition numbers; absent: every partition of the topic. */
  readonly partitions?: readonly number[];
}

/** An offset to commit for a consumer group: the next offset to consume, with optional metadata. */
export interface OffsetCommit {
  /** The topic consumed. */
  readonly topic: string;
  /** The partition consumed. */
  readonly partition: number;
  /** The next offset to consume. */
  readonly offset: number;
  /** Stored with the offset (Kafka Streams keeps its own data here); `null` or absent for none. */
  readonly metadata?: string | null;
}

/** A committed offset as read back: `offset` is -1 when the group has none for the partition. */
export interface CommittedOffset {
  /** The topic. */
  readonly topic: string;
  /** The partition. */
  readonly partition: number;
  /** The committed offset (the next to consume); -1 for none. */
  readonly offset: number;
  /** The metadata committed with it; `null` for none. */
  readonly metadata: string | null;
}

/** A partition's offsets: the first still held (`low`) and the next to be written (`high`). */
export interface PartitionOffsets {
  /** The partition. */
  readonly partition: number;
  /** The first offset still held (the log start). */
  readonly low: number;
  /** The next offset to be written (the high watermark). */
  readonly high: number;
}

/** This member's share of a rebalance: its id and generation, and the partitions it now owns. */
export interface GroupAssignment {
  /** This member's id in the generation. */
  readonly memberId: string;
  /** The group's generation; -1 when the client does not say. */
  readonly generationId: number;
  /** Topic to partition numbers. */
  readonly partitions: Readonly<Record<string, readonly number[]>>;
}

/**
 * Group membership events, as Kafka's `ConsumerRebalanceListener`. Listeners are called
 * synchronously by the client and start any asynchronous work themselves.
 */
export interface GroupMembershipListener {
  /**
   * A rebalance begins: the partitions held may be revoked. The current generation's offset
   * commits are still accepted until the member rejoins. Returns the commit of what the member
   * processed: the client holds its JoinGroup until that settles (as Kafka's consumer runs
   * `onPartitionsRevoked` before it rejoins; `revocation-hold.ts`), so the group gives the
   * partitions to another member only after their last writes.
   */
  onRevoked?(): void | Promise<void>;
  /** The member joined a generation and owns {@link GroupAssignment.partitions} now. */
  onAssigned?(assignment: GroupAssignment): void;
  /**
   * The member lost its membership (its session expired and it rejoined under a new member id):
   * what it held may have moved to another member meanwhile. Followed by {@link onAssigned}.
   */
  onLost?(previousMemberId: string, memberId: string): void;
  /** The consumer failed and will not recover by itself. */
  onFailed?(error: unknown): void;
}

/** What a member of a group assignment sees of another: its id and subscription user data. */
export interface AssignorMember {
  /** The member's id. */
  readonly memberId: string;
  /** The user data of the member's subscription (see {@link GroupAssignor.subscriptionUserData}). */
  readonly userData: Buffer | undefined;
}

/** One member's assignment, as the group leader's assignor decided it. */
export interface MemberAssignment {
  /** The member this is for. */
  readonly memberId: string;
  /** Topic to partition numbers. */
  readonly partitions: Readonly<Record<string, readonly number[]>>;
  /** Data for the member besides its partitions (read back through {@link StreamsAdmin.describeGroup}). */
  readonly userData: Buffer;
}

/**
 * The group's partition assignor (Kafka's `ConsumerPartitionAssignor`): every member sends
 * {@link subscriptionUserData} when it joins, and the leader's {@link assign} decides for all.
 * Clients encode both in Kafka's consumer protocol, so other members and admin tools read them.
 */
export interface GroupAssignor {
  /** The protocol name every member must agree on. */
  readonly name: string;
  /** The protocol version written with the member metadata and assignment. */
  readonly version: number;
  /** This member's user data for its next join. */
  subscriptionUserData(): Buffer;
  /** Assigns partitions to `members`; `partitionCount(topic)` reads the cluster's current metadata (0 for an unknown topic). */
  assign(members: readonly AssignorMember[], partitionCount: (topic: string) => number): readonly MemberAssignment[];
}

/** How a {@link StreamsConsumer} is set up. */
export interface ConsumerConfig {
  /** The consumer group: the application id for the stream threads, a fresh id for restore, standby and global readers. */
  readonly groupId: string;
  /** How long the group waits for a silent member before it moves its partitions. */
  readonly sessionTimeoutMs: number;
  /** How often the member heartbeats to the group. */
  readonly heartbeatIntervalMs: number;
  /** How long a rebalance waits for members to rejoin; the client's default when absent. */
  readonly rebalanceTimeoutMs?: number;
  /** The longest a fetch waits for data; the client's default when absent. */
  readonly maxWaitTimeMs?: number;
  /** The group's assignor; the client's default when absent. */
  readonly assignor?: GroupAssignor;
  /**
   * Asked when the client fails on its own (a lost coordinator, a crash): whether it may restart
   * and rejoin by itself. A closed or failed thread's consumer must not come back as a member
   * that holds partitions and processes nothing. Default: always.
   */
  readonly mayRestart?: () => boolean;
}

/**
 * A group consumer that reads read_committed (records of aborted transactions never arrive) and
 * never creates topics. Partitions without a committed offset start at their beginning.
 */
export interface StreamsConsumer {
  /** Connects to the brokers (joining the group waits for {@link run}). */
  connect(): Promise<void>;
  /** Subscribes to `topics` and reports membership to `listener`; call once, after {@link connect}. */
  subscribe(topics: readonly string[], listener: GroupMembershipListener): Promise<void>;
  /**
   * Starts fetching: `onBatch` gets each batch, one at a time, the next once its promise settled.
   * With `manualPositions`, a partition's position moves past a batch only once `onBatch` called
   * its `markConsumed` (a batch left unmarked is fetched again, from the last marked offset);
   * without it, every batch handed over moves the position. Resolves once fetching has begun.
   */
  run(onBatch: (batch: FetchedBatch, markConsumed: () => void) => Promise<void>, options?: { readonly manualPositions?: boolean }): Promise<void>;
  /** Stops fetching from these partitions (none is dropped from the assignment). */
  pause(partitions: readonly TopicPartitions[]): void;
  /** Fetches from these partitions again. */
  resume(partitions: readonly TopicPartitions[]): void;
  /** The next fetch of the partition starts at `offset`. */
  seek(topic: string, partition: number, offset: number): void;
  /** Commits offsets for the group (the current generation's, refused once it has moved on). */
  commitOffsets(offsets: readonly OffsetCommit[]): Promise<void>;
  /** Leaves the group and closes. */
  disconnect(): Promise<void>;
}

/** One record to send. */
export interface OutgoingKafkaRecord {
  /** The key bytes; `null` for none. */
  readonly key: Buffer | null;
  /** The value bytes; `null` for a tombstone. */
  readonly value: Buffer | null;
  /** The record's timestamp as a decimal string; absent: the client stamps the current time. */
  readonly timestamp?: string | undefined;
  /** The record's headers; absent for none. */
  readonly headers?: RecordHeaders | undefined;
  /** The partition; every record of one send names the same one. */
  readonly partition?: number | undefined;
}

/** The acknowledgement of a send: the offset of the first record written in each partition. */
export interface SendAcknowledgement {
  /** The topic written. */
  readonly topic: string;
  /** The partition written. */
  readonly partition: number;
  /** The first record's offset; -1 when the broker did not say. */
  readonly baseOffset: number;
}

/**
 * Sends records: every call carries records of one topic-partition (one produce request, so a
 * client's retry of it cannot mix partitions), waits for every in-sync replica (acks = all) and
 * resolves with the acknowledgements. Sends are idempotent: a retried request is written once.
 */
export interface RecordSender {
  /** Sends `records`, all of one partition of `topic`, and resolves once every in-sync replica has them. */
  send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]>;
}

/** How a {@link StreamsProducer} is set up. */
export interface ProducerConfig {
  /**
   * Asked before each send is handed to the brokers, queued ones included: false once the stream
   * thread was stopped for longer than its session timeout (frozen, starved), when its group may
   * have given its tasks to another member and anything it sends now would land after the new
   * owner's writes, which nothing fences under at-least-once. A producer should fail such a send,
   * and every send still queued, with a `KafkaClientError` of kind `'group-fenced'`, and should keep
   * sends waiting for their turn in its own queue rather than the client library's, where the
   * library would send them the moment the request before them is answered, before the thread
   * runs again. The built-in suppliers do both.
   */
  readonly mayDispatch?: () => boolean;
}

/** A producer outside transactions (at-least-once). */
export interface StreamsProducer extends RecordSender {
  /** Connects to the brokers. */
  connect(): Promise<void>;
  /** Closes, once the sends in flight are done. */
  disconnect(): Promise<void>;
}

/**
 * What the transactional offset commit tells the group coordinator about the consumer group.
 * Exactly-once v1 (a producer per task) gives the group id only; v2 (KIP-447, a producer per
 * thread) also gives the generation and member id, so the coordinator fences a zombie's offsets.
 */
export interface ConsumerGroupMetadata {
  /** The consumer group whose offsets the transaction commits. */
  readonly groupId: string;
  /** The group generation the offsets were consumed in (v2). */
  readonly generationId?: number;
  /** The member that consumed them (v2). */
  readonly memberId?: string;
  /** The member's static group instance id, if it has one (v2). */
  readonly groupInstanceId?: string;
}

/** A transactional producer (exactly-once). */
export interface TransactionalProducer extends RecordSender {
  /**
   * Connects and initializes the transactional id, which fences every earlier producer of the id
   * (bumping its epoch) and aborts its open transaction.
   */
  initTransactions(): Promise<void>;
  /** Begins a transaction; sends go into it until {@link commitTransaction} or {@link abortTransaction}. */
  beginTransaction(): Promise<void>;
  /** Adds consumed offsets to the open transaction: they commit with it, for the group in `group`. */
  sendOffsetsToTransaction(offsets: readonly OffsetCommit[], group: ConsumerGroupMetadata): Promise<void>;
  /** Commits the open transaction: its records become visible to read_committed consumers and its offsets committed, together. */
  commitTransaction(): Promise<void>;
  /** Aborts the open transaction: its records are never visible to read_committed consumers. */
  abortTransaction(): Promise<void>;
  /** Closes; an open transaction is left to the next producer of the id to abort (or to the brokers' timeout). */
  disconnect(): Promise<void>;
}

/** How a {@link TransactionalProducer} is set up. */
export interface TransactionalProducerConfig {
  /**
   * `<applicationId>-<taskId>` for a task's producer (`exactly_once`, stable across restarts),
   * `<applicationId>-<processId>-<threadIndex>` for a stream thread's (`exactly_once_v2`).
   */
  readonly transactionalId: string;
  /** After this, the brokers abort a transaction left open. */
  readonly transactionTimeoutMs: number;
}

/** A topic to create. */
export interface NewTopic {
  /** The topic's name. */
  readonly name: string;
  /** Its partition count. */
  readonly partitions: number;
  /** -1: the brokers' `default.replication.factor`. */
  readonly replicationFactor: number;
  /** Topic configs (`cleanup.policy`, `retention.ms`, ...). */
  readonly configs: Readonly<Record<string, string>>;
}

/** A consumer group member as the coordinator describes it. */
export interface DescribedMember {
  /** The member's id. */
  readonly memberId: string;
  /** The user data of its subscription. */
  readonly subscriptionUserData: Buffer | undefined;
  /** The user data of its assignment. */
  readonly assignmentUserData: Buffer | undefined;
}

/** Administrative requests. */
export interface StreamsAdmin {
  /**
   * Connects once the brokers answer; gives up with a `BrokerUnreachableError` that says what to
   * check after `timeoutMs`, or when `stopped()` turns true.
   */
  connect(options: { readonly timeoutMs: number; readonly stopped: () => boolean }): Promise<void>;
  /** Closes. */
  disconnect(): Promise<void>;
  /** The partition count of each of `topics` that exists (absent ones are left out). */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  /**
   * Creates topics, taking "already exists" as success, and waits until every partition has a
   * leader that serves it. Too few brokers for the replication factor is a `ConfigError`.
   */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /**
   * Creates `topic` with the brokers' defaults, as a producer's first send would, when the
   * brokers create topics on first use (`auto.create.topics.enable`); returns whether it did.
   */
  createTopicIfAutoCreated(topic: string): Promise<boolean>;
  /** Each partition's low and high offsets (read_uncommitted: the high watermark). */
  listOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The group's committed offsets for every partition of `topics`. */
  fetchCommittedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]>;
  /** The group's members with their subscription and assignment user data; none while it rebalances. */
  describeGroup(groupId: string): Promise<DescribedMember[]>;
  /** Deletes the records of each partition before its offset (Kafka Streams purges repartition topics so). */
  deleteRecords(topic: string, partitions: readonly { readonly partition: number; readonly offset: number }[]): Promise<void>;
}

/**
 * Makes the Kafka clients of one `KafkaStreams` instance (or of one worker thread's): Kafka
 * Streams' `KafkaClientSupplier`. See [Running on Kafka](../../../../docs/running-on-kafka.md#kafka-clients).
 */
export interface KafkaClientSupplier {
  /** A name for logs and errors, such as `'kafkajs'`. */
  readonly name: string;
  /** A consumer (see {@link ConsumerConfig} for which). */
  consumer(config: ConsumerConfig): StreamsConsumer;
  /** The idempotent producer a stream thread shares among its tasks under at-least-once. */
  producer(config?: ProducerConfig): StreamsProducer;
  /** A transactional producer (exactly-once). */
  transactionalProducer(config: TransactionalProducerConfig): TransactionalProducer;
  /**
   * Whether its transactional producers send a {@link ConsumerGroupMetadata}'s generation and
   * member id with the offsets (TxnOffsetCommit v3 or later, KIP-447), so that the group
   * coordinator refuses a zombie's offsets: what `processingGuarantee: 'exactly_once_v2'` needs.
   * The @platformatic/kafka supplier does; kafkajs, which speaks TxnOffsetCommit v0 and v1 only,
   * does not. Default: `false`.
   */
  readonly groupFencedOffsetCommits?: boolean;
  /** An admin client. */
  admin(): StreamsAdmin;
  /**
   * Drops every connection the clients still hold, connects in progress included: called as the
   * last step of `close()`, and when it timed out, so nothing keeps the process alive.
   */
  shutdown(): void;
}
