/**
 * Windows as results carry them: a `Window` is a time interval, a `Windowed<K>` is a key within
 * one. Time windows are `[start, end)`; session and sliding windows include both ends, as in
 * Kafka Streams.
 */

/** A time interval of a windowed result. */
export interface Window {
  /** Start, epoch ms, inclusive. */
  readonly start: number;
  /** End, epoch ms: exclusive for time windows, inclusive for session and sliding windows. */
  readonly end: number;
}

/** A key scoped to a window: the key of a windowed aggregation's results. */
export interface Windowed<K> {
  /** The grouping key, as the aggregation's input had it. */
  readonly key: K;
  /** The window this result covers; one key has one result per window. */
  readonly window: Window;
}

/** Makes a {@link Windowed} key. */
export function windowed<K>(key: K, start: number, end: number): Windowed<K> {
  return { key, window: { start, end } };
}

/** Formats a windowed key for logs and displays: `key@[start,end)`. */
export function formatWindowed(windowedKey: Windowed<unknown>): string {
  return `${String(windowedKey.key)}@[${windowedKey.window.start},${windowedKey.window.end})`;
}
