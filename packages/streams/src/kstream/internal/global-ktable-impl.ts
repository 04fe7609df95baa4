/**
 * `StreamsBuilder.globalTable`: a global store filled from every partition of the topic by the
 * runner (see `GlobalStateUpdater`), and the value getter stream-global joins look rows up with.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { internalContext } from '../../processor/internal/task-context.js';
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import { Stores } from '../../state/stores.js';
import type { Consumed } from '../consumed.js';
import type { GlobalKTable } from '../global-ktable.js';
import type { Materialized } from '../materialized.js';
import type { KTableValueGetterSupplier } from './ktable-value-getter.js';
import { tableStoreBuilder, tableStoreName, type TableStore } from './table-store.js';

export class GlobalKTableImpl<K, V> implements GlobalKTable<K, V> {
  constructor(
    readonly queryableStoreName: string,
    /** Reads the global store; needs no store connection (global stores are open to every task). */
    readonly valueGetterSupplier: KTableValueGetterSupplier<K, V>,
  ) {}
}

/** Reads a global store from any task. */
function globalStoreValueGetter<K, V>(storeName: string): KTableValueGetterSupplier<K, V> {
  return {
    storeNames: [],
    get: () => {
      let store: TableStore<K, V> | undefined;
      return {
        init: (context) => {
          store = internalContext(context).stores.get(storeName) as TableStore<K, V> | undefined;
          if (store === undefined) throw new StateStoreError(`Global store '${storeName}' is not open; run the topology with a driver that runs global tables.`);
        },
        get: (key) => store!.get(key),
      };
    },
  };
}

export function globalTable<K, V>(
  topology: InternalTopologyBuilder,
  topic: string,
  consumed: Consumed<K, V>,
  materialized: Materialized<K, V> | undefined,
): GlobalKTableImpl<K, V> {
  const storeName = tableStoreName(topology, materialized, `${topic}-`);
  // Kafka names a source and a processor for the global table; keep the numbering in step.
  topology.newIndex();
  topology.newIndex();
  const keySerde = materialized?.keySerde ?? consumed.keySerde;
  const valueSerde = materialized?.valueSerde ?? consumed.valueSerde;
  // Kept in memory whatever the builder's suppliers: the global state updater opens stores synchronously, with no prepare step.
  topology.addGlobalStore({
    topic,
    builder: tableStoreBuilder<K, V>({ storeName, materialized, keySerde, valueSerde, logging: false, caching: false }, Stores.inMemoryDslStoreSuppliers()),
    keySerde,
    valueSerde,
    timestampExtractor: consumed.timestampExtractor as never,
  });
  return new GlobalKTableImpl<K, V>(storeName, globalStoreValueGetter<K, V>(storeName));
}
