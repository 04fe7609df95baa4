/**
 * Exactly-once for one task: its own transactional producer, with the stable transactional id
 * `<applicationId>-<taskId>`. Records the task sends join a transaction begun at its first send;
 * at a commit the task's consumed offsets join it too (`sendOffsets`) and it commits, so outputs,
 * changelog writes and offsets become visible together or not at all.
 *
 * Why one producer per task, as Kafka Streams did before exactly-once v2: kafkajs implements the
 * transactional offset commit only up to version 1, which carries no consumer-group generation
 * (no KIP-447), so the group coordinator cannot fence a zombie's offsets. A transactional id tied
 * to the task does: whoever takes the task over initializes the same id, which bumps the
 * producer epoch, aborts the zombie's open transaction and refuses its later writes.
 *
 * Any failure here leaves the transaction's outcome unknown, so it is never retried: it becomes a
 * {@link TaskCorruptedError}, on which the runtime rebuilds the thread and its producers (fencing
 * this epoch) and resumes from the last committed offsets.
 */
import type { Kafka, Producer, ProducerBatch, ProducerRecord, RecordMetadata, Transaction } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { TaskCorruptedError } from '../errors.js';
import type { RecordSender } from './kafka-record-collector.js';

/** Kafka Streams' `transaction.timeout.ms` under exactly-once: an abandoned transaction is aborted by the brokers after this. */
const MIN_TRANSACTION_TIMEOUT_MS = 10_000;

export interface TaskTransactionOptions {
  readonly kafka: Kafka;
  readonly applicationId: string;
  /** The task, as `<subtopology>_<partition>`. */
  readonly taskId: string;
  readonly commitIntervalMs: number;
}

/** The transactional id of a task's producer. */
function transactionalIdOf(applicationId: string, taskId: string): string {
  return `${applicationId}-${taskId}`;
}

export class TaskTransaction implements RecordSender {
  readonly transactionalId: string;
  private readonly producer: Producer;
  private transaction: Transaction | undefined;
  private beginning: Promise<Transaction> | undefined;

  constructor(private readonly options: TaskTransactionOptions) {
    this.transactionalId = transactionalIdOf(options.applicationId, options.taskId);
    this.producer = options.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      // Longer than a commit interval, so only an abandoned transaction times out.
      transactionTimeout: Math.max(MIN_TRANSACTION_TIMEOUT_MS, 3 * options.commitIntervalMs),
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /**
   * Connects and initializes the transactional id, which fences any earlier producer of this task
   * and aborts its open transaction. Call before restoring the task's stores or reading its
   * committed offsets, so neither can change under it afterwards.
   */
  async fence(): Promise<void> {
    try {
      await this.producer.connect();
      // kafkajs initializes the transactional id (InitProducerId, the fencing) at the first
      // transaction, not at connect. An empty transaction ends locally, without a request.
      const transaction = await this.producer.transaction();
      await transaction.abort();
    } catch (error) {
      throw this.corrupted('could not initialize its transactional producer', error);
    }
  }

  /** Whether a transaction is open (records were sent since the last commit). */
  get open(): boolean {
    return this.transaction !== undefined;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const transaction = await this.begin();
    return transaction.send(record);
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const transaction = await this.begin();
    return transaction.sendBatch(batch);
  }

  /**
   * Adds the consumed offsets to the transaction and commits it. With no records sent and no
   * offsets to commit, there is nothing to do.
   */
  async commit(consumerGroupId: string, offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void> {
    if (this.transaction === undefined && offsets.length === 0) return;
    const transaction = await this.begin();
    try {
      if (offsets.length > 0) {
        const topics = new Map<string, { partition: number; offset: string }[]>();
        for (const { topic, partition, offset } of offsets) {
          let partitions = topics.get(topic);
          if (partitions === undefined) topics.set(topic, (partitions = []));
          partitions.push({ partition, offset });
        }
        await transaction.sendOffsets({ consumerGroupId, topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
      }
      await transaction.commit();
    } catch (error) {
      throw this.corrupted('could not commit its transaction', error);
    } finally {
      this.transaction = undefined;
      this.beginning = undefined;
    }
  }

  /** Disconnects. An open transaction is left to the next owner's fencing (or the brokers' timeout). */
  async close(): Promise<void> {
    this.transaction = undefined;
    this.beginning = undefined;
    await this.producer.disconnect().catch(() => {});
  }

  private begin(): Promise<Transaction> {
    if (this.transaction !== undefined) return Promise.resolve(this.transaction);
    this.beginning ??= this.producer.transaction().then(
      (transaction) => {
        this.transaction = transaction;
        return transaction;
      },
      (error: unknown) => {
        this.beginning = undefined;
        throw this.corrupted('could not begin a transaction', error);
      },
    );
    return this.beginning;
  }

  private corrupted(what: string, error: unknown): TaskCorruptedError {
    const reason = error instanceof Error ? error.message : String(error);
    const fenced = /fenced|epoch/i.test(reason) ? ' (another instance has taken the task over)' : '';
    return new TaskCorruptedError(`Task ${this.options.taskId} ${what}${fenced}: ${reason}. The thread is rebuilt and the task resumes from its last committed offsets.`, this.options.taskId, {
      cause: error,
    });
  }
}
