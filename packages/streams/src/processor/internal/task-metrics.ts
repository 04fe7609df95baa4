/** Counters of one task: what it processed, and every record it dropped, by reason. */

import type { DropReason } from '../drop-reason.js';

export type { DropReason };

/**
 * Plain counters, not a metrics registry: the hot path only increments fields, and drivers read
 * them (the test driver exposes them, the Kafka runtime exports them).
 */
export class TaskMetrics {
  /**
   * Input records run through the topology since the task was created. Records dropped before
   * that (undeserializable, invalid timestamp) are not counted here, only in {@link dropped}.
   */
  processed = 0;
  /** Punctuator calls fired, stream-time and wall-clock together. */
  punctuations = 0;
  /** Records dropped, by reason; a reason absent from the map has dropped none. */
  readonly dropped = new Map<DropReason, number>();
  /**
   * How far stream time was ahead of the wall clock at the last wall-clock check, ms; 0 when it
   * was not ahead. More than a little means a record stamped in the future moved stream time,
   * and records stamped now are late for any window with less grace than that.
   */
  streamTimeAheadOfWallClockMs = 0;

  /** Counts `count` records dropped for `reason`. */
  recordDropped(reason: DropReason, count = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }

  /** Records dropped for any reason. */
  droppedTotal(): number {
    let total = 0;
    for (const count of this.dropped.values()) total += count;
    return total;
  }
}
