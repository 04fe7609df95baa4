/**
 * Where the thread stands in each input partition: the next offset fed to a task (so batches
 * fetched again after a rebalance are not processed twice) and the offset last committed (so a
 * commit sends only offsets that moved), and the seek of restored tasks to their committed offsets.
 */
import type { StreamsAdmin, StreamsConsumer } from '../../client/kafka-client.js';
import { TaskCorruptedError } from '../../errors.js';
import type { ManagedTask } from '../task-manager.js';

const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`;

export class PartitionPositions {
  /** Next offset fed to a task, by `topic:partition`. */
  readonly positions = new Map<string, number>();
  /** Offset last committed, by `topic:partition`. */
  private readonly committed = new Map<string, number>();

  constructor(
    private readonly consumer: StreamsConsumer,
    private readonly admin: StreamsAdmin,
    private readonly groupId: string,
  ) {}

  /** The next offset to feed from a partition, `-1` when none was fed yet. */
  positionOf(topic: string, partition: number): number {
    return this.positions.get(keyOf(topic, partition)) ?? -1;
  }

  /** Records that everything up to `lastOffset` was fed to the partition's task. */
  advance(topic: string, partition: number, lastOffset: number): void {
    const key = keyOf(topic, partition);
    this.positions.set(key, Math.max(this.positions.get(key) ?? -1, lastOffset + 1));
  }

  committedOf(topic: string, partition: number): number | undefined {
    return this.committed.get(keyOf(topic, partition));
  }

  markCommitted(offsets: Iterable<{ readonly topic: string; readonly partition: number; readonly offset: number }>): void {
    for (const { topic, partition, offset } of offsets) this.committed.set(keyOf(topic, partition), offset);
  }

  /** Forgets a closed task's partitions: a later owner of them here starts from what is committed. */
  forget(managed: ManagedTask): void {
    for (const { topic, partition } of managed.topicPartitions) {
      this.positions.delete(keyOf(topic, partition));
      this.committed.delete(keyOf(topic, partition));
    }
  }

  /**
   * Starts each restored task's partitions at its committed offsets. Exactly-once: those
   * committed now, after its producer fenced the previous owner (the client may have read them at
   * the assignment, before the fencing, when the previous owner could still commit a
   * transaction). At-least-once: those its stores were restored to the consistent point of
   * (`startOffsets`). A partition with no committed offset starts at its earliest. Throws a
   * {@link TaskCorruptedError} when the offsets cannot be read.
   */
  async seekToCommitted(tasks: readonly ManagedTask[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; known: number | undefined }[]>();
    for (const managed of tasks) {
      for (const { topic, partition } of managed.topicPartitions) {
        let partitions = byTopic.get(topic);
        if (partitions === undefined) byTopic.set(topic, (partitions = []));
        partitions.push({ partition, known: managed.startOffsets?.get(topic) });
      }
    }
    try {
      for (const [topic, partitions] of byTopic) {
        const committed = partitions.some((entry) => entry.known === undefined) ? await this.admin.fetchCommittedOffsets(this.groupId, [topic]) : undefined;
        let earliest: Map<number, number> | undefined;
        for (const { partition, known } of partitions) {
          let offset = known ?? committed?.find((entry) => entry.partition === partition)?.offset ?? -1;
          if (offset < 0) {
            earliest ??= new Map((await this.admin.listOffsets(topic)).map((entry) => [entry.partition, entry.low]));
            offset = earliest.get(partition) ?? 0;
          }
          this.consumer.seek(topic, partition, offset);
          this.positions.set(keyOf(topic, partition), offset);
          this.committed.set(keyOf(topic, partition), offset);
        }
      }
    } catch (error) {
      throw new TaskCorruptedError(`Could not read the committed offsets of restored tasks: ${error instanceof Error ? error.message : String(error)}.`, tasks[0]?.key ?? '', { cause: error });
    }
  }
}
