/**
 * Suppression of a table's updates: hold them back and emit either the final result of each
 * window once it closes, or the latest update of each key once it has been quiet for a time.
 */
import { ConfigError } from '../errors/streams-error.js';

/** What to do when the suppression buffer is full. */
export type BufferFullStrategy = 'emit-early' | 'shut-down';

/** Bounds of a suppression buffer. */
export interface BufferConfig {
  /** Most records held; `Infinity` for no bound, 0 to emit (or fail on) every record at once. */
  readonly maxRecords: number;
  /**
   * Most bytes held; `Infinity` for no bound. Each held key counts as in Kafka Streams: 8 bytes of
   * buffer time, its serialized key, prior value (what downstream last saw), latest old value
   * (when its bytes differ from the prior value's) and latest value, and 20 bytes plus the source
   * topic's length and each header's key length and value bytes for its record context. The
   * buffer is full when it holds more than `maxBytes`.
   */
  readonly maxBytes: number;
  /**
   * `emit-early` sends the oldest records when full (not allowed for untilWindowCloses, whose
   * promise is one final result); `shut-down` fails the task with a clear error.
   */
  readonly whenFull: BufferFullStrategy;
}

/** A bound is a count, 0 included: as in Kafka, a buffer bounded at 0 is full with any record, so it emits each at once (or fails). */
function checkBound(value: number, option: string): number {
  if (value !== Number.POSITIVE_INFINITY && (!Number.isInteger(value) || value < 0)) {
    throw new ConfigError(`Suppression buffer option '${option}' must be an integer >= 0 or Infinity, got ${value}.`);
  }
  return value;
}

/** Builds buffer bounds, as in Kafka Streams' `BufferConfig`. */
export const BufferConfig = {
  /** No bound: hold everything (memory grows with the number of open windows and keys). */
  unbounded(): BufferConfig {
    return { maxRecords: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY, whenFull: 'shut-down' };
  },
  /** At most `maxRecords`; emits early when full unless told to shut down. */
  maxRecords(maxRecords: number, whenFull: BufferFullStrategy = 'emit-early'): BufferConfig {
    return { maxRecords: checkBound(maxRecords, 'maxRecords'), maxBytes: Number.POSITIVE_INFINITY, whenFull };
  },
  /** At most `maxBytes`; emits early when full unless told to shut down. */
  maxBytes(maxBytes: number, whenFull: BufferFullStrategy = 'emit-early'): BufferConfig {
    return { maxRecords: Number.POSITIVE_INFINITY, maxBytes: checkBound(maxBytes, 'maxBytes'), whenFull };
  },
};

/** A suppression: when a held update is released. */
export type Suppressed =
  | {
      /** Releases each window's final result once stream time passes its end plus grace. */
      readonly kind: 'until-window-closes';
      /** Bounds the held updates; never `emit-early`, which would break the one-final-result promise. */
      readonly buffer: BufferConfig;
      /** Names the suppress node. Generated (`KTABLE-SUPPRESS-…`) when absent. */
      readonly name?: string;
    }
  | {
      /** Releases a key's latest update once `timeLimitMs` of stream time has passed since its first held one. */
      readonly kind: 'until-time-limit';
      /** How long, in ms of stream time, an update is held; 0 releases at once. */
      readonly timeLimitMs: number;
      /** Bounds the held updates, and says what happens when they exceed it. */
      readonly buffer: BufferConfig;
      /** Names the suppress node. Generated (`KTABLE-SUPPRESS-…`) when absent. */
      readonly name?: string;
    };

/** Builds {@link Suppressed} options, as in Kafka Streams. */
export const Suppressed = {
  /**
   * Emits each window's final result exactly once, when stream time passes its end plus grace.
   * Only for windowed tables. The buffer must not emit early: give `unbounded()` or a bound
   * with `shut-down`.
   */
  untilWindowCloses(buffer: BufferConfig = BufferConfig.unbounded(), name?: string): Suppressed {
    if (buffer.whenFull === 'emit-early') {
      throw new ConfigError("untilWindowCloses cannot emit early (it promises one final result per window): use BufferConfig.unbounded() or a bound with whenFull 'shut-down'.");
    }
    return name === undefined ? { kind: 'until-window-closes', buffer } : { kind: 'until-window-closes', buffer, name };
  },
  /** Emits a key's latest update once `timeLimitMs` of stream time passed since its first held update. */
  untilTimeLimit(timeLimitMs: number, buffer: BufferConfig = BufferConfig.unbounded(), name?: string): Suppressed {
    if (!Number.isInteger(timeLimitMs) || timeLimitMs < 0) throw new ConfigError(`Suppression option 'timeLimitMs' must be an integer >= 0, got ${timeLimitMs}.`);
    return name === undefined ? { kind: 'until-time-limit', timeLimitMs, buffer } : { kind: 'until-time-limit', timeLimitMs, buffer, name };
  },
};
