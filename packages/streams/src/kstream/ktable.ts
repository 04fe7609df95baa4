/**
 * `KTable<K, V>`: a changelog stream read as a table, where each record is the latest value of
 * its key and a null value deletes the key. Tables come from `StreamsBuilder.table`, from
 * aggregations, and from `KStream.toTable`.
 */
import type { ValueJoiner, Predicate, ValueMapper, KeyValueMapper } from './functions.js';
import type { KGroupedTable } from './kgrouped-table.js';
import type { KStream } from './kstream.js';
import type { Grouped } from './grouped.js';
import type { Materialized } from './materialized.js';
import type { Named } from './named.js';
import type { Suppressed } from './suppressed.js';
import type { TableJoined } from './joined.js';
import type { KeyValue } from '../state/key-value-store.js';

/** A table: the latest value per key. */
export interface KTable<K, V> {
  /** The name of the store that materializes this table, when it has one you can query. */
  readonly queryableStoreName: string | undefined;

  /** Keeps the rows for which `predicate` is true; a row that stops matching is deleted downstream. */
  filter(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /** Keeps the rows for which `predicate` is false. */
  filterNot(predicate: Predicate<K, V>, named?: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /** Maps each row's value. */
  mapValues<VR>(mapper: ValueMapper<V, VR, K>, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  // Declared before toStream(named): a function has a `name` too, so it would match Named.
  /**
   * The table's updates as a stream keyed by `mapper(key, value)` (Kafka Streams'
   * `toStream(KeyValueMapper)`: `toStream(named)` then `selectKey(mapper)`). A delete reaches the
   * mapper with a null value. `named` names the toStream node; the key selector's name is generated.
   *
   * @example
   * ```ts
   * totals.toStream((productId, total) => `${productId}:${total > 100 ? 'big' : 'small'}`); // KStream<string, number>
   * ```
   */
  toStream<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>;

  /** The table's updates as a stream; a delete arrives as a record with a null value. */
  toStream(named?: Named): KStream<K, V>;

  /** Re-groups the table's rows by a new key, for aggregation with an adder and a subtractor. */
  groupBy<KR, VR>(selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR>;

  /**
   * Holds back updates: final window results, or the latest update per key after a time. The
   * held updates live in a changelogged store, `<suppress name>-store` (the `Suppressed` name, or
   * the generated node name), so they survive a restart; its values are written with the
   * table's value serde (`Materialized.with` upstream, or `defaultValueSerde`).
   */
  suppress(suppressed: Suppressed): KTable<K, V>;

  // The foreign-key forms come first: a function has a `name`, so it also passes for `Named`,
  // and the key form would otherwise claim `join(other, extractor, joiner)`.
  /**
   * Foreign-key join: each row of this table joins the row of `other` whose key
   * `foreignKeyExtractor` reads from this row's value (`null`: no foreign row). The result keeps this table's key.
   */
  join<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => KO | null,
    joiner: ValueJoiner<V, VO, VR>,
    tableJoined?: TableJoined,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  /** Inner join on the key: a row exists when both tables have the key. */
  join<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO, VR>, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  /** Foreign-key left join: every row of this table, with `null` when the foreign row is missing. */
  leftJoin<KO, VO, VR>(
    other: KTable<KO, VO>,
    foreignKeyExtractor: (value: V) => KO | null,
    joiner: ValueJoiner<V, VO | null, VR>,
    tableJoined?: TableJoined,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
  /** Left join on the key: every row of this table, with `null` when `other` lacks the key. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;

  /** Outer join on the key: every key of either table, with `null` for the missing side. */
  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: ValueJoiner<V | null, VO | null, VR>,
    named?: Named,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR>;
}
