/**
 * The app's state stores on LevelDB, as every way of running it opens them (the embedded run, the
 * Kafka run, the smoke tests' app, the benchmarks): `LevelStores`' defaults for every store,
 * except the de-duplication store, which keeps no in-memory index.
 *
 * A LevelDB store's index (`indexMaxEntries`, 100,000 entries per store and task by default)
 * serves iteration across keys (`all`, `fetchAll`, `range`). The de-duplication store is only
 * ever read by key (`fetch(eventId, from, to)`), and it holds an entry per event id in the
 * horizon: at 2,000 events a second that is 1.2 million ids in 10 minutes, far past any index. With
 * the default, each task's index grew to 100,000 entries, about 20 MB of heap that lived until
 * it was dropped, and V8 let the heap grow to several times that; without one, a read of a new id
 * costs a few bit tests of the store's per-segment Bloom filters (docs/state-stores.md, "Memory").
 * The window stores the dashboard iterates (`product-windows`, `category-windows`,
 * `trend-windows`) keep theirs.
 *
 * @packageDocumentation
 * @module @tributary/example-product-analytics/stores
 */
import { LevelStores, type LevelStoreOptions } from '@tributary/level';
import type { DslStoreSuppliers } from '@tributary/streams';
import { storeNames } from './topology.js';

/** Store suppliers for `buildTopology` (and its `StreamsBuilder`): LevelDB for every store, with `options` for each. */
export function levelStoreSuppliers(options?: LevelStoreOptions): DslStoreSuppliers {
  const suppliers = LevelStores.dslStoreSuppliers(options);
  return {
    ...suppliers,
    windowStore: (name, retentionMs, windowSizeMs, retainDuplicates) =>
      name === storeNames.dedupeIds
        ? LevelStores.persistentWindowStore(name, retentionMs, windowSizeMs, retainDuplicates, { ...options, indexMaxEntries: 0 })
        : suppliers.windowStore(name, retentionMs, windowSizeMs, retainDuplicates),
  };
}
