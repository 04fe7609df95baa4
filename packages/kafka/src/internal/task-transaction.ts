/**
 * Exactly-once for one task: its own transactional producer, with the stable transactional id
 * `<applicationId>-<taskId>`. Records the task sends join a transaction begun at its first send;
 * at a commit the task's consumed offsets join it too (`sendOffsets`) and it commits, so outputs,
 * changelog writes and offsets become visible together or not at all (`transactional-sender.ts`).
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
import type { KafkaClientSupplier } from '../client/kafka-client.js';
import { TransactionalSender } from './transactional-sender.js';

export interface TaskTransactionOptions {
  readonly client: KafkaClientSupplier;
  readonly applicationId: string;
  /** The task, as `<subtopology>_<partition>`. */
  readonly taskId: string;
  readonly commitIntervalMs: number;
}

export class TaskTransaction extends TransactionalSender {
  private readonly taskId: string;

  constructor({ client, applicationId, taskId, commitIntervalMs }: TaskTransactionOptions) {
    // Whoever takes the task over initializes this id before anything else, aborting an open transaction.
    super({ client, transactionalId: `${applicationId}-${taskId}`, commitIntervalMs, abortWhenOffsetsFail: false });
    this.taskId = taskId;
  }

  protected failure(what: string, error: unknown): TaskCorruptedError {
    const reason = error instanceof Error ? error.message : String(error);
    const fenced = clientErrorIn(error)?.kind === 'fenced' ? ' (another instance has taken the task over)' : '';
    return new TaskCorruptedError(`Task ${this.taskId} ${what}${fenced}: ${reason}. The thread is rebuilt and the task resumes from its last committed offsets.`, this.taskId, { cause: error });
  }
}
