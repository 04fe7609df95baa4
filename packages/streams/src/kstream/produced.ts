/** How a sink writes its topic: serdes, partitioning, and the sink node's name. */
import type { StreamPartitioner } from '../processor/stream-partitioner.js';
import type { Serde } from '../serde/serde.js';

/** Options of `KStream.to`. A plain object literal works too. */
export interface Produced<K, V> {
  /** Serializes the keys written. Defaults to the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Serializes the values written. Defaults to the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
  /** Picks each record's partition. Defaults to murmur2 of the serialized key, as Kafka's producer does. */
  readonly partitioner?: StreamPartitioner<K, V>;
  /** The sink node's name. */
  readonly name?: string;
}

/** Builds {@link Produced} options, as in Kafka Streams. */
export const Produced = {
  /** Writes keys and values with these serdes. */
  with<K, V>(keySerde: Serde<K>, valueSerde: Serde<V>, partitioner?: StreamPartitioner<K, V>): Produced<K, V> {
    return partitioner === undefined ? { keySerde, valueSerde } : { keySerde, valueSerde, partitioner };
  },
  /** Picks partitions with `partitioner`. */
  streamPartitioner<K, V>(partitioner: StreamPartitioner<K, V>): Produced<K, V> {
    return { partitioner };
  },
  /** Names the sink node. */
  as<K = unknown, V = unknown>(name: string): Produced<K, V> {
    return { name };
  },
};
