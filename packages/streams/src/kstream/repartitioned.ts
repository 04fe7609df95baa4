/** How `KStream.repartition` writes its internal topic: name, serdes, partitions, partitioner. */
import type { StreamPartitioner } from '../processor/stream-partitioner.js';
import type { Serde } from '../serde/serde.js';

/** Options of `KStream.repartition`. A plain object literal works too. */
export interface Repartitioned<K, V> {
  /** Names the topic `<applicationId>-<name>-repartition`. Generated when absent. */
  readonly name?: string;
  /** Writes and reads the topic's keys. Defaults to the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Writes and reads the topic's values. Defaults to the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
  /** The topic's partition count; by default that of the upstream source topics. */
  readonly numberOfPartitions?: number;
  /** Picks each record's partition in the topic. Defaults to murmur2 of the serialized key. */
  readonly partitioner?: StreamPartitioner<K, V>;
}

/** Builds {@link Repartitioned} options, as in Kafka Streams. */
export const Repartitioned = {
  /** Names the repartition topic. */
  as<K = unknown, V = unknown>(name: string): Repartitioned<K, V> {
    return { name };
  },
  /** Writes the topic with these serdes. */
  with<K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Repartitioned<K, V> {
    return { keySerde, valueSerde };
  },
  /** Gives the topic this many partitions. */
  numberOfPartitions<K = unknown, V = unknown>(numberOfPartitions: number): Repartitioned<K, V> {
    return { numberOfPartitions };
  },
};
