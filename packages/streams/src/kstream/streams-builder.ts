/**
 * The entry point of the DSL: read topics as streams, add state stores, and `build()` the
 * topology a driver runs.
 */
import { ConfigError, TopologyError } from '../errors/streams-error.js';
import { InternalTopologyBuilder } from '../processor/internal/topology-builder.js';
import { Topology } from '../processor/topology.js';
import type { DslStoreSuppliers } from '../state/dsl-store-suppliers.js';
import type { StoreBuilder } from '../state/state-store.js';
import type { Consumed } from './consumed.js';
import { KStreamImpl } from './internal/kstream-impl.js';
import { KGroupedTableImpl } from './internal/kgrouped-table-impl.js';
import { KTableImpl } from './internal/ktable-impl.js';
import { registerTableConversions } from './internal/table-conversions.js';
import type { KStream } from './kstream.js';
import type { GlobalKTable } from './global-ktable.js';
import { globalTable } from './internal/global-ktable-impl.js';
import { sourceTable } from './internal/ops/table-source.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './materialized.js';

/** Options of {@link StreamsBuilder}. */
export interface StreamsBuilderOptions {
  /**
   * Where the stores the DSL creates live when `Materialized` names no supplier (Kafka Streams'
   * `dsl.store.suppliers.class`); defaults to `Stores.inMemoryDslStoreSuppliers()`.
   */
  readonly dslStoreSuppliers?: DslStoreSuppliers;
}

/** Builds a topology with the DSL. */
export class StreamsBuilder {
  private readonly topology: Topology;
  private readonly builder: InternalTopologyBuilder;

  /**
   * An empty builder; `options.dslStoreSuppliers` picks where the stores the DSL creates live.
   *
   * @throws ConfigError when `dslStoreSuppliers` lacks a `keyValueStore`, `windowStore` or `sessionStore` method.
   */
  constructor(options: StreamsBuilderOptions = {}) {
    const suppliers = options.dslStoreSuppliers;
    if (suppliers !== undefined && (suppliers === null || typeof suppliers !== 'object' || typeof suppliers.keyValueStore !== 'function' || typeof suppliers.windowStore !== 'function' || typeof suppliers.sessionStore !== 'function')) {
      throw new ConfigError(`Option 'dslStoreSuppliers' of StreamsBuilder must have keyValueStore, windowStore and sessionStore methods (for example Stores.inMemoryDslStoreSuppliers()), got ${String(suppliers)}.`);
    }
    this.builder = new InternalTopologyBuilder(suppliers);
    this.topology = new Topology(this.builder);
    registerTableConversions(this.builder, {
      stream: (topology, node) => KStreamImpl.of(topology, node),
      groupedTable: (table, selector, grouped) => new KGroupedTableImpl(table, selector, grouped),
    });
  }

  /**
   * Reads one or more topics as a stream. The key and value types come from the serdes in
   * `consumed`, or from the type arguments when the config's default serdes are used.
   */
  stream<K = unknown, V = unknown>(topics: string | readonly string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    if (list.length === 0) throw new TopologyError('stream() needs at least one topic.');
    const internal = this.builder;
    const name = internal.nameOr(consumed.name, 'KSTREAM-SOURCE-');
    internal.addSource({
      name,
      topics: list,
      keySerde: consumed.keySerde,
      valueSerde: consumed.valueSerde,
      timestampExtractor: consumed.timestampExtractor as never,
    });
    return new KStreamImpl<K, V>(internal, name, consumed.keySerde, consumed.valueSerde, false);
  }

  /**
   * Reads a topic as a table: each record is the latest value of its key, a null value deletes
   * it, and a record with a null key is dropped (and counted). The table is materialized in a
   * store named by `materialized`, or `<topic>-STATE-STORE-<n>`.
   */
  table<K = unknown, V = unknown>(topic: string, consumed: Consumed<K, V> = {}, materialized?: Materialized<K, V>): KTable<K, V> {
    return KTableImpl.of(this.builder, sourceTable(this.builder, topic, consumed, materialized));
  }

  /**
   * Reads a topic as a table every instance holds in full, from all its partitions, kept up to
   * date before records are processed; streams join it on any key they compute.
   */
  globalTable<K = unknown, V = unknown>(topic: string, consumed: Consumed<K, V> = {}, materialized?: Materialized<K, V>): GlobalKTable<K, V> {
    return globalTable(this.builder, topic, consumed, materialized);
  }

  /** Adds a state store that processors can then name in `process(supplier, storeName)`. */
  addStateStore(builder: StoreBuilder): this {
    this.builder.addStateStore(builder, []);
    return this;
  }

  /** The topology built so far. */
  build(): Topology {
    return this.topology;
  }
}
