/**
 * The producers of the kafkajs adapter: the idempotent producer a stream thread shares under
 * at-least-once, and a transactional producer (exactly-once, one per task: kafkajs implements
 * the transactional offset commit only up to version 1, which carries no group generation, so
 * only a transactional id tied to the task fences a zombie). Every send is one topic-partition's
 * records in one request: kafkajs retries a failed request as a whole against the broker it
 * thought led each partition, and a request mixing partitions led by different brokers could be
 * retried into the wrong one under a leader change (see `kafka-record-collector.ts`).
 *
 * kafkajs holds an idempotent producer's produce requests to one broker to one at a time (a lock
 * per broker, so its sequence numbers reach the broker in order), where Java's producer puts every
 * partition's batch for a broker in one request. With one partition per request, a commit's flush
 * of the flagship's 50 or so partitions (repartition, changelog and output topics) waited for 50
 * round trips one after the other. So the at-least-once producer is {@link PRODUCERS_PER_THREAD}
 * kafkajs producers, each partition always sent through the same one: a partition's records keep
 * their order and their sequence numbers, and different partitions' requests overlap. Each of them
 * is handed one request at a time, the rest waiting here rather than in kafkajs, so that none goes
 * out once the thread may no longer send (see `dispatch-lanes.ts`).
 */
import { Partitioners, type Kafka, type Message, type Producer, type RecordMetadata, type Transaction } from 'kafkajs';
import { IllegalStateError } from '../../errors.js';
import type { ConsumerGroupMetadata, OffsetCommit, OutgoingKafkaRecord, ProducerConfig, SendAcknowledgement, StreamsProducer, TransactionalProducer, TransactionalProducerConfig } from '../kafka-client.js';
import { DispatchLanes } from './dispatch-lanes.js';
import { kafkajsCall } from './kafkajs-errors.js';
import { selfEncodingMessages } from './kafkajs-records.js';

function acknowledgements(metadata: readonly RecordMetadata[]): SendAcknowledgement[] {
  return metadata.map((entry) => ({ topic: entry.topicName, partition: entry.partition, baseOffset: Number(entry.baseOffset ?? entry.offset ?? -1) }));
}

/**
 * One send's records as kafkajs' messages: the records themselves (kafkajs reads their fields and
 * spreads each into the record it encodes), in an array that groups itself by partition in one step.
 *
 * kafkajs groups a send's messages by partition (`groupMessagesPerPartition`) with
 * `messages.reduce`, copying the partition's array for every message: quadratic in a request's
 * records, 6.6 to 8.5% of the flagship's busy samples and half of its allocated bytes on kafkajs
 * (benchmarks/PROFILE.md), plus a filter of the topic's partitions per message in its default
 * partitioner. That grouping is the one reduce kafkajs makes over the messages it is given, and
 * every send here is one partition's records, each carrying its partition, which the default
 * partitioner returns as it is. So the array's `reduce` answers it directly when every message
 * names the same partition, and is the ordinary one otherwise. The partition's messages it hands
 * on encode their own records (`kafkajs-records.ts`).
 */
function messagesOf(records: readonly OutgoingKafkaRecord[]): Message[] {
  const messages = records.slice() as Message[];
  Object.defineProperty(messages, 'reduce', { value: groupedByPartition, enumerable: false });
  return messages;
}

/** See {@link messagesOf}: kafkajs' grouping of one partition's messages (`{ [partition]: messages }`) without a copy per message. */
function groupedByPartition(this: Message[], ...args: Parameters<Message[]['reduce']>): unknown {
  const initial: unknown = args[1];
  const partition = this[0]?.partition;
  if (args.length !== 2 || typeof initial !== 'object' || initial === null || Object.keys(initial).length > 0 || typeof partition !== 'number' || !this.every((message) => message.partition === partition)) {
    return Array.prototype.reduce.apply(this, args as Parameters<typeof Array.prototype.reduce>);
  }
  (initial as Record<number, Message[]>)[partition] = selfEncodingMessages(this);
  return initial;
}

/**
 * The idempotent kafkajs producers behind one at-least-once {@link KafkajsProducer}: how many
 * partitions' requests may be in flight to a broker at once (Java's producer allows 5 requests in
 * flight per broker, each for any number of partitions).
 */
const PRODUCERS_PER_THREAD = 4;

export class KafkajsProducer implements StreamsProducer {
  private readonly producers: Producer[] = [];
  /** The producer each topic-partition goes through (`<topic>:<partition>`, an index into {@link producers}), given out in turn as partitions first appear. */
  private readonly route = new Map<string, number>();
  /** One lane per producer, one request in flight in each: what kafkajs puts on the wire to one broker at once. */
  private readonly lanes: DispatchLanes;

  constructor(kafka: Kafka, config: ProducerConfig = {}) {
    this.lanes = new DispatchLanes(1, config.mayDispatch);
    for (let index = 0; index < PRODUCERS_PER_THREAD; index++) {
      // Idempotent, as Kafka Streams' producers are since 3.0: a send retried after a lost ack
      // (common while a new topic's leaders settle) is written once, not twice.
      this.producers.push(kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner }));
    }
  }

  async connect(): Promise<void> {
    await kafkajsCall(() => Promise.all(this.producers.map((producer) => producer.connect())));
  }

  async disconnect(): Promise<void> {
    await kafkajsCall(() => Promise.all(this.producers.map((producer) => producer.disconnect())));
  }

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    const index = this.producerFor(topic, records[0]?.partition);
    const producer = this.producers[index]!;
    return acknowledgements(await this.lanes.dispatch(index, () => kafkajsCall(() => producer.sendBatch({ topicMessages: [{ topic, messages: messagesOf(records) }], acks: -1 }))));
  }

  /** The producer of one topic-partition, the same for every send to it. */
  private producerFor(topic: string, partition: number | undefined): number {
    const key = `${topic}:${partition ?? -1}`;
    let index = this.route.get(key);
    if (index === undefined) {
      index = this.route.size % this.producers.length;
      this.route.set(key, index);
    }
    return index;
  }
}

export class KafkajsTransactionalProducer implements TransactionalProducer {
  private readonly producer: Producer;
  private transaction: Transaction | undefined;

  constructor(
    kafka: Kafka,
    private readonly config: TransactionalProducerConfig,
  ) {
    this.producer = kafka.producer({
      transactionalId: config.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: config.transactionTimeoutMs,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async initTransactions(): Promise<void> {
    await kafkajsCall(async () => {
      await this.producer.connect();
      // kafkajs initializes the transactional id (InitProducerId, the fencing) at the first
      // transaction, not at connect. An empty transaction ends locally, without a request.
      const transaction = await this.producer.transaction();
      await transaction.abort();
    });
  }

  async beginTransaction(): Promise<void> {
    if (this.transaction !== undefined) throw new IllegalStateError(`Producer ${this.config.transactionalId} began a transaction while one was open.`);
    this.transaction = await kafkajsCall(() => this.producer.transaction());
  }

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    const transaction = this.open();
    return acknowledgements(await kafkajsCall(() => transaction.sendBatch({ topicMessages: [{ topic, messages: messagesOf(records) }], acks: -1 })));
  }

  /** kafkajs sends TxnOffsetCommit v0/v1: the group id only, whatever else `group` carries. */
  async sendOffsetsToTransaction(offsets: readonly OffsetCommit[], group: ConsumerGroupMetadata): Promise<void> {
    const transaction = this.open();
    const topics = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      let partitions = topics.get(topic);
      if (partitions === undefined) topics.set(topic, (partitions = []));
      partitions.push({ partition, offset: String(offset) });
    }
    await kafkajsCall(() => transaction.sendOffsets({ consumerGroupId: group.groupId, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }));
  }

  async commitTransaction(): Promise<void> {
    const transaction = this.open();
    this.transaction = undefined;
    await kafkajsCall(() => transaction.commit());
  }

  async abortTransaction(): Promise<void> {
    const transaction = this.open();
    this.transaction = undefined;
    await kafkajsCall(() => transaction.abort());
  }

  async disconnect(): Promise<void> {
    this.transaction = undefined;
    await kafkajsCall(() => this.producer.disconnect());
  }

  private open(): Transaction {
    if (this.transaction === undefined) throw new IllegalStateError(`Producer ${this.config.transactionalId} has no open transaction.`);
    return this.transaction;
  }
}
