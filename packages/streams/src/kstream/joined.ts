/** Options of joins: serdes for the repartition topics and stores a join needs, and names. */
import type { Serde } from '../serde/serde.js';

/** Options of a stream-table join. */
export interface Joined<K, V, VO> {
  /** Names the join node, and the repartition topic `<applicationId>-<name>-repartition` if the stream needs one (as Kafka Streams names it). */
  readonly name?: string;
  /** Serializes keys on the repartition topic. Defaults to the stream's key serde, then the table's. */
  readonly keySerde?: Serde<K>;
  /** Serializes the stream's values on the repartition topic. Defaults to the stream's value serde. */
  readonly valueSerde?: Serde<V>;
  /** The table's value serde. Unused (the table brings its own); kept for Kafka Streams' `Joined.with`. */
  readonly otherValueSerde?: Serde<VO>;
  /**
   * How long a stream record may wait for the table to catch up (versioned tables in Kafka
   * Streams); 0, the default, joins with the table as it is now.
   */
  readonly gracePeriodMs?: number;
}

/** Builds {@link Joined} options. */
export const Joined = {
  /** Joins with these serdes: the key, the stream's value and the table's value. */
  with<K, V, VO>(keySerde: Serde<K>, valueSerde: Serde<V>, otherValueSerde: Serde<VO>): Joined<K, V, VO> {
    return { keySerde, valueSerde, otherValueSerde };
  },
  /** Names the join (and so its repartition topic). */
  as<K = unknown, V = unknown, VO = unknown>(name: string): Joined<K, V, VO> {
    return { name };
  },
};

/** Options of a stream-stream join: serdes of both sides' window stores and names. */
export interface StreamJoined<K, V1, V2> {
  /**
   * Names the join's processors (`<name>-this-windowed`, `<name>-this-join`, `<name>-merge`, ...)
   * and repartition topics (`<name>-left-repartition`); its stores keep generated names unless
   * `storeName` is given, as in Kafka Streams.
   */
  readonly name?: string;
  /**
   * Names the window stores `<storeName>-this-join-store` and `<storeName>-other-join-store`, as
   * Kafka Streams does: `-outer-this-join-store` for an outer join's left side,
   * `-outer-other-join-store` for a left or outer join's right side, and the store of unmatched
   * records `<storeName>-left-shared-join-store` (left join) or `-outer-shared-join-store` (outer).
   * Unnamed, they are `KSTREAM-JOINTHIS-0000000004-store` and so on.
   */
  readonly storeName?: string;
  /** Serializes keys in both join stores. Defaults to this stream's key serde, then the other's. */
  readonly keySerde?: Serde<K>;
  /** Serializes this stream's values in its join store. Defaults to this stream's value serde. */
  readonly valueSerde?: Serde<V1>;
  /** Serializes the other stream's values in its join store. Defaults to the other stream's value serde. */
  readonly otherValueSerde?: Serde<V2>;
  /** Logs the join stores' changes. Defaults to true. */
  readonly loggingEnabled?: boolean;
}

/** Builds {@link StreamJoined} options. */
export const StreamJoined = {
  /** Joins with these serdes: the key, this stream's value and the other stream's value. */
  with<K, V1, V2>(keySerde: Serde<K>, valueSerde: Serde<V1>, otherValueSerde: Serde<V2>): StreamJoined<K, V1, V2> {
    return { keySerde, valueSerde, otherValueSerde };
  },
  /** Names the join stores after `storeName` (see {@link StreamJoined.storeName}). */
  as<K = unknown, V1 = unknown, V2 = unknown>(storeName: string): StreamJoined<K, V1, V2> {
    return { storeName };
  },
};

/** Options of a foreign-key table-table join. */
export interface TableJoined {
  /** Names the join's processors, stores and internal topics. */
  readonly name?: string;
}
