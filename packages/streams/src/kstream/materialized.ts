/**
 * How a table or aggregation keeps its state: the store's name (for interactive queries and
 * the changelog topic), serdes, the backend (in memory, LevelDB, your own), caching and logging.
 */
import type { Serde } from '../serde/serde.js';

/**
 * Options of materialization. `Supplier` is the store supplier type of the operator
 * (key-value, window or session), from `Stores` or `@tributary/level`.
 */
export interface Materialized<K, V, Supplier = unknown> {
  /**
   * The store's name. Defaults to the name of `storeSupplier` when there is one (as
   * `Materialized.as(supplier)` gives), else generated (and then the store is not queryable by a
   * name you know). A name other than the supplier's is a `TopologyError`.
   */
  readonly storeName?: string;
  /** Serializes the store's keys and its changelog's. Defaults to the upstream serde, then the config's `defaultKeySerde`. */
  readonly keySerde?: Serde<K>;
  /** Serializes the store's values and its changelog's. Defaults to the upstream serde, then the config's `defaultValueSerde`. */
  readonly valueSerde?: Serde<V>;
  /** The backend; the store takes its name. Defaults to the builder's `dslStoreSuppliers` (in memory unless set). */
  readonly storeSupplier?: Supplier;
  /** Dedupes updates in a cache until commit. Defaults to true. */
  readonly cachingEnabled?: boolean;
  /** Logs changes to `<applicationId>-<store>-changelog`. Defaults to true. */
  readonly loggingEnabled?: boolean;
  /** Extra configs for the changelog topic. */
  readonly topicConfig?: Readonly<Record<string, string>>;
  /** For window and session stores: how long to keep windows; at least window size plus grace. */
  readonly retentionMs?: number;
}

/** Builds {@link Materialized} options, as in Kafka Streams. */
export const Materialized = {
  /** Names the store, or uses `supplier` (whose name becomes the store's). */
  as<K = unknown, V = unknown, Supplier = unknown>(nameOrSupplier: string | (Supplier & { readonly name: string })): Materialized<K, V, Supplier> {
    return typeof nameOrSupplier === 'string' ? { storeName: nameOrSupplier } : { storeName: nameOrSupplier.name, storeSupplier: nameOrSupplier };
  },
  /** Uses these serdes for the store (and its changelog). */
  with<K, V, Supplier = unknown>(keySerde: Serde<K>, valueSerde: Serde<V>): Materialized<K, V, Supplier> {
    return { keySerde, valueSerde };
  },
};
