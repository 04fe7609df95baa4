/**
 * The clients of {@link FakeKafkaCluster}: a group consumer that fetches from the cluster's logs
 * (read_committed), an idempotent producer, a transactional producer that the cluster can fence,
 * and an admin client. Test support, as the cluster is.
 */
import { KafkaClientError } from '../client-error.js';
import type {
  CommittedOffset,
  ConsumerConfig,
  ConsumerGroupMetadata,
  DescribedMember,
  FetchedBatch,
  FetchedRecord,
  GroupMembershipListener,
  NewTopic,
  OffsetCommit,
  OutgoingKafkaRecord,
  PartitionOffsets,
  SendAcknowledgement,
  StreamsAdmin,
  StreamsConsumer,
  StreamsProducer,
  TopicPartitions,
  TransactionalProducer,
  TransactionalProducerConfig,
} from '../kafka-client.js';
import type { FakeKafkaCluster, FakeLogRecord } from './fake-kafka-cluster.js';

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** How often a fake consumer looks for new records. */
const FETCH_INTERVAL_MS = 2;

export class FakeConsumer implements StreamsConsumer {
  memberId: string;
  listener: GroupMembershipListener = {};
  topics: readonly string[] = [];
  assignment: Readonly<Record<string, readonly number[]>> = {};
  generation = 0;
  private readonly positions = new Map<string, number>();
  private readonly paused = new Set<string>();
  private running = false;
  private stopped = false;

  constructor(
    private readonly cluster: FakeKafkaCluster,
    readonly config: ConsumerConfig,
  ) {
    this.memberId = cluster.newMemberId(config.groupId);
  }

  async connect(): Promise<void> {}

  async subscribe(topics: readonly string[], listener: GroupMembershipListener): Promise<void> {
    this.topics = topics;
    this.listener = listener;
  }

  /** Joins the group (a rebalance of every member), then fetches until disconnected. */
  async run(onBatch: (batch: FetchedBatch, markConsumed: () => void) => Promise<void>, options: { readonly manualPositions?: boolean } = {}): Promise<void> {
    if (this.running) throw new Error('run() called twice');
    this.running = true;
    this.cluster.group(this.config.groupId).members.push(this);
    // The join completes in the background, as a real client's run() may return before it.
    this.cluster.rebalance(this.config.groupId).catch((error: unknown) => this.listener.onFailed?.(error));
    void this.fetchLoop(onBatch, options.manualPositions === true);
  }

  pause(partitions: readonly TopicPartitions[]): void {
    for (const key of this.keysOf(partitions)) this.paused.add(key);
  }

  resume(partitions: readonly TopicPartitions[]): void {
    for (const key of this.keysOf(partitions)) this.paused.delete(key);
  }

  seek(topic: string, partition: number, offset: number): void {
    this.positions.set(partitionKey(topic, partition), offset);
  }

  async commitOffsets(offsets: readonly OffsetCommit[]): Promise<void> {
    this.cluster.request('commitOffsets', offsets.map((entry) => `${entry.topic}:${entry.partition}@${entry.offset}`).join(','));
    this.cluster.commitGroupOffsets(this.config.groupId, offsets, this.generation);
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    const members = this.cluster.group(this.config.groupId).members;
    const index = members.indexOf(this);
    if (index >= 0) members.splice(index, 1);
  }

  private keysOf(partitions: readonly TopicPartitions[]): string[] {
    const keys: string[] = [];
    for (const { topic, partitions: numbers } of partitions) {
      for (const partition of numbers ?? Array.from({ length: this.cluster.partitionCount(topic) }, (_, index) => index)) keys.push(partitionKey(topic, partition));
    }
    return keys;
  }

  private async fetchLoop(onBatch: (batch: FetchedBatch, markConsumed: () => void) => Promise<void>, manual: boolean): Promise<void> {
    while (!this.stopped) {
      let delivered = false;
      for (const [topic, partitions] of Object.entries(this.assignment)) {
        for (const partition of partitions) {
          const key = partitionKey(topic, partition);
          if (this.stopped || this.paused.has(key)) continue;
          const position = this.positions.get(key) ?? this.committedOrZero(topic, partition);
          const stable = this.cluster.stableEnd(topic, partition);
          const end = this.cluster.fetchMaxOffsets === undefined ? stable : Math.min(stable, position + this.cluster.fetchMaxOffsets);
          if (position >= end) continue;
          const records: FetchedRecord[] = this.cluster.visible(topic, partition, position).filter((record) => record.offset < end).map((record) => ({
            offset: String(record.offset),
            timestamp: String(record.timestamp),
            key: record.key,
            value: record.value,
            ...(record.headers === undefined ? {} : { headers: record.headers }),
          }));
          const lastOffset = end - 1;
          let marked = !manual;
          await onBatch({ topic, partition, records, lastOffset, highWatermark: stable }, () => {
            marked = true;
          });
          // A batch left unmarked is fetched again from where the position was (unless the consumer sought meanwhile).
          if (marked && (this.positions.get(key) ?? position) === position) this.positions.set(key, lastOffset + 1);
          delivered ||= marked;
        }
      }
      // Timers (the runtime's ticks and lingers) run between fetches, as they do between a real client's.
      if (delivered) await new Promise((resolve) => setImmediate(resolve));
      else await new Promise((resolve) => setTimeout(resolve, FETCH_INTERVAL_MS));
    }
  }

  private committedOrZero(topic: string, partition: number): number {
    const committed = this.cluster.committedOffset(this.config.groupId, topic, partition)?.offset;
    return committed === undefined || committed < 0 ? 0 : committed;
  }
}

export class FakeProducer implements StreamsProducer {
  constructor(private readonly cluster: FakeKafkaCluster) {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    this.cluster.request('send', `${topic}:${records[0]?.partition ?? 0}x${records.length}`);
    return [this.cluster.append(topic, records, 'committed').acknowledgement];
  }
}

export class FakeTransactionalProducer implements TransactionalProducer {
  private epoch = -1;
  private open: { records: FakeLogRecord[]; offsets: OffsetCommit[]; groupId: string | undefined } | undefined;

  constructor(
    private readonly cluster: FakeKafkaCluster,
    private readonly config: TransactionalProducerConfig,
  ) {}

  async initTransactions(): Promise<void> {
    this.epoch = this.cluster.initTransactionalId(this.config.transactionalId);
  }

  async beginTransaction(): Promise<void> {
    this.cluster.request('beginTransaction', this.config.transactionalId);
    this.checkEpoch();
    if (this.open !== undefined) throw new Error(`${this.config.transactionalId} began a transaction while one was open`);
    const transaction = { records: [] as FakeLogRecord[], offsets: [] as OffsetCommit[], groupId: undefined as string | undefined };
    this.open = transaction;
    this.cluster.openTransactions.set(this.config.transactionalId, {
      abort: () => {
        for (const record of transaction.records) record.state = 'aborted';
        if (this.open === transaction) this.open = undefined;
      },
    });
  }

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    this.cluster.request('send', `${this.config.transactionalId} ${topic}:${records[0]?.partition ?? 0}x${records.length}`);
    const transaction = this.transaction();
    const { acknowledgement, appended } = this.cluster.append(topic, records, 'open');
    transaction.records.push(...appended);
    return [acknowledgement];
  }

  async sendOffsetsToTransaction(offsets: readonly OffsetCommit[], group: ConsumerGroupMetadata): Promise<void> {
    const generation = group.generationId === undefined ? '' : ` generation ${group.generationId} ${group.memberId ?? ''}`;
    this.cluster.request('sendOffsetsToTransaction', `${this.config.transactionalId} ${group.groupId}${generation} ${offsets.map((entry) => `${entry.topic}:${entry.partition}@${entry.offset}`).join(',')}`);
    const transaction = this.transaction();
    this.cluster.checkTransactionalCommit(group);
    transaction.offsets.push(...offsets);
    transaction.groupId = group.groupId;
  }

  async commitTransaction(): Promise<void> {
    this.cluster.request('commitTransaction', this.config.transactionalId);
    const transaction = this.transaction();
    this.open = undefined;
    this.cluster.openTransactions.delete(this.config.transactionalId);
    for (const record of transaction.records) record.state = 'committed';
    if (transaction.groupId !== undefined) this.cluster.commitGroupOffsets(transaction.groupId, transaction.offsets, undefined);
  }

  async abortTransaction(): Promise<void> {
    this.cluster.request('abortTransaction', this.config.transactionalId);
    const transaction = this.transaction();
    this.open = undefined;
    this.cluster.openTransactions.delete(this.config.transactionalId);
    for (const record of transaction.records) record.state = 'aborted';
  }

  async disconnect(): Promise<void> {}

  private transaction(): NonNullable<FakeTransactionalProducer['open']> {
    this.checkEpoch();
    if (this.open === undefined) throw new Error(`${this.config.transactionalId} has no open transaction`);
    return this.open;
  }

  private checkEpoch(): void {
    if (this.epoch !== this.cluster.epochOf(this.config.transactionalId)) {
      throw new KafkaClientError('fenced', `There is a newer producer with the same transactionalId (${this.config.transactionalId}) which fences the current one`, false);
    }
  }
}

export class FakeAdmin implements StreamsAdmin {
  constructor(private readonly cluster: FakeKafkaCluster) {}

  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  async partitionCounts(topics: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      const count = this.cluster.partitionCount(topic);
      if (count > 0) counts.set(topic, count);
    }
    return counts;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    for (const topic of topics) this.cluster.createTopic(topic.name, topic.partitions);
  }

  async createTopicIfAutoCreated(): Promise<boolean> {
    return false;
  }

  async listOffsets(topic: string): Promise<PartitionOffsets[]> {
    this.cluster.request('listOffsets', topic);
    return Array.from({ length: this.cluster.partitionCount(topic) }, (_, partition) => ({ partition, low: 0, high: this.cluster.log(topic, partition).length }));
  }

  async fetchCommittedOffsets(groupId: string, topics: readonly string[]): Promise<CommittedOffset[]> {
    this.cluster.request('fetchCommittedOffsets', `${groupId} ${topics.join(',')}`);
    const result: CommittedOffset[] = [];
    for (const topic of topics) {
      for (let partition = 0; partition < this.cluster.partitionCount(topic); partition++) {
        const committed = this.cluster.committedOffset(groupId, topic, partition);
        result.push({ topic, partition, offset: committed?.offset ?? -1, metadata: committed?.metadata ?? null });
      }
    }
    return result;
  }

  async describeGroup(groupId: string): Promise<DescribedMember[]> {
    this.cluster.request('describeGroup', groupId);
    const group = this.cluster.group(groupId);
    return group.members.map((member) => ({ memberId: member.memberId, subscriptionUserData: member.config.assignor?.subscriptionUserData(), assignmentUserData: group.assignmentData.get(member.memberId) }));
  }

  async deleteRecords(): Promise<void> {}
}
