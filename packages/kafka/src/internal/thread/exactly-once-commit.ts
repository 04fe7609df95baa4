/**
 * Exactly-once commits (v1: one transactional producer per task, see `task-transaction.ts`): for
 * each task, in parallel, flushes its stores and sends its records inside its transaction, adds
 * its consumed offsets and commits. Only then are stores committed to disk and checkpointed. A
 * failure is a `TaskCorruptedError` (or a record's fatal one): the thread stops and is replaced,
 * never retrying a commit whose outcome is unknown.
 */
import type { ManagedTask } from '../task-manager.js';
import { prepareCommits, type CommitContext, type CommitStrategy } from './commit-strategy.js';

export class ExactlyOnceCommit implements CommitStrategy {
  /** Each task sends through the collector of its own transaction. */
  readonly sharedCollector = undefined;

  constructor(private readonly context: CommitContext) {}

  async commit(reason: string, only?: readonly ManagedTask[]): Promise<number> {
    const { context } = this;
    // A task with an open transaction commits it even when it has processed nothing since.
    const work = prepareCommits(context, only, (managed) => managed.transaction!.open);
    if (work === undefined) return 0;
    const nextOffsets = new Map<string, number>();
    const results = await Promise.allSettled(
      work.map(async ({ managed, offsets }) => {
        for (const [key, offset] of await managed.collector.flush()) nextOffsets.set(key, offset);
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
      // The transactions are committed: the stores' flushed writes may now be checkpointed.
      await context.taskManager.commitStores(only);
      await context.taskManager.writeCheckpoints(nextOffsets, only);
    } catch (error) {
      context.fail(error);
    }
    return work.length;
  }
}
