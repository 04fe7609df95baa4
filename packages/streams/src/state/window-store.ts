/**
 * Window stores: values by key and window start, kept for a retention period. Fetches by key
 * and time range are what windowed aggregations and stream-stream joins are made of.
 */
import type { Windowed } from '../kstream/windowed.js';
import type { KeyValue } from './key-value-store.js';
import type { StateStore } from './state-store.js';
import type { ValueAndTimestamp } from './value-and-timestamp.js';

/** Reads of a window store. Iteration is by window start, then by key bytes. */
export interface ReadOnlyWindowStore<K, V> {
  /** The value for `key` in the window starting at `windowStart`, or `undefined`. */
  fetch(key: K, windowStart: number): V | undefined;
  /** `key`'s windows with `timeFrom <= start <= timeTo`, as `{ key: windowStart, value }`, oldest first. */
  fetchRange(key: K, timeFrom: number, timeTo: number): IterableIterator<KeyValue<number, V>>;
  /** Every key's windows with `timeFrom <= start <= timeTo`. */
  fetchAll(timeFrom: number, timeTo: number): IterableIterator<KeyValue<Windowed<K>, V>>;
  /** Every window still retained. */
  all(): IterableIterator<KeyValue<Windowed<K>, V>>;
}

/** A window store a processor reads and writes. */
export interface WindowStore<K, V> extends StateStore, ReadOnlyWindowStore<K, V> {
  /** Size of each window, ms: results are `[start, start + windowSize)`. */
  readonly windowSizeMs: number;
  /** How long windows are kept after their start, measured against the store's observed time. */
  readonly retentionMs: number;
  /**
   * Writes `value` for `key` in the window starting at `windowStart`; `null` deletes it. A
   * window older than the retention period is ignored (and counted), never written.
   */
  put(key: K, value: V | null, windowStart: number): void;
}

/** A window store of values with the timestamp of the record that last wrote them: what windowed aggregations keep. */
export type TimestampedWindowStore<K, V> = WindowStore<K, ValueAndTimestamp<V>>;
