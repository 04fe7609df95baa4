/**
 * What both exactly-once guarantees do with a transactional producer, as Kafka Streams'
 * `StreamsProducer` does for both: initialize the transactional id (fencing its earlier
 * producers), begin a transaction at the first send after a commit, add the consumed offsets
 * with the group's metadata and commit, and abort. Which producer it is, and what a failure
 * means, is the subclass's: a task's (`task-transaction.ts`, exactly-once v1) or a stream
 * thread's (`thread/thread-transaction.ts`, exactly-once v2).
 *
 * Any failure leaves the transaction's outcome unknown or the producer fenced, so nothing here is
 * retried: it becomes the subclass's error, on which the runtime replaces the thread. Each call
 * but a send (which the record collector bounds) fails once it waited {@link MAX_BLOCK_MS}
 * (`broker-wait.ts`).
 */
import type { ConsumerGroupMetadata, KafkaClientSupplier, OffsetCommit, OutgoingKafkaRecord, RecordSender, SendAcknowledgement, TransactionalProducer } from '../client/kafka-client.js';
import { MAX_BLOCK_MS, withinLimit } from './broker-wait.js';

/** Kafka Streams' `transaction.timeout.ms` under exactly-once: an abandoned transaction is aborted by the brokers after this. */
const MIN_TRANSACTION_TIMEOUT_MS = 10_000;

export interface TransactionalSenderOptions {
  readonly client: KafkaClientSupplier;
  readonly transactionalId: string;
  readonly commitIntervalMs: number;
  /**
   * Whether offsets the brokers refused abort the open transaction before the error is thrown.
   * Exactly-once v2 does: its tasks' next owners use other transactional ids, and would wait for
   * the brokers' transaction timeout. Under v1 a task's next owner initializes the task's own id
   * before it restores or reads offsets, which aborts the transaction anyway.
   */
  readonly abortWhenOffsetsFail: boolean;
}

export abstract class TransactionalSender implements RecordSender {
  readonly transactionalId: string;
  private readonly producer: TransactionalProducer;
  private readonly abortWhenOffsetsFail: boolean;
  private began = false;
  private beginning: Promise<void> | undefined;

  protected constructor(options: TransactionalSenderOptions) {
    this.transactionalId = options.transactionalId;
    this.abortWhenOffsetsFail = options.abortWhenOffsetsFail;
    // Longer than a commit interval, so only an abandoned transaction times out.
    this.producer = options.client.transactionalProducer({ transactionalId: this.transactionalId, transactionTimeoutMs: Math.max(MIN_TRANSACTION_TIMEOUT_MS, 3 * options.commitIntervalMs) });
  }

  /**
   * Connects and initializes the transactional id, which fences every earlier producer of the id
   * and aborts its open transaction.
   */
  async initialize(): Promise<void> {
    try {
      await withinLimit(this.producer.initTransactions(), MAX_BLOCK_MS, 'initialize the transactional id');
    } catch (error) {
      throw this.failure('could not initialize its transactional producer', error);
    }
  }

  /** Whether a transaction is open (records were sent since the last commit). */
  get open(): boolean {
    return this.began;
  }

  async send(topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> {
    await this.begin();
    return this.producer.send(topic, records);
  }

  /**
   * Adds the consumed offsets to the transaction, for the group `group` names, and commits it.
   * With no records sent and no offsets to commit, there is nothing to do.
   */
  async commit(offsets: readonly OffsetCommit[], group: ConsumerGroupMetadata): Promise<void> {
    if (!this.began && offsets.length === 0) return;
    await this.begin();
    let committing = false;
    try {
      if (offsets.length > 0) await withinLimit(this.producer.sendOffsetsToTransaction(offsets, group), MAX_BLOCK_MS, 'take the offsets into the transaction');
      committing = true;
      await withinLimit(this.producer.commitTransaction(), MAX_BLOCK_MS, 'commit the transaction');
    } catch (error) {
      // Before the commit request the outcome is known: nothing of it may become visible.
      if (!committing && this.abortWhenOffsetsFail) await this.abortQuietly();
      throw this.failure(committing ? 'could not commit its transaction' : 'could not add its offsets to its transaction', error);
    } finally {
      this.began = false;
      this.beginning = undefined;
    }
  }

  /**
   * Aborts the open transaction, if any, ignoring a failure (a fenced producer cannot abort: its
   * successor's initialization, or the brokers' timeout, does).
   */
  async abortQuietly(): Promise<void> {
    const wasOpen = this.began || this.beginning !== undefined;
    this.began = false;
    this.beginning = undefined;
    if (wasOpen) await withinLimit(this.producer.abortTransaction(), MAX_BLOCK_MS, 'abort the transaction').catch(() => {});
  }

  /** Disconnects. An open transaction is left to the next producer of the id, or the brokers' timeout. */
  async close(): Promise<void> {
    this.began = false;
    this.beginning = undefined;
    await this.producer.disconnect().catch(() => {});
  }

  /** The error a failed step (`what` the producer could not do) becomes. */
  protected abstract failure(what: string, error: unknown): Error;

  private begin(): Promise<void> {
    if (this.began) return Promise.resolve();
    this.beginning ??= withinLimit(this.producer.beginTransaction(), MAX_BLOCK_MS, 'begin a transaction').then(
      () => {
        this.began = true;
      },
      (error: unknown) => {
        this.beginning = undefined;
        throw this.failure('could not begin a transaction', error);
      },
    );
    return this.beginning;
  }
}
