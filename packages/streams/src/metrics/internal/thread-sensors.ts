/**
 * What a driver records about one stream thread (Kafka's `ThreadMetrics`): per poll, process
 * pass, commit and punctuation pass, never per record. The driver owns one per thread and hands
 * it to {@link StreamsMetricsReader} with the thread's tasks.
 */
import { SampledStat } from './sampled-stat.js';

/** Consumer lag of one input partition, as of the last batch fetched from it. */
export interface PartitionLag {
  /** The input topic. */
  readonly topic: string;
  /** The partition of {@link topic}. */
  readonly partition: number;
  /** The partition's high watermark minus the next offset to process, at the last batch. */
  lag: number;
}

/** One stream thread's sensors: plain counters and windowed stats the driver updates per batch, commit and punctuation pass. */
export class ThreadSensors {
  /** Records processed by the thread's tasks; the drivers add each pass's count. */
  processedRecords = 0;
  /** Duration of each process pass (one batch, or one drain of the local runner), ms. */
  readonly process = new SampledStat();
  /** Time waited for each batch of records, ms (Kafka runtime only). */
  readonly poll = new SampledStat();
  /** Records in each batch polled (Kafka runtime only). */
  readonly pollRecords = new SampledStat();
  /** Duration of each commit, ms. */
  readonly commit = new SampledStat();
  /** Duration of each wall-clock punctuation pass that fired a punctuator, ms. */
  readonly punctuate = new SampledStat();
  /** Punctuator calls, stream-time and wall-clock, of tasks already closed (open tasks count their own). */
  closedTaskPunctuations = 0;
  /** Tasks the thread created since it started (Kafka's `task-created-total`). */
  tasksCreated = 0;
  /** Tasks the thread closed since it started (Kafka's `task-closed-total`). */
  tasksClosed = 0;
  /** Time spent waiting for batches of records, ns (Kafka runtime only). */
  blockedNs = 0;
  /** Lag per input partition (`topic:partition`), updated per batch. */
  readonly recordsLag = new Map<string, PartitionLag>();

  /** Sensors of a thread that started at `startTime`. */
  constructor(
    /** When the thread started, epoch ms. */
    readonly startTime: number,
  ) {}

  /** Sets the lag of one input partition: one map lookup per batch, an object only the first time. */
  setLag(topic: string, partition: number, key: string, lag: number): void {
    const entry = this.recordsLag.get(key);
    if (entry === undefined) this.recordsLag.set(key, { topic, partition, lag });
    else entry.lag = lag;
  }
}
