/**
 * Where the DSL keeps the stores it creates itself (Kafka Streams' KIP-954 `DslStoreSuppliers`):
 * aggregations, tables and joins materialize through these suppliers whenever `Materialized`
 * names no `storeSupplier`. Pass one to `new StreamsBuilder({ dslStoreSuppliers })` to move a
 * whole topology's state, for example onto LevelDB with `LevelStores.dslStoreSuppliers()`,
 * without touching each operator.
 */
import type { KeyValueBytesStoreSupplier, SessionBytesStoreSupplier, WindowBytesStoreSupplier } from './store-suppliers.js';

/** What the DSL tells a supplier about a key-value store it creates (Kafka's `DslKeyValueParams`). */
export interface DslKeyValueParams {
  /**
   * Whether the operator iterates the store in key order (`range`/`all`) as it processes: a
   * foreign-key join's subscription store, suppress's buffer, an outer stream-stream join's
   * store of records waiting for a partner. A persistent store keeps an in-memory index of its
   * keys for that, so it must not drop it (`@tributary/level`'s `indexMaxEntries`). Default `false`.
   */
  readonly orderedScans?: boolean;
}

/** Makes the bytes store suppliers for the stores the DSL creates; `Stores.inMemoryDslStoreSuppliers()` is the default. */
export interface DslStoreSuppliers {
  /** A key-value store supplier named `name` (tables, aggregations, join bookkeeping). */
  keyValueStore(name: string, params?: DslKeyValueParams): KeyValueBytesStoreSupplier;
  /** A window store supplier (windowed aggregations; stream-stream joins, which retain duplicates). */
  windowStore(name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier;
  /** A session store supplier (session-windowed aggregations). */
  sessionStore(name: string, retentionMs: number): SessionBytesStoreSupplier;
}
