/**
 * Event time. A timestamp extractor picks the time a record happened, which drives stream time,
 * windows and grace. The default takes the timestamp the record was produced or appended with.
 * {@link boundedTimestampExtractor} guards any extractor against clocks set wrong.
 */
import { ConfigError, InvalidTimestampError } from '../errors/streams-error.js';

/** What an extractor sees of a consumed record. */
export interface ConsumedRecordView<K = unknown, V = unknown> {
  /** The topic the record was read from. */
  readonly topic: string;
  /** The partition within `topic`. */
  readonly partition: number;
  /** The record's offset within its partition. */
  readonly offset: number;
  /** The key, already deserialized by the source's key serde; `null` when the record has none. */
  readonly key: K;
  /** The value, already deserialized by the source's value serde; `null` for a tombstone. */
  readonly value: V;
  /** The timestamp Kafka stored with the record; -1 when it has none. */
  readonly timestamp: number;
  /** The driver's wall-clock time, epoch ms: the test driver's mock clock under test (the system clock for global tables). Read only when used. */
  readonly wallClockTimeMs: number;
}

/**
 * Returns the event time of a record in epoch milliseconds. A negative result, or throwing an
 * `InvalidTimestampError`, marks the record invalid: it goes to the deserialization handler
 * (which logs and skips it by default, or dead-letters it) and is counted as
 * `invalid-timestamp`, never processed with a bad time. Any other error thrown is fatal.
 *
 * @param record the deserialized record
 * @param partitionTime the largest timestamp seen so far on this partition, or -1
 */
export type TimestampExtractor<K = unknown, V = unknown> = (record: ConsumedRecordView<K, V>, partitionTime: number) => number;

/** The default: the record's own timestamp. */
export const recordTimestampExtractor: TimestampExtractor = (record) => record.timestamp;

/**
 * Uses wall-clock time as event time, as Kafka Streams' `WallclockTimestampExtractor` does:
 * for topics whose record timestamps are meaningless.
 */
export const wallClockTimestampExtractor: TimestampExtractor = () => Date.now();

/**
 * Builds an extractor that reads event time from the value, falling back to the record's
 * timestamp when the value has none (for example a tombstone).
 */
export function valueTimestampExtractor<V>(read: (value: V) => number | undefined): TimestampExtractor<unknown, V> {
  return (record) => {
    if (record.value === null || record.value === undefined) return record.timestamp;
    const time = read(record.value);
    return time === undefined ? record.timestamp : time;
  };
}

/** Options of {@link boundedTimestampExtractor}. */
export interface TimestampBounds {
  /**
   * How far ahead of the wall clock an event time may be, ms. A record stamped further ahead
   * would move stream time past every on-time record's window: keep it at most the windows'
   * grace period.
   */
  readonly maxFutureMs: number;
  /** How far behind the wall clock an event time may be, ms. Default: no limit (a backlog is old). */
  readonly maxPastMs?: number;
}

function checkBound(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw new ConfigError(`boundedTimestampExtractor option '${name}' must be a whole number of milliseconds >= 0, got ${String(value)}.`);
  }
}

/**
 * Wraps an extractor so that a record whose event time is more than `maxFutureMs` ahead of the
 * wall clock (or more than `maxPastMs` behind it) is rejected with an `InvalidTimestampError`
 * saying by how much, before it touches stream time: the deserialization handler gets it, so
 * `deadLetterTopic(...)` keeps it with the reason in its headers.
 *
 * ```ts
 * builder.stream('clicks', Consumed.withTimestampExtractor(boundedTimestampExtractor(valueTimestampExtractor(readTime), { maxFutureMs: 30_000 })));
 * ```
 */
export function boundedTimestampExtractor<K, V>(extractor: TimestampExtractor<K, V>, bounds: TimestampBounds): TimestampExtractor<K, V> {
  if (typeof bounds !== 'object' || bounds === null) throw new ConfigError(`boundedTimestampExtractor needs bounds such as { maxFutureMs: 30000 }, got ${String(bounds)}.`);
  checkBound('maxFutureMs', bounds.maxFutureMs);
  if (bounds.maxFutureMs === undefined) throw new ConfigError(`boundedTimestampExtractor option 'maxFutureMs' is required, such as { maxFutureMs: 30000 }.`);
  checkBound('maxPastMs', bounds.maxPastMs);
  const { maxFutureMs } = bounds;
  const maxPastMs = bounds.maxPastMs ?? Number.POSITIVE_INFINITY;
  return (record, partitionTime) => {
    const time = extractor(record, partitionTime);
    if (!(time >= 0)) return time; // already invalid: the engine reports it
    const now = record.wallClockTimeMs;
    if (time - now > maxFutureMs) {
      throw new InvalidTimestampError(
        `Record from ${record.topic}-${record.partition} at offset ${record.offset} has event time ${time}, ${time - now} ms ahead of the wall clock; at most ${maxFutureMs} ms is allowed (maxFutureMs). Fix the producer's clock, or raise maxFutureMs.`,
      );
    }
    if (now - time > maxPastMs) {
      throw new InvalidTimestampError(
        `Record from ${record.topic}-${record.partition} at offset ${record.offset} has event time ${time}, ${now - time} ms behind the wall clock; at most ${maxPastMs} ms is allowed (maxPastMs). Fix the producer's clock, or raise maxPastMs.`,
      );
    }
    return time;
  };
}
