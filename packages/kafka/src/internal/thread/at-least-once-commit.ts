/**
 * At-least-once commits: one idempotent producer and collector shared by the thread's tasks. A
 * commit flushes stores, sends the output and waits for its acks, then commits the consumed
 * offsets, each task's with the end offsets of its changelogs as metadata (its consistent point,
 * see `commit-metadata.ts`), and only then writes the stores' flushes to disk (they hold them
 * until then), so local state never runs ahead of the committed offsets (a restore goes exactly
 * to that point, see `changelog-rollback.ts`), and checkpoints a task's stores when its
 * changelogs moved far enough or the commit suspends or closes it (`TaskManager.writeCheckpoints`).
 */
import { clientErrorIn } from '../../client/client-error.js';
import type { OffsetCommit, StreamsConsumer } from '../../client/kafka-client.js';
import { TaskMigratedError } from '../../errors.js';
import { encodeChangelogEnds } from '../commit-metadata.js';
import type { KafkaRecordCollector } from '../kafka-record-collector.js';
import type { ManagedTask } from '../task-manager.js';
import { checkpointsAlways, prepareCommits, type CommitContext, type CommitReason, type CommitStrategy, type PreparedCommit } from './commit-strategy.js';

export class AtLeastOnceCommit implements CommitStrategy {
  constructor(
    private readonly context: CommitContext,
    private readonly consumer: StreamsConsumer,
    readonly sharedCollector: KafkaRecordCollector,
  ) {}

  async commit(reason: CommitReason, only?: readonly ManagedTask[]): Promise<number> {
    const { context } = this;
    const work = prepareCommits(context, only, () => false);
    if (work === undefined) return 0;
    const offsets: OffsetCommit[] = [];
    const metadataByTask = new Map<ManagedTask, string>();
    try {
      await this.sharedCollector.flush();
      for (const prepared of work) offsets.push(...this.offsetsToCommit(prepared, metadataByTask));
    } catch (error) {
      context.fail(error);
      return work.length;
    }
    let committed = true;
    if (offsets.length > 0) {
      try {
        await this.consumer.commitOffsets(offsets);
        context.positions.markCommitted(offsets);
        for (const [managed, metadata] of metadataByTask) managed.committedMetadata = metadata;
        context.logger.debug(`Committed ${offsets.length} offset(s) (${reason})`);
      } catch (error) {
        if (reason !== 'close' && clientErrorIn(error)?.kind === 'group-fenced') {
          // The group moved on without this member (its session expired, and kafkajs has not
          // rejoined yet): every commit until it rejoins would fail too, and all it processed
          // meanwhile be processed again. As Kafka Streams turns a CommitFailedException into a
          // TaskMigratedException, the thread is rebuilt and rejoins now (a closing thread just
          // closes, as before).
          context.fail(
            new TaskMigratedError(
              `Could not commit offsets (${reason}): ${error instanceof Error ? error.message : String(error)}. This member is no longer in its group (its session expired, often a process starved of CPU); the stream thread is rebuilt, rejoins the group and reprocesses from its tasks' last commits. If it recurs, raise consumer.sessionTimeoutMs.`,
              { cause: error },
            ),
          );
          return work.length;
        }
        // A rebalance in progress: the commit is tried again with the next one, or the new owner
        // reprocesses from the last commit (at-least-once).
        committed = false;
        context.logger.warn(`Could not commit offsets (${reason}); records since the last commit will be processed again`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    for (const { managed } of work) managed.task.postCommit();
    // Stores' writes are checkpointed only once offsets that cover them are committed.
    if (!committed) return work.length;
    const checkpoints = new Map<string, number>();
    for (const managed of metadataByTask.keys()) {
      for (const [topic, end] of managed.changelogEnds ?? []) checkpoints.set(`${topic}:${managed.task.id.partition}`, end);
    }
    try {
      await context.taskManager.commitStores(only);
      await context.taskManager.writeCheckpoints((managed) => (metadataByTask.has(managed) ? checkpoints : undefined), checkpointsAlways(reason), only);
    } catch (error) {
      context.fail(error);
    }
    return work.length;
  }

  /**
   * What to commit for a prepared task. A task with logged stores commits every input partition
   * it has an offset for, with its changelog ends as metadata, whenever its offsets or those ends
   * moved (a punctuator may write stores without consuming); others commit the offsets that
   * moved. Adds the metadata committed (or committed already) to `metadataByTask`: the tasks whose
   * changelog ends the commit makes checkpointable.
   */
  private offsetsToCommit({ managed, offsets, consumed }: PreparedCommit, metadataByTask: Map<ManagedTask, string>): OffsetCommit[] {
    const ends = this.context.taskManager.changelogEndsOf(managed);
    if (ends === undefined) return offsets;
    const metadata = encodeChangelogEnds(managed.key, ends);
    if (offsets.length === 0 && metadata === managed.committedMetadata) {
      // Nothing moved: its ends are committed already, and a checkpoint this commit forces may claim them.
      metadataByTask.set(managed, metadata);
      return [];
    }
    const all: OffsetCommit[] = [];
    for (const { topic, partition } of managed.topicPartitions) {
      const offset = consumed.get(topic) ?? this.context.positions.committedOf(topic, partition);
      if (offset !== undefined && offset >= 0) all.push({ topic, partition, offset, metadata });
    }
    if (all.length > 0) metadataByTask.set(managed, metadata);
    return all;
  }
}
