/**
 * Whether a task with several input partitions may process now, as Kafka Streams'
 * `PartitionGroup.readyToProcess` decides it (KIP-695, `max.task.idle.ms`). A task picks the
 * partition whose head record is oldest, which keeps event-time order only while every partition
 * has records buffered: with one empty, its next record may be older than every buffered one.
 * So a task waits while an empty partition has records on the broker that its driver has not
 * fetched (or while the driver does not know yet), and, once every empty partition is known to
 * be at its end, waits `maxTaskIdleMs` of wall-clock time more for new records before it
 * processes anyway ("enforced processing").
 */
import type { RecordQueue } from './record-queue.js';

/** A verdict of {@link TaskIdling.readiness}: every empty partition was waited for as long as allowed. */
export const ENFORCED = 2;
/** A verdict of {@link TaskIdling.readiness}: some empty partition is still waited for. */
export const WAIT = 0;
/** A verdict of {@link TaskIdling.readiness}: no partition is waited for. */
const READY = 1;

/** The fetched lag of a partition the driver has not reported yet. */
const UNKNOWN_LAG = -1;
/** The "lag" of a partition that does not exist: one of the task's topics has fewer partitions than the sub-topology has tasks. */
const MISSING = -2;
/** No idle deadline runs for the partition. Deadlines are wall-clock times, never negative. */
const NO_DEADLINE = -1;

/** One task's idling state: the fetched lag and idle deadline of each input partition, by the index of its queue. */
export class TaskIdling {
  /** Per queue: how many records the broker has past the driver's fetch position; -1 while unknown. */
  private readonly lags: number[];
  /** Per queue: when the wait for new records on it ends (wall clock), or -1 when no wait runs. */
  private readonly deadlines: number[];
  /** When the task last found itself not ready, having been ready before (Kafka's `timeCurrentIdlingStarted`); `undefined` while it is not waiting. */
  since: number | undefined;

  /** The idling state of a task whose queues, in the task's order, read `topics`. */
  constructor(
    private readonly maxTaskIdleMs: number,
    private readonly topics: readonly string[],
  ) {
    this.lags = topics.map(() => UNKNOWN_LAG);
    this.deadlines = topics.map(() => NO_DEADLINE);
  }

  /** Records the driver's latest knowledge of a partition's lag (0: fetched to its end). */
  setLag(queueIndex: number, lag: number): void {
    if (this.lags[queueIndex] !== MISSING) this.lags[queueIndex] = lag;
  }

  /** The partition does not exist: it is never waited for, as Kafka's task does not have it. */
  setMissing(queueIndex: number): void {
    this.lags[queueIndex] = MISSING;
  }

  /** Records arrived on a partition: a later wait for it starts afresh. */
  dataArrived(queueIndex: number): void {
    this.deadlines[queueIndex] = NO_DEADLINE;
  }

  /**
   * {@link READY}, {@link WAIT} or {@link ENFORCED}, at wall-clock time `now`, for queues of which
   * at least one holds a record. Called per record only while some queue is empty.
   */
  readiness(queues: readonly RecordQueue[], now: number): number {
    let enforced = false;
    for (let index = 0; index < queues.length; index++) {
      if (queues[index]!.head !== undefined) {
        this.deadlines[index] = NO_DEADLINE;
        continue;
      }
      const lag = this.lags[index]!;
      if (lag === MISSING) continue;
      if (lag !== 0) {
        // Records the broker holds (or may hold) come first: they could be older than any buffered.
        this.deadlines[index] = NO_DEADLINE;
        return WAIT;
      }
      let deadline = this.deadlines[index]!;
      if (deadline === NO_DEADLINE) this.deadlines[index] = deadline = now + this.maxTaskIdleMs;
      if (now < deadline) return WAIT;
      enforced = true;
    }
    return enforced ? ENFORCED : READY;
  }

  /** The topics of empty queues not known to be at their end: those a driver should find the end of. */
  emptyTopicsNotAtEnd(queues: readonly RecordQueue[]): string[] {
    const topics: string[] = [];
    for (let index = 0; index < queues.length; index++) {
      const lag = this.lags[index]!;
      if (queues[index]!.head === undefined && lag !== 0 && lag !== MISSING) topics.push(this.topics[index]!);
    }
    return topics;
  }
}
