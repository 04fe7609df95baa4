/** `KGroupedTable`: a table's rows grouped by a new key, aggregated with an adder and a subtractor. */
import type { Aggregator, Initializer, Reducer } from './functions.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './materialized.js';
import type { Named } from './named.js';

/**
 * A re-grouped table. When a row changes, its old value is subtracted from its old group and
 * its new value added to its new group, so aggregates stay exact as rows move.
 */
export interface KGroupedTable<K, V> {
  /** The number of rows per group. */
  count(materialized?: Materialized<K, number>, named?: Named): KTable<K, number>;
  /** Combines rows per group with `adder`, taking rows out with `subtractor`. */
  reduce(adder: Reducer<V>, subtractor: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V>;
  /** Folds rows per group into an aggregate, taking rows out with `subtractor`. */
  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named,
  ): KTable<K, VA>;
}
