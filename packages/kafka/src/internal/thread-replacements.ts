/**
 * When `KafkaStreams` may replace a failed stream thread, and after how long. A thread that
 * stops on a {@link TaskCorruptedError} (a transaction whose outcome is unknown, a fenced
 * producer, brokers unreachable) is replaced after a back-off, 0.5 s doubling up to 10 s, so that
 * brokers down for a while get time to come back; more than {@link MAX_THREAD_REPLACEMENTS} of
 * those within {@link THREAD_REPLACEMENT_WINDOW_MS} make the failure fatal. A thread whose tasks
 * migrated ({@link TaskMigratedError}: it lost its group membership) is replaced after 0.5 s and
 * not counted, as Kafka Streams rejoins after a TaskMigratedException however often it comes: a
 * broker failover or a paused process causes it, not a fault that repeats for ever.
 */
import { TaskMigratedError } from '../errors.js';

/** At most this many counted replacements within {@link THREAD_REPLACEMENT_WINDOW_MS}; then a corrupted task is fatal. */
export const MAX_THREAD_REPLACEMENTS = 10;
export const THREAD_REPLACEMENT_WINDOW_MS = 5 * 60_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

export class ThreadReplacements {
  /** When recent counted replacements happened. */
  private readonly recent: number[] = [];

  /**
   * The delay before replacing a thread that stopped on `error` at `now`, or `undefined` when
   * the replacements ran out and the error is fatal. Counts the replacement.
   */
  admit(error: unknown, now: number): number | undefined {
    if (error instanceof TaskMigratedError) return FIRST_DELAY_MS;
    while (this.recent.length > 0 && now - this.recent[0]! > THREAD_REPLACEMENT_WINDOW_MS) this.recent.shift();
    if (this.recent.length >= MAX_THREAD_REPLACEMENTS) return undefined;
    this.recent.push(now);
    return Math.min(FIRST_DELAY_MS * 2 ** (this.recent.length - 1), MAX_DELAY_MS);
  }
}
