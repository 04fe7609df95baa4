/**
 * What every table operator that materializes shares: the timestamped key-value store it writes
 * (named by `Materialized` or generated as Kafka Streams names it) and the forwarder that sends
 * its changes on, either at once or, behind a caching store, when the cache flushes.
 */
import { internalContext } from '../../processor/internal/task-context.js';
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import type { Headers } from '../../processor/headers.js';
import type { ProcessorContext } from '../../processor/processor.js';
import { StreamRecord } from '../../processor/stream-record.js';
import type { Serde } from '../../serde/serde.js';
import type { KeyValueStore } from '../../state/key-value-store.js';
import type { StoreBuilder } from '../../state/state-store.js';
import type { DslStoreSuppliers } from '../../state/dsl-store-suppliers.js';
import type { KeyValueBytesStoreSupplier } from '../../state/store-suppliers.js';
import { Serdes } from '../../serde/serdes.js';
import { Stores } from '../../state/stores.js';
import type { ValueAndTimestamp } from '../../state/value-and-timestamp.js';
import type { Materialized } from '../materialized.js';
import { change, type Change } from './change.js';
import { materializedStoreName } from './materialized-store-name.js';

/** The store of a table: values with the timestamp of the record that wrote them. */
export type TableStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>;

/** The store name `materialized` gives, or a generated `<prefix>STATE-STORE-0000000007`. */
export function tableStoreName(topology: InternalTopologyBuilder, materialized: Materialized<any, any> | undefined, prefix: string): string {
  return materializedStoreName(materialized) ?? `${prefix}STATE-STORE-${String(topology.newIndex()).padStart(10, '0')}`;
}

/** Options of {@link addTableStore}. */
export interface TableStoreOptions<K, V> {
  readonly storeName: string;
  readonly materialized: Materialized<K, V> | undefined;
  /** Serdes the operator knows; `materialized`'s win. */
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  /** Global tables are not logged: their topic is their changelog. */
  readonly logging?: boolean;
  /** Defaults to `Materialized.cachingEnabled` (itself true by default). */
  readonly caching?: boolean;
}

/** Builds the timestamped store of a table, honouring `Materialized` (supplier, caching, logging); `suppliers` make it otherwise. */
export function tableStoreBuilder<K, V>(options: TableStoreOptions<K, V>, suppliers: DslStoreSuppliers): StoreBuilder<TableStore<K, V>> {
  const { storeName, materialized } = options;
  const supplier = (materialized?.storeSupplier as KeyValueBytesStoreSupplier | undefined) ?? suppliers.keyValueStore(storeName);
  // Serdes left undefined fall back to the config's defaults when the store opens.
  let builder = Stores.timestampedKeyValueStoreBuilder<K, V>(supplier, materialized?.keySerde ?? options.keySerde, materialized?.valueSerde ?? options.valueSerde);
  // The DSL caches what it materializes unless told not to (Kafka's default); global stores never forward, so never cache.
  if (materialized?.cachingEnabled !== false && options.caching !== false) builder = builder.withCachingEnabled();
  if (options.logging === false || materialized?.loggingEnabled === false) builder = builder.withLoggingDisabled();
  else if (materialized?.topicConfig !== undefined) builder = builder.withLoggingEnabled(materialized.topicConfig);
  return builder;
}

/** Adds a table's store to the topology, connected to the processor that writes it. */
export function addTableStore<K, V>(topology: InternalTopologyBuilder, processorName: string, options: TableStoreOptions<K, V>): void {
  topology.addStateStore(tableStoreBuilder(options, topology.dslStoreSuppliers), [processorName]);
}

type FlushListener<K, V> = (key: K, newValue: V | null, oldValue: V | null, timestamp: number, headers: Headers | undefined) => void;

interface FlushListenable<K, V> {
  setFlushListener?(listener: FlushListener<K, V>, sendOldValues: boolean): boolean;
}

function unwrap<V>(stored: ValueAndTimestamp<V> | V | null | undefined): V | null {
  if (stored === null || stored === undefined) return null;
  return (stored as ValueAndTimestamp<V>).value;
}

/**
 * Sends a materializing processor's changes on (Kafka's `TimestampedTupleForwarder`): when its
 * store caches, the cache forwards each key's net change at flush and `maybeForward` does
 * nothing; otherwise `maybeForward` forwards at once. Without `sendOldValues` (no downstream
 * operator asked for them) every change goes out with a null old value, and the cache does not
 * read or deserialize old values at flush.
 */
export class TableForwarder<K, V> {
  private readonly forwardsAtFlush: boolean;

  constructor(
    store: TableStore<K, V>,
    private readonly context: ProcessorContext<K, Change<V>>,
    private readonly sendOldValues: boolean,
  ) {
    const listenable = store as unknown as FlushListenable<K, ValueAndTimestamp<V>>;
    if (typeof listenable.setFlushListener === 'function') {
      const forward = internalContext(context).forwarderFor<K, Change<V>>();
      this.forwardsAtFlush = listenable.setFlushListener((key, newValue, oldValue, timestamp, headers) => {
        forward(new StreamRecord(key, change(unwrap(newValue), unwrap(oldValue)), timestamp, headers));
      }, sendOldValues);
    } else {
      this.forwardsAtFlush = false;
    }
  }

  maybeForward(record: StreamRecord<K, Change<V>>): void {
    if (this.forwardsAtFlush) return;
    if (this.sendOldValues || record.value.oldValue === null) this.context.forward(record);
    else this.context.forward(record.withValue(change(record.value.newValue, null)));
  }
}

/** `null` for an absent stored value, else its value. */
export function valueOrNull<V>(stored: ValueAndTimestamp<V> | undefined | null): V | null {
  return stored === undefined || stored === null ? null : stored.value;
}

/** The source topics a node's records come from, found by walking up to its sources. */
export function sourceTopicsOf(topology: InternalTopologyBuilder, nodeName: string): string[] {
  const topics = new Set<string>();
  const seen = new Set<string>();
  const stack = [nodeName];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = topology.nodes.get(name);
    if (node === undefined) continue;
    if (node.kind === 'source') for (const topic of node.topics) topics.add(topic);
    else stack.push(...node.parents);
  }
  return [...topics];
}

/** A logged key-value store of raw bytes, ordered by key bytes and scanned by prefix as records arrive. */
export function bytesStoreBuilder(storeName: string, suppliers: DslStoreSuppliers): StoreBuilder<KeyValueStore<Buffer, Buffer>> {
  return Stores.keyValueStoreBuilder(suppliers.keyValueStore(storeName, { orderedScans: true }), Serdes.Bytes(), Serdes.Bytes());
}
