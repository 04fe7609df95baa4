/**
 * Event time. A timestamp extractor picks the time a record happened, which drives stream time,
 * windows and grace. The default takes the timestamp the record was produced or appended with.
 */

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
  /** The timestamp Kafka stored with the record. */
  readonly timestamp: number;
}

/**
 * Returns the event time of a record in epoch milliseconds. A negative result marks the record
 * invalid: it is skipped, logged and counted, never processed with a bad time.
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
