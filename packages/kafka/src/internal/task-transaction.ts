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
import { TaskCorruptedError } from '../errors.js';
import { clientErrorIn } from '../client/client-error.js';
import type { KafkaClientSupplier, OutgoingKafkaRecord, RecordSender, SendAcknowledgement, TransactionalProducer } from '../client/kafka-client.js';

/** Kafka Streams' `transaction.timeout.ms` under exactly-once: an abandoned transaction is aborted by the brokers after this. */
const MIN_TRANSACTION_TIMEOUT_MS = 10_000;

export interface TaskTransactionOptions {
  readonly client: KafkaClientSupplier;
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
  private readonly producer: TransactionalProducer;
  private began = false;
  private beginning: Promise<void> | undefined;

  constructor(private readonly options: TaskTransactionOptions) {
    this.transactionalId = transactionalIdOf(options.applicationId, options.taskId);
    // Longer than a commit interval, so only an abandoned transaction times out.
    this.producer = options.client.transactionalProducer({ transactionalId: this.transactionalId, transactionTimeoutMs: Math.max(MIN_TRANSACTION_TIMEOUT_MS, 3 * options.commitIntervalMs) });
  }

  /**
   * Connects and initializes the transactional id, which fences any earlier producer of this task
   * and aborts its open transaction. Call before restoring the task's stores or reading its
   * committed offsets, so neither can change under it afterwards.
   */
  async fence(): Promise<void> {
    try {
      await this.producer.initTransactions();
    } catch (error) {
      throw this.corrupted('could not initialize its transactional producer', error);
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
   * Adds the consumed offsets to the transaction and commits it. With no records sent and no
   * offsets to commit, there is nothing to do. v1 (a producer per task) gives the group id only.
   */
  async commit(consumerGroupId: string, offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (!this.began && offsets.length === 0) return;
    await this.begin();
    try {
      if (offsets.length > 0) await this.producer.sendOffsetsToTransaction(offsets, { groupId: consumerGroupId });
      await this.producer.commitTransaction();
    } catch (error) {
      throw this.corrupted('could not commit its transaction', error);
    } finally {
      this.began = false;
      this.beginning = undefined;
    }
  }

  /** Disconnects. An open transaction is left to the next owner's fencing (or the brokers' timeout). */
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
        throw this.corrupted('could not begin a transaction', error);
      },
    );
    return this.beginning;
  }

  private corrupted(what: string, error: unknown): TaskCorruptedError {
    const reason = error instanceof Error ? error.message : String(error);
    const fenced = clientErrorIn(error)?.kind === 'fenced' ? ' (another instance has taken the task over)' : '';
    return new TaskCorruptedError(`Task ${this.options.taskId} ${what}${fenced}: ${reason}. The thread is rebuilt and the task resumes from its last committed offsets.`, this.options.taskId, {
      cause: error,
    });
  }
}
