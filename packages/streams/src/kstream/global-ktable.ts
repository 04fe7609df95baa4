/**
 * `GlobalKTable<K, V>`: a table that every instance holds in full, read from all partitions of
 * its topic, so a stream can join it on any key it computes, with no repartition.
 */

/** A fully replicated table, for lookups by a key computed from each stream record. */
export interface GlobalKTable<K, V> {
  /** The name of the store holding the table. */
  readonly queryableStoreName: string;
  /** @internal Phantom fields that keep the type parameters. */
  readonly __types?: { key: K; value: V };
}
