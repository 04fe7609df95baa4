/**
 * The observed time of a window or session store and what it expires: the largest window start
 * (or session end) written through the store, cached writes included, so reads and puts agree on
 * what has expired before a flush brings the backend's own observed time up to date. The metered
 * layer advances it; its caching layer reads it at flush.
 */
export class ObservedTime {
  /** The largest time written so far, or `-Infinity`. */
  value = Number.NEGATIVE_INFINITY;

  constructor(
    /** How long data is kept, ms, measured back from {@link value}. */
    readonly retentionMs: number,
  ) {}

  /** Takes `time` into account. */
  advance(time: number): void {
    if (time > this.value) this.value = time;
  }

  /** Whether data at `time` has expired: `time <= observed - retention`. */
  expired(time: number): boolean {
    return time <= this.value - this.retentionMs;
  }

  /** The earliest time not expired. */
  get earliestLive(): number {
    return this.value - this.retentionMs + 1;
  }
}
