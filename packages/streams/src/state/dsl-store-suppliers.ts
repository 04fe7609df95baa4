/**
 * Where the DSL keeps the stores it creates itself (Kafka Streams' KIP-954 `DslStoreSuppliers`):
 * aggregations, tables and joins materialize through these suppliers whenever `Materialized`
 * names no `storeSupplier`. Pass one to `new StreamsBuilder({ dslStoreSuppliers })` to move a
 * whole topology's state, for example onto LevelDB with `LevelStores.dslStoreSuppliers()`,
 * without touching each operator.
 */
import type { KeyValueBytesStoreSupplier, SessionBytesStoreSupplier, WindowBytesStoreSupplier } from './store-suppliers.js';

/** Makes the bytes store suppliers for the stores the DSL creates; `Stores.inMemoryDslStoreSuppliers()` is the default. */
export interface DslStoreSuppliers {
  /** A key-value store supplier named `name` (tables, aggregations, join bookkeeping). */
  keyValueStore(name: string): KeyValueBytesStoreSupplier;
  /** A window store supplier (windowed aggregations; stream-stream joins, which retain duplicates). */
  windowStore(name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean): WindowBytesStoreSupplier;
  /** A session store supplier (session-windowed aggregations). */
  sessionStore(name: string, retentionMs: number): SessionBytesStoreSupplier;
}
