/** Options of joins: serdes for the repartition topics and stores a join needs, and names. */
import type { Serde } from '../serde/serde.js';

/** Options of a stream-table join. */
export interface Joined<K, V, VO> {
  readonly name?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly otherValueSerde?: Serde<VO>;
  /**
   * How long a stream record may wait for the table to catch up (versioned tables in Kafka
   * Streams); 0, the default, joins with the table as it is now.
   */
  readonly gracePeriodMs?: number;
}

/** Builds {@link Joined} options. */
export const Joined = {
  with<K, V, VO>(keySerde: Serde<K>, valueSerde: Serde<V>, otherValueSerde: Serde<VO>): Joined<K, V, VO> {
    return { keySerde, valueSerde, otherValueSerde };
  },
  as<K = unknown, V = unknown, VO = unknown>(name: string): Joined<K, V, VO> {
    return { name };
  },
};

/** Options of a stream-stream join: serdes of both sides' window stores and names. */
export interface StreamJoined<K, V1, V2> {
  /** Names the join's processors and repartition topics. */
  readonly name?: string;
  /** Names the two window stores `<storeName>-this-join-store` and `<storeName>-other-join-store`. */
  readonly storeName?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V1>;
  readonly otherValueSerde?: Serde<V2>;
  /** Logs the join stores' changes. Defaults to true. */
  readonly loggingEnabled?: boolean;
}

/** Builds {@link StreamJoined} options. */
export const StreamJoined = {
  with<K, V1, V2>(keySerde: Serde<K>, valueSerde: Serde<V1>, otherValueSerde: Serde<V2>): StreamJoined<K, V1, V2> {
    return { keySerde, valueSerde, otherValueSerde };
  },
  as<K = unknown, V1 = unknown, V2 = unknown>(storeName: string): StreamJoined<K, V1, V2> {
    return { storeName };
  },
};

/** Options of a foreign-key table-table join. */
export interface TableJoined {
  /** Names the join's processors, stores and internal topics. */
  readonly name?: string;
}
