/**
 * Window definitions. Time windows (tumbling and hopping) are aligned to the epoch and cover
 * `[start, end)`; sliding windows (KIP-450) and session windows include both ends; join windows
 * bound how far apart two joined records may be. Each has a grace period: a record whose window
 * ended more than `grace` before stream time is late, and is dropped and counted.
 */
import { ConfigError } from '../errors/streams-error.js';

function checkDuration(value: number, option: string, minimum = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ConfigError(`Window option '${option}' must be an integer number of milliseconds ${minimum > 0 ? `of at least ${minimum}` : '>= 0'}, got ${String(value)}.`);
  }
  return value;
}

/** Tumbling (advance = size) or hopping (advance < size) windows, aligned to the epoch. */
export class TimeWindows {
  private constructor(
    /** Window size, ms. */
    readonly sizeMs: number,
    /** Distance between window starts, ms. */
    readonly advanceMs: number,
    /** How long after a window ends it still accepts out-of-order records, ms. */
    readonly graceMs: number,
  ) {}

  /** Tumbling windows of `sizeMs` that accept no late records. */
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }

  /** Tumbling windows of `sizeMs` that accept records up to `graceMs` after they end. */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    checkDuration(sizeMs, 'sizeMs', 1);
    return new TimeWindows(sizeMs, sizeMs, checkDuration(graceMs, 'graceMs'));
  }

  /** Hopping windows: a new window starts every `advanceMs` (at most the size). */
  advanceBy(advanceMs: number): TimeWindows {
    checkDuration(advanceMs, 'advanceMs', 1);
    if (advanceMs > this.sizeMs) throw new ConfigError(`Window option 'advanceMs' (${advanceMs}) must not exceed the window size (${this.sizeMs}).`);
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  /**
   * The start of the earliest window containing `timestamp`. The windows containing it start
   * there and every `advanceMs` after, up to and including `timestamp` itself.
   */
  firstWindowStart(timestamp: number): number {
    const earliest = Math.max(0, timestamp - this.sizeMs + this.advanceMs);
    return Math.floor(earliest / this.advanceMs) * this.advanceMs;
  }

  /** Every window containing `timestamp`, oldest first. */
  windowsFor(timestamp: number): {
    /** Window start, epoch ms, inclusive: a multiple of `advanceMs`. */
    start: number;
    /** Window end, epoch ms, exclusive: `start + sizeMs`. */
    end: number;
  }[] {
    const windows: { start: number; end: number }[] = [];
    for (let start = this.firstWindowStart(timestamp); start <= timestamp; start += this.advanceMs) windows.push({ start, end: start + this.sizeMs });
    return windows;
  }
}

/** Sliding windows (KIP-450): one window per distinct span of `timeDifferenceMs` that holds records. */
export class SlidingWindows {
  private constructor(
    /** Largest time difference between two records in one window, ms (the window size). */
    readonly timeDifferenceMs: number,
    /** How long after a window ends it still accepts out-of-order records, ms. */
    readonly graceMs: number,
  ) {}

  /** Sliding windows of `timeDifferenceMs` that accept no late records. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /** Sliding windows of `timeDifferenceMs` that accept records up to `graceMs` late. */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(checkDuration(timeDifferenceMs, 'timeDifferenceMs', 1), checkDuration(graceMs, 'graceMs'));
  }
}

/** Session windows: a key's records closer than `inactivityGapMs` to each other form one session. */
export class SessionWindows {
  private constructor(
    /** A gap longer than this, ms, between two of a key's records ends one session and starts another. */
    readonly inactivityGapMs: number,
    /** How long after a session ends it still accepts out-of-order records (and merges), ms. */
    readonly graceMs: number,
  ) {}

  /** Sessions split by gaps longer than `inactivityGapMs`; no late records. */
  static ofInactivityGapWithNoGrace(inactivityGapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(inactivityGapMs, 0);
  }

  /**
   * Sessions split by gaps longer than `inactivityGapMs`. As in Kafka Streams, a session closes
   * once stream time passes its end plus `inactivityGapMs` plus `graceMs`: later records that
   * would only reach it are dropped as late.
   */
  static ofInactivityGapAndGrace(inactivityGapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(checkDuration(inactivityGapMs, 'inactivityGapMs', 1), checkDuration(graceMs, 'graceMs'));
  }
}

/**
 * Join windows of a stream-stream join: a record joins the other stream's records whose
 * timestamps lie within `[t - beforeMs, t + afterMs]`.
 */
export class JoinWindows {
  private constructor(
    /** How far, ms, the other stream's record may be older than this one. */
    readonly beforeMs: number,
    /** How far, ms, the other stream's record may be newer than this one. */
    readonly afterMs: number,
    /** How long after a join window closes it still accepts out-of-order records, ms; outer joins emit unmatched records only after it. */
    readonly graceMs: number,
  ) {}

  /** Joins records at most `timeDifferenceMs` apart, either way; no late records. */
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }

  /** Joins records at most `timeDifferenceMs` apart, either way, accepting records up to `graceMs` late. */
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    checkDuration(timeDifferenceMs, 'timeDifferenceMs');
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, checkDuration(graceMs, 'graceMs'));
  }

  /** Changes how far before a record the other stream's records may be. */
  before(beforeMs: number): JoinWindows {
    return new JoinWindows(checkDuration(beforeMs, 'beforeMs'), this.afterMs, this.graceMs);
  }

  /** Changes how far after a record the other stream's records may be. */
  after(afterMs: number): JoinWindows {
    return new JoinWindows(this.beforeMs, checkDuration(afterMs, 'afterMs'), this.graceMs);
  }

  /** The window size, `beforeMs + afterMs`. */
  get sizeMs(): number {
    return this.beforeMs + this.afterMs;
  }
}
