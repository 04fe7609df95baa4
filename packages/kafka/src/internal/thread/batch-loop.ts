/**
 * The thread's processing: each fetched batch is fed to its task and processed synchronously under
 * the lock, its output handed to the linger, and a commit made when the interval has passed; a
 * tick every {@link TICK_MS} runs wall-clock punctuators, processes tasks waiting for an empty
 * input partition (KIP-695's `maxTaskIdleMs`, with the partition-end probe) and commits when due.
 */
import type { ConsumedRecord, SubtopologySpec, ThreadSensors } from '@tributary/streams/engine';
import type { FetchedBatch, FetchedRecord } from '../../client/kafka-client.js';
import { consumedRecord } from '../kafka-messages.js';
import type { PartitionEndProbe } from '../partition-ends.js';
import { taskKey, type TaskKey } from '../task-assignor.js';
import type { ManagedTask } from '../task-manager.js';
import type { ThreadCommitter } from './commit-strategy.js';
import type { LivenessWatchdog } from './liveness-watchdog.js';
import type { OutputLinger } from './output-linger.js';
import type { PartitionPositions } from './partition-positions.js';
import type { ThreadLock } from './thread-lock.js';

/** The longest the thread goes from batch to batch without a turn of the event loop, ms (see {@link turnOfTheEventLoop}). */
const TURN_MS = 10;

/** How often wall-clock punctuators and the commit interval are checked between batches. */
const TICK_MS = 100;

export interface BatchLoopOptions {
  readonly tasks: ReadonlyMap<TaskKey, ManagedTask>;
  readonly subtopologyByTopic: ReadonlyMap<string, SubtopologySpec>;
  readonly positions: PartitionPositions;
  readonly sensors: ThreadSensors;
  readonly lock: ThreadLock;
  readonly watchdog: LivenessWatchdog;
  readonly committer: ThreadCommitter;
  readonly linger: OutputLinger;
  readonly partitionEnds: PartitionEndProbe;
  /** Whether the thread still processes: neither failed nor closing. */
  readonly active: () => boolean;
  /** Whether the thread stopped on an error. */
  readonly failed: () => boolean;
  readonly fail: (error: unknown) => void;
}

/**
 * Resolves after a turn of the event loop. The thread takes one after a batch when the last was
 * {@link TURN_MS} or more before, before the client hands it the next. The clients hand on a
 * fetch's batches one after the other with only promise continuations between, so without it the
 * event loop did not turn for a whole fetch's processing (tens of milliseconds), and neither did
 * the tasks V8 posts to it to finish a major garbage collection: the heap grew on meanwhile. With
 * a turn at least every 10 ms the kafkajs flagship peaked about 27% lower in RSS (a turn after
 * every batch: 35%, for a few percent more CPU per event); benchmarks/PROFILE.md, "A turn of the
 * event loop between batches".
 */
function turnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class BatchLoop {
  private timer: NodeJS.Timeout | undefined;
  private tickQueued = false;
  /** When the last batch's work ended (performance.now()): the wait for the next is its poll time. */
  private lastBatchEnd = performance.now();
  /** When the event loop last turned after a batch (see {@link turnOfTheEventLoop}). */
  private lastTurn = performance.now();

  constructor(private readonly options: BatchLoopOptions) {}

  /** Starts the tick. */
  start(): void {
    this.options.watchdog.reset();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  /** One fetched batch: processed under the lock, its records sent when due, and a commit when the interval has passed. */
  async onBatch(batch: FetchedBatch, markConsumed: () => void): Promise<void> {
    const { active, lock } = this.options;
    if (!active()) return;
    await lock.exclusive(async () => {
      const { tasks, subtopologyByTopic, sensors, committer, linger } = this.options;
      if (!active() || this.options.watchdog.expelled()) return;
      const subtopology = subtopologyByTopic.get(batch.topic);
      const managed = subtopology === undefined ? undefined : tasks.get(taskKey(subtopology.id, batch.partition));
      // Batches not marked consumed are fetched again once the task runs (the client fetches from the last marked offset).
      if (managed === undefined || managed.state !== 'running') return;
      const lag = Math.max(0, batch.highWatermark - batch.lastOffset - 1);
      if (batch.records.length === 0) {
        // Only transaction markers or aborted records: nothing to process, so the client moves
        // past them. Left unmarked, a client that fetches from the last marked offset (with
        // manual positions) would fetch them again for ever when they fill a whole fetch, as
        // the aborted transactions of a killed instance can. The partition's lag tells a task
        // waiting for it (maxTaskIdleMs) whether it is at its end.
        managed.task.setFetchedLag(batch.topic, lag);
        markConsumed();
        return;
      }
      const arrived = performance.now();
      const waited = arrived - this.lastBatchEnd;
      sensors.poll.record(waited);
      sensors.pollRecords.record(batch.records.length);
      sensors.blockedNs += Math.round(waited * 1e6);
      this.processBatch(managed, batch.topic, batch.partition, batch.records, batch.lastOffset, lag);
      const processed = performance.now();
      sensors.process.record(processed - arrived);
      managed.task.metrics.processTime.record(processed - arrived);
      sensors.setLag(batch.topic, batch.partition, `${batch.topic}:${batch.partition}`, lag);
      this.lastBatchEnd = processed;
      if (this.options.failed()) return;
      markConsumed();
      if (!(await linger.afterProcessing(managed.collector))) return;
      if (committer.due(Date.now())) await committer.commitAll('interval');
      this.lastBatchEnd = performance.now();
    });
    if (performance.now() - this.lastTurn < TURN_MS) return;
    await turnOfTheEventLoop();
    this.lastTurn = performance.now();
  }

  /** Feeds a batch to its task, with the partition's lag after it (high watermark against the batch's end), and processes. */
  private processBatch(managed: ManagedTask, topic: string, partition: number, messages: readonly FetchedRecord[], lastOffset: number, lag: number): void {
    const { positions, sensors } = this.options;
    const position = positions.positionOf(topic, partition);
    const records: ConsumedRecord[] = [];
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]!;
      if (Number(message.offset) < position) continue;
      records.push(consumedRecord(topic, partition, message));
    }
    try {
      if (records.length > 0) managed.task.addRecords(topic, records);
      managed.task.setFetchedLag(topic, lag);
      managed.task.wallClockTime = Date.now();
      sensors.processedRecords += managed.task.process();
    } catch (error) {
      this.options.fail(error);
      return;
    }
    positions.advance(topic, partition, lastOffset);
  }

  private tick(): void {
    const { active, watchdog, lock } = this.options;
    // The liveness clock runs until the tick stops, after a close's last commit: that commit's sends ask it too.
    if (!watchdog.tick() || !active()) return;
    if (this.tickQueued) return;
    this.tickQueued = true;
    lock.background(async () => {
      this.tickQueued = false;
      if (!active()) return;
      const now = Date.now();
      const start = performance.now();
      let fired = 0;
      for (const managed of this.options.tasks.values()) {
        if (managed.state !== 'running') continue;
        try {
          fired += managed.task.punctuateWallClock(now);
        } catch (error) {
          this.options.fail(error);
          return;
        }
      }
      if (fired > 0) this.options.sensors.punctuate.record(performance.now() - start);
      await this.processWaitingTasks(now);
      if (this.options.failed()) return;
      if (this.options.committer.due(now)) await this.options.committer.commitAll('interval');
    });
  }

  /**
   * A task waiting for an empty input partition (maxTaskIdleMs) goes on when its wait is over or a
   * probe found the partition's end, not only when a batch comes: each tick processes it again.
   * Under the lock.
   */
  private async processWaitingTasks(now: number): Promise<void> {
    const { tasks, positions, sensors, linger } = this.options;
    this.options.partitionEnds.check(tasks, positions.positions, now);
    for (const managed of tasks.values()) {
      if (managed.state !== 'running' || managed.task.idlingSince === undefined) continue;
      try {
        managed.task.wallClockTime = now;
        sensors.processedRecords += managed.task.process();
      } catch (error) {
        this.options.fail(error);
        return;
      }
      if (!(await linger.afterProcessing(managed.collector))) return;
    }
  }
}
