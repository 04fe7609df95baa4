/**
 * Grouped streams: records grouped by key, ready to aggregate into a table, over all time or
 * per window. Aggregations drop records with null keys (counted), and windowed ones drop late
 * records (counted). Records with null values are dropped (counted) by non-windowed and
 * sliding-window aggregations; time- and session-window aggregations pass them to the
 * aggregator or reducer, as Kafka Streams does.
 */
import type { Aggregator, Initializer, Merger, Reducer } from './functions.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './materialized.js';
import type { Named } from './named.js';
import type { SessionWindows, SlidingWindows, TimeWindows } from './windows.js';
import type { Windowed } from './windowed.js';

/** A stream grouped by key. */
export interface KGroupedStream<K, V> {
  /** The number of records per key. */
  count(materialized?: Materialized<K, number>, named?: Named): KTable<K, number>;
  /** The same as `bigint`, when `materialized` gives `Serdes.Int64()` (Kafka's `Serdes.Long()`) as the value serde. */
  count(materialized: Materialized<K, bigint>, named?: Named): KTable<K, bigint>;
  /** Combines the values of each key with `reducer`. */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V>;
  /** Folds the values of each key into an aggregate. */
  aggregate<VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<K, VA>;
  /** Aggregates per time window (tumbling, hopping or sliding). */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  /** Aggregates per session. */
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  /** Starts a cogroup: several grouped streams folded into one aggregate per key. */
  cogroup<VA>(aggregator: Aggregator<K, V, VA>): CogroupedKStream<K, VA>;
}

/**
 * A grouped stream aggregated per time window. Results are keyed by `Windowed<K>`. Over tumbling
 * and hopping windows a record with a null value is aggregated (the aggregator or reducer gets
 * `null`; a null first value of a reduce leaves no window); over sliding windows it is dropped.
 */
export interface TimeWindowedKStream<K, V> {
  /** The number of records per key and window (a record with a null value counts, as in Kafka Streams). */
  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number>;
  /**
   * The number of records per key and window as `bigint`, when `materialized` gives `Serdes.Int64()`
   * as the value serde, as Kafka's `count(Materialized<K, Long, ...>)` with `Serdes.Long()`: the store,
   * its changelog and the table's value serde use it (any other value serde counts in `number`).
   *
   * @example
   * ```ts
   * grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(60_000)).count(Materialized.with(Serdes.String(), Serdes.Int64())); // KTable<Windowed<string>, bigint>
   * ```
   */
  count(materialized: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint>;
  /** Combines the values of each key and window with `reducer`; a window's first value starts it. */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V>;
  /** Folds the values of each key and window into an aggregate that starts from `initializer()`. */
  aggregate<VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<Windowed<K>, VA>;
}

/**
 * A grouped stream aggregated per session. Merged sessions combine their aggregates with a merger.
 * A record with a null value is aggregated (the aggregator or reducer gets `null`). A session
 * closes once stream time passes its end plus inactivity gap plus grace.
 */
export interface SessionWindowedKStream<K, V> {
  /** The number of records per key and session; merged sessions add their counts. A record with a null value counts. */
  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number>;
  /** The same as `bigint`, when `materialized` gives `Serdes.Int64()` (Kafka's `Serdes.Long()`) as the value serde. */
  count(materialized: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint>;
  /** Combines the values of each key's session with `reducer`, which also combines merged sessions. */
  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V>;
  /**
   * Folds the values of each key's session into an aggregate; when a record bridges two
   * sessions, `merger` combines their aggregates (as in Kafka Streams).
   */
  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named,
  ): KTable<Windowed<K>, VA>;
}

/** Several grouped streams folded into one aggregate per key (Kafka Streams' cogroup). */
export interface CogroupedKStream<K, VA> {
  /** Adds another grouped stream with its own aggregator. */
  cogroup<V2>(groupedStream: KGroupedStream<K, V2>, aggregator: Aggregator<K, V2, VA>): CogroupedKStream<K, VA>;
  /** The aggregate per key over all time. */
  aggregate(initializer: Initializer<VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<K, VA>;
  /** The aggregate per time window. */
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedCogroupedKStream<K, VA>;
}

/** A cogroup aggregated per time window. */
export interface TimeWindowedCogroupedKStream<K, VA> {
  /** Folds every cogrouped stream's values per key and window into one aggregate, starting from `initializer()`. */
  aggregate(initializer: Initializer<VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<Windowed<K>, VA>;
}
