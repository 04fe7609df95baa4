/** How `groupBy` / `groupByKey` repartition: serdes for the repartition topic, and its name. */
import type { Serde } from '../serde/serde.js';

/** Options of grouping. A plain object literal works too. */
export interface Grouped<K, V> {
  /** Names the repartition topic `<applicationId>-<name>-repartition`. */
  readonly name?: string;
  /** Writes and reads keys on the repartition topic. Defaults to the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Writes and reads values on the repartition topic. Defaults to the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
}

/** Builds {@link Grouped} options, as in Kafka Streams. */
export const Grouped = {
  /** Groups with these serdes. */
  with<K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Grouped<K, V> {
    return { keySerde, valueSerde };
  },
  /** Names the grouping (and so its repartition topic). */
  as<K = unknown, V = unknown>(name: string): Grouped<K, V> {
    return { name };
  },
};
