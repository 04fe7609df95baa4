/**
 * A value with the timestamp of the record that last wrote it. Tables keep both, so a join or
 * an aggregation can give its result the right event time.
 */

/** A stored value and its timestamp. */
export interface ValueAndTimestamp<V> {
  /** The stored value: a table's row, or an aggregation's current result. */
  readonly value: V;
  /** Event time of the record that last wrote the value, epoch ms. */
  readonly timestamp: number;
}

/** Makes a {@link ValueAndTimestamp}. */
export function valueAndTimestamp<V>(value: V, timestamp: number): ValueAndTimestamp<V> {
  return { value, timestamp };
}
