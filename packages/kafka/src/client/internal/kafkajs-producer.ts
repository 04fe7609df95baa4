/**
 * The producers of the kafkajs adapter: the idempotent producer a stream thread shares under
 * at-least-once, and a transactional producer (exactly-once, one per task: kafkajs implements
 * the transactional offset commit only up to version 1, which carries no group generation, so
 * only a transactional id tied to the task fences a zombie). Every send is one topic-partition's
 * records in one request: kafkajs retries a failed request as a whole against the broker it
 * thought led each partition, and a request mixing partitions led by different brokers could be
 * retried into the wrong one under a leader change (see `kafka-record-collector.ts`).
 */
import { Partitioners, type Kafka, type Message, type Producer, type RecordMetadata, type Transaction } from 'kafkajs';
import { IllegalStateError } from '../../errors.js';
import type { ConsumerGroupMetadata, OffsetCommit, OutgoingKafkaRecord, SendAcknowledgement, StreamsProducer, TransactionalProducer, TransactionalProducerConfig } from '../kafka-client.js';
import { kafkajsCall } from './kafkajs-errors.js';

function acknowledgements(metadata: readonly RecordMetadata[]): SendAcknowledgement[] {
  return metadata.map((entry) => ({ topic: entry.topicName, partition: entry.partition, baseOffset: Number(entry.baseOffset ?? entry.offset ?? -1) }));
}

/** kafkajs reads the records' fields (and spreads each into the record it encodes): they go as they are, no copy. */
function messagesOf(records: readonly OutgoingKafkaRecord[]): Message[] {
  return records as Message[];
}

export class KafkajsProducer implements StreamsProducer {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    // Idempotent, as Kafka Streams' producers are since 3.0: a send retried after a lost ack
    // (common while a new topic's leaders settle) is written once, not twice.
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true, createPartitioner: Partitioners.DefaultPartitioner });
  }

  connect(): Promise<void> {
    return kafkajsCall(() => this.producer.connect());
  }

  disconnect(): Promise<void> {
    return kafkajsCall(() => this.producer.disconnect());
  }

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    return acknowledgements(await kafkajsCall(() => this.producer.sendBatch({ topicMessages: [{ topic, messages: messagesOf(records) }], acks: -1 })));
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
