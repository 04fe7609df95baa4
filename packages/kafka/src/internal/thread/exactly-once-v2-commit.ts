/**
 * Exactly-once v2 commits (KIP-447: one transactional producer per stream thread, see
 * `thread-transaction.ts`), as Kafka Streams' `TaskExecutor` commits under `exactly_once_v2`:
 * every task of the thread shares one transaction, so a commit takes them all, whichever tasks
 * asked for it (a revoke's included: the others' records are in the same transaction). It
 * flushes every task's stores, sends every record, adds every task's consumed offsets with the
 * group's generation and member id, and commits once; only then are the stores' flushes written
 * to disk (held until then) and, when due, checkpointed. A failure takes all the thread's tasks with it (one transaction), and they
 * resume from the last commit: offsets the group coordinator refused (the group moved on
 * without this member, typically a rebalance that completed before the revoke's commit reached
 * it) close them all while the thread stays in the group, as Kafka's `handleLostAll`; any other
 * failure fails the thread, which is replaced.
 */
import { clientErrorIn } from '../../client/client-error.js';
import type { ConsumerGroupMetadata, OffsetCommit } from '../../client/kafka-client.js';
import type { KafkaRecordCollector } from '../kafka-record-collector.js';
import { checkpointsAlways, prepareCommits, type CommitContext, type CommitReason, type CommitStrategy } from './commit-strategy.js';
import type { ThreadTransaction } from './thread-transaction.js';

export class ExactlyOnceV2Commit implements CommitStrategy {
  constructor(
    private readonly context: CommitContext,
    private readonly transaction: ThreadTransaction,
    /** The collector every task shares, over {@link transaction}. */
    readonly sharedCollector: KafkaRecordCollector,
    /** The group's metadata as of the assignment the thread's tasks run under. */
    private readonly groupMetadata: () => ConsumerGroupMetadata,
    /** Closes every task without a commit, the thread staying in its group (see `RebalanceListener.loseAll`). */
    private readonly loseAll: (reason: unknown) => Promise<void>,
  ) {}

  async commit(reason: CommitReason): Promise<number> {
    const { context, transaction } = this;
    const work = prepareCommits(context, undefined, () => false);
    if (work === undefined) {
      await transaction.abortQuietly();
      return 0;
    }
    const offsets: OffsetCommit[] = [];
    for (const prepared of work) offsets.push(...prepared.offsets);
    try {
      await this.sharedCollector.flush();
      await transaction.commit(offsets, offsets.length > 0 ? this.groupMetadata() : { groupId: context.groupId });
    } catch (error) {
      await transaction.abortQuietly();
      this.sharedCollector.discard();
      const kind = clientErrorIn(error)?.kind;
      if (kind === 'group-fenced' || kind === 'rebalance-in-progress') {
        await this.loseAll(error);
        // The thread stays in its group: the tasks it is assigned next send through this collector.
        await this.sharedCollector.reopen();
      } else {
        context.fail(error);
      }
      return work.length;
    }
    context.positions.markCommitted(offsets);
    for (const { managed } of work) managed.task.postCommit();
    if (offsets.length > 0) context.logger.debug(`Committed one transaction for ${work.length} task(s) with ${offsets.length} offset(s) (${reason})`);
    try {
      // The transaction is committed: the stores' flushes may reach disk, and every changelog
      // record the collector had acknowledged is in a committed transaction (a checkpoint's offsets).
      await context.taskManager.commitStores();
      await context.taskManager.writeCheckpoints(() => this.sharedCollector.acknowledged, checkpointsAlways(reason));
    } catch (error) {
      context.fail(error);
    }
    return work.length;
  }
}
