/**
 * Where the input partitions a waiting task has nothing of end, when no batch has said so. A task
 * of several partitions waits (`maxTaskIdleMs`, KIP-695) while an empty partition is not known to
 * be fetched to its end; each batch tells it its partition's lag, but kafkajs calls `eachBatch`
 * only for batches with records, so a partition with nothing to fetch since the task started
 * (an empty topic, or one consumed to its end before) would leave the task waiting for ever. For
 * those, and as a safety net for a lag that no batch followed up, this asks the brokers: the
 * partition's high watermark against the offset the thread has fetched to, or else the group's
 * committed offset, or else the partition's first offset (the consumer reads from the beginning).
 * At most one probe at a time, and one a second, and only while some task waits.
 */
import type { StreamsAdmin } from '../client/kafka-client.js';
import type { Logger } from '@tributary/streams';
import type { ManagedTask } from './task-manager.js';
import type { TaskKey } from './task-assignor.js';

/** The least time between two probes, ms. */
const PROBE_INTERVAL_MS = 1_000;

/** What a probe learnt of one partition a task waited for. */
interface PartitionEnd {
  readonly key: TaskKey;
  readonly topic: string;
  readonly partition: number;
  /** The thread's fetch position when the probe started: a batch since then makes the answer stale. */
  readonly positionAtStart: number | undefined;
  /** The high watermark: the offset the next record produced will get. */
  readonly end: number;
  /** Where the consumer starts without a fetch position: the committed offset, else the first offset. */
  readonly start: number;
}

/** One stream thread's probe of partition ends. */
export class PartitionEndProbe {
  private inFlight = false;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  /** A finished probe's answer, applied by the next {@link check} (under the thread's lock). */
  private answer: PartitionEnd[] | undefined;

  /** A probe for the group `groupId`'s input partitions. */
  constructor(
    private readonly admin: StreamsAdmin,
    private readonly groupId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Under the thread's lock, at each tick: tells waiting tasks the lags the last probe found, and
   * starts a probe of the partitions running tasks still wait for, when one is due. `positions`
   * is the thread's next offset to fetch per `topic:partition`.
   */
  check(tasks: ReadonlyMap<TaskKey, ManagedTask>, positions: ReadonlyMap<string, number>, now: number): void {
    if (this.answer !== undefined) {
      this.apply(this.answer, tasks, positions);
      this.answer = undefined;
    }
    if (this.inFlight || now - this.lastProbeAt < PROBE_INTERVAL_MS) return;
    const wanted: { key: TaskKey; topic: string; partition: number; positionAtStart: number | undefined }[] = [];
    for (const managed of tasks.values()) {
      if (managed.state !== 'running' || managed.task.idlingSince === undefined) continue;
      const partition = managed.task.id.partition;
      for (const topic of managed.task.emptyTopicsNotAtEnd()) wanted.push({ key: managed.key, topic, partition, positionAtStart: positions.get(`${topic}:${partition}`) });
    }
    if (wanted.length === 0) return;
    this.inFlight = true;
    this.lastProbeAt = now;
    this.probe(wanted).then(
      (answer) => {
        this.answer = answer;
        this.inFlight = false;
      },
      (error: unknown) => {
        this.inFlight = false;
        this.logger.warn('Could not read the ends of input partitions a task waits for; trying again in a second', { error: error instanceof Error ? error.message : String(error) });
      },
    );
  }

  private async probe(wanted: readonly { key: TaskKey; topic: string; partition: number; positionAtStart: number | undefined }[]): Promise<PartitionEnd[]> {
    const topics = [...new Set(wanted.map((entry) => entry.topic))];
    const committed = new Map<string, number>();
    for (const { topic, partition, offset } of await this.admin.fetchCommittedOffsets(this.groupId, topics)) committed.set(`${topic}:${partition}`, offset);
    const answer: PartitionEnd[] = [];
    for (const topic of topics) {
      const offsets = new Map((await this.admin.listOffsets(topic)).map((entry) => [entry.partition, entry]));
      for (const entry of wanted) {
        const found = entry.topic === topic ? offsets.get(entry.partition) : undefined;
        if (found === undefined) continue;
        const committedOffset = committed.get(`${topic}:${entry.partition}`) ?? -1;
        answer.push({ ...entry, end: found.high, start: committedOffset >= 0 ? committedOffset : found.low });
      }
    }
    return answer;
  }

  private apply(answer: readonly PartitionEnd[], tasks: ReadonlyMap<TaskKey, ManagedTask>, positions: ReadonlyMap<string, number>): void {
    for (const { key, topic, partition, positionAtStart, end, start } of answer) {
      const managed = tasks.get(key);
      if (managed === undefined || managed.state !== 'running') continue;
      const position = positions.get(`${topic}:${partition}`);
      // A batch came meanwhile, with a lag of its own and newer than this answer.
      if (position !== positionAtStart || !managed.task.emptyTopicsNotAtEnd().includes(topic)) continue;
      managed.task.setFetchedLag(topic, Math.max(0, end - (position ?? start)));
    }
  }
}
