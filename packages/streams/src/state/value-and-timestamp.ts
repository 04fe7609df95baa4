/**
 * A value with the timestamp of the record that last wrote it. Tables keep both, so a join or
 * an aggregation can give its result the right event time.
 */

/** A stored value and its timestamp. */
export interface ValueAndTimestamp<V> {
  readonly value: V;
  readonly timestamp: number;
}

/** Makes a {@link ValueAndTimestamp}. */
export function valueAndTimestamp<V>(value: V, timestamp: number): ValueAndTimestamp<V> {
  return { value, timestamp };
}
