/**
 * Exactly-once v2 (KIP-447) for one stream thread: one transactional producer for all its tasks,
 * with the transactional id `<applicationId>-<processId>-<threadIndex>`, as Kafka Streams'
 * `StreamsProducer` under `exactly_once_v2`. Records any task sends join a transaction begun at
 * the first send; at a commit every task's consumed offsets join it, sent with the consumer
 * group's metadata (generation and member id), and it commits once (`../transactional-sender.ts`).
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
import type { KafkaClientSupplier } from '../../client/kafka-client.js';
import { TransactionalSender } from '../transactional-sender.js';

export interface ThreadTransactionOptions {
  readonly client: KafkaClientSupplier;
  readonly applicationId: string;
  /** This application instance's id: kept in its state directory across restarts with persistent stores, else drawn per `KafkaStreams` (see `process-id.ts`). */
  readonly processId: string;
  /** The stream thread's index in its process, kept by its replacements (so a replacement fences it). */
  readonly threadIndex: number;
  readonly commitIntervalMs: number;
}

export class ThreadTransaction extends TransactionalSender {
  constructor({ client, applicationId, processId, threadIndex, commitIntervalMs }: ThreadTransactionOptions) {
    super({ client, transactionalId: `${applicationId}-${processId}-${threadIndex}`, commitIntervalMs, abortWhenOffsetsFail: true });
  }

  protected failure(what: string, error: unknown): TaskCorruptedError | TaskMigratedError {
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
