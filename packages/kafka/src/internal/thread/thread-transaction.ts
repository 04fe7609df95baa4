/**
 * Exactly-once v2 (KIP-447) for one stream thread: one transactional producer for all its tasks,
 * with the transactional id `<applicationId>-<processId>-<threadIndex>`, as Kafka Streams'
 * `StreamsProducer` under `exactly_once_v2`. Records any task sends join a transaction begun at
 * the first send; at a commit every task's consumed offsets join it, sent with the consumer
 * group's metadata (generation and member id), and it commits once.
 *
 * Who fences a zombie: not the transactional id (the task's new owner is another thread, with
 * another id) but the group coordinator, which refuses offsets sent with a generation the group
 * has left behind (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID). Such a refusal, or a newer producer
 * of this thread's id (its replacement), means the tasks may have moved: a
 * {@link TaskMigratedError}. Anything else leaves the transaction's outcome unknown: a
 * {@link TaskCorruptedError} for every task of the thread, since they share the transaction.
 * Either way the thread is replaced and its tasks resume from their last commit; an error
 * before the commit request aborts the open transaction first, so read_committed consumers and
 * the tasks' next restores need not wait for the brokers' transaction timeout.
 */
import { TaskCorruptedError, TaskMigratedError } from '../../errors.js';
import { clientErrorIn } from '../../client/client-error.js';
import type { ConsumerGroupMetadata, KafkaClientSupplier, OffsetCommit, OutgoingKafkaRecord, RecordSender, SendAcknowledgement, TransactionalProducer } from '../../client/kafka-client.js';

/** Kafka Streams' `transaction.timeout.ms` under exactly-once: an abandoned transaction is aborted by the brokers after this. */
const MIN_TRANSACTION_TIMEOUT_MS = 10_000;

export interface ThreadTransactionOptions {
  readonly client: KafkaClientSupplier;
  readonly applicationId: string;
  /** This application instance's id: kept in its state directory across restarts with persistent stores, else drawn per `KafkaStreams` (see `process-id.ts`). */
  readonly processId: string;
  /** The stream thread's index in its process, kept by its replacements (so a replacement fences it). */
  readonly threadIndex: number;
  readonly commitIntervalMs: number;
}

/** The transactional id of a stream thread's producer under exactly-once v2. */
function threadTransactionalId(applicationId: string, processId: string, threadIndex: number): string {
  return `${applicationId}-${processId}-${threadIndex}`;
}

export class ThreadTransaction implements RecordSender {
  readonly transactionalId: string;
  private readonly producer: TransactionalProducer;
  private began = false;
  private beginning: Promise<void> | undefined;

  constructor(options: ThreadTransactionOptions) {
    this.transactionalId = threadTransactionalId(options.applicationId, options.processId, options.threadIndex);
    // Longer than a commit interval, so only an abandoned transaction times out.
    this.producer = options.client.transactionalProducer({ transactionalId: this.transactionalId, transactionTimeoutMs: Math.max(MIN_TRANSACTION_TIMEOUT_MS, 3 * options.commitIntervalMs) });
  }

  /**
   * Connects and initializes the transactional id, once per thread start: it fences the producer
   * of the thread this one replaces and aborts its open transaction.
   */
  async initialize(): Promise<void> {
    try {
      await this.producer.initTransactions();
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
   * Adds every task's consumed offsets to the transaction, with the group's metadata, and commits
   * it. With no records sent and no offsets to commit, there is nothing to do.
   */
  async commit(offsets: readonly OffsetCommit[], group: ConsumerGroupMetadata): Promise<void> {
    if (!this.began && offsets.length === 0) return;
    await this.begin();
    let committing = false;
    try {
      if (offsets.length > 0) await this.producer.sendOffsetsToTransaction(offsets, group);
      committing = true;
      await this.producer.commitTransaction();
    } catch (error) {
      // Before the commit request the outcome is known: nothing of it may become visible.
      if (!committing) await this.abortQuietly();
      throw this.failure(committing ? 'could not commit its transaction' : 'could not add its tasks\' offsets to its transaction', error);
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
    if (wasOpen) await this.producer.abortTransaction().catch(() => {});
  }

  /** Disconnects. An open transaction is left to the thread's replacement (same id) or the brokers' timeout. */
  async close(): Promise<void> {
    this.began = false;
    this.beginning = undefined;
    await this.producer.disconnect().catch(() => {});
  }

  private begin(): Promise<void> {
    if (this.began) return Promise.resolve();
    this.beginning ??= this.producer.beginTransaction().then(
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

  private failure(what: string, error: unknown): TaskCorruptedError | TaskMigratedError {
    const reason = error instanceof Error ? error.message : String(error);
    const kind = clientErrorIn(error)?.kind;
    if (kind === 'group-fenced' || kind === 'rebalance-in-progress' || kind === 'fenced') {
      const who = kind === 'fenced' ? 'a newer producer of its transactional id took over' : 'the consumer group has moved on without this member';
      return new TaskMigratedError(
        `The stream thread's transaction (${this.transactionalId}) ${what}: ${who}, so its tasks may have moved (${reason}). Its transaction is aborted; the thread is replaced and its tasks resume from their last committed offsets.`,
        { cause: error },
      );
    }
    return new TaskCorruptedError(
      `The stream thread's transaction (${this.transactionalId}) ${what}: ${reason}. Every task of the thread shared it, so the thread is rebuilt and its tasks resume from their last committed offsets.`,
      '*',
      { cause: error },
    );
  }
}
