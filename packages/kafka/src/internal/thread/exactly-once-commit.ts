/**
 * Exactly-once commits (v1: one transactional producer per task, see `task-transaction.ts`): for
 * each task, in parallel, flushes its stores and sends its records inside its transaction, adds
 * its consumed offsets and commits. Only then are the stores' flushes written to disk (they hold
 * them until then, so no write of an unfinished transaction reaches the files) and, when due,
 * checkpointed. A
 * failure is a `TaskCorruptedError` (or a record's fatal one): the thread stops and is replaced,
 * never retrying a commit whose outcome is unknown.
 */
import type { ManagedTask } from '../task-manager.js';
import { checkpointsAlways, prepareCommits, type CommitContext, type CommitReason, type CommitStrategy } from './commit-strategy.js';

export class ExactlyOnceCommit implements CommitStrategy {
  /** Each task sends through the collector of its own transaction. */
  readonly sharedCollector = undefined;

  constructor(private readonly context: CommitContext) {}

  async commit(reason: CommitReason, only?: readonly ManagedTask[]): Promise<number> {
    const { context } = this;
    // A task with an open transaction commits it even when it has processed nothing since.
    const work = prepareCommits(context, only, (managed) => managed.transaction!.open);
    if (work === undefined) return 0;
    const results = await Promise.allSettled(
      work.map(async ({ managed, offsets }) => {
        await managed.collector.flush();
        await managed.transaction!.commit(offsets, { groupId: context.groupId });
      }),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) {
      context.fail(failure.reason);
      return work.length;
    }
    let offsetCount = 0;
    for (const { managed, offsets } of work) {
      context.positions.markCommitted(offsets);
      offsetCount += offsets.length;
      managed.task.postCommit();
      if (offsets.length > 0) context.logger.debug(`Task ${managed.key} committed its transaction with offsets [${offsets.map(({ topic, partition, offset }) => `${topic}-${partition}@${offset}`).join(', ')}] (${reason})`);
    }
    if (offsetCount > 0) context.logger.debug(`Committed ${work.length} transaction(s) with ${offsetCount} offset(s) (${reason})`);
    try {
      // The transactions are committed: the stores' flushes may reach disk, and every changelog
      // record a task's collector had acknowledged is in a committed transaction (a checkpoint's offsets).
      await context.taskManager.commitStores(only);
      await context.taskManager.writeCheckpoints((managed) => managed.collector.acknowledged, checkpointsAlways(reason), only);
    } catch (error) {
      context.fail(error);
    }
    return work.length;
  }
}
