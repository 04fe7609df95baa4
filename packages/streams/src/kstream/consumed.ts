/** How a source reads its topic: serdes, event time, and the source node's name. */
import type { TimestampExtractor } from '../processor/timestamp-extractor.js';
import type { Serde } from '../serde/serde.js';

/** Options of `StreamsBuilder.stream` and `table`. A plain object literal works too. */
export interface Consumed<K, V> {
  /** Deserializes the topic's keys. Defaults to the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Deserializes the topic's values. Defaults to the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
  /** Assigns each record its event time. Defaults to the config's `defaultTimestampExtractor`. */
  readonly timestampExtractor?: TimestampExtractor<K, V>;
  /** The source node's name; for `table()`, the table node's, its source then being `<name>-source` (as in Kafka Streams). */
  readonly name?: string;
}

/** Builds {@link Consumed} options, as in Kafka Streams. */
export const Consumed = {
  /** Reads keys and values with these serdes. */
  with<K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Consumed<K, V> {
    return { keySerde, valueSerde };
  },
  /** Takes event time from `timestampExtractor`. */
  withTimestampExtractor<K = unknown, V = unknown>(timestampExtractor: TimestampExtractor<K, V>): Consumed<K, V> {
    return { timestampExtractor };
  },
  /** Names the source node. */
  as<K = unknown, V = unknown>(name: string): Consumed<K, V> {
    return { name };
  },
};
