/**
 * `StreamsBuilder.table` and `KStream.toTable` (Kafka's `KTableSource`): materializes each record
 * as the latest value of its key and forwards the change. A null value deletes the key; a record
 * with a null key is dropped and counted. Updates apply in offset order, whatever their
 * timestamps (Kafka's non-versioned tables).
 */
import { internalContext } from '../../../processor/internal/task-context.js';
import type { InternalTopologyBuilder } from '../../../processor/internal/topology-builder.js';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { TaskMetrics } from '../../../processor/internal/task-metrics.js';
import { valueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { Consumed } from '../../consumed.js';
import type { Materialized } from '../../materialized.js';
import type { Named } from '../../named.js';
import { change, type Change } from '../change.js';
import { KStreamImpl } from '../kstream-impl.js';
import { KTableImpl } from '../ktable-impl.js';
import { storeValueGetter } from '../ktable-value-getter.js';
import { addTableStore, TableForwarder, tableStoreName, valueOrNull, type TableStore } from '../table-store.js';

class TableSourceProcessor<K, V> implements Processor<K, V | null, K, Change<V>> {
  private store!: TableStore<K, V>;
  private forwarder!: TableForwarder<K, V>;
  private metrics!: TaskMetrics;

  constructor(private readonly storeName: string) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.store = context.getStateStore<TableStore<K, V>>(this.storeName);
    this.forwarder = new TableForwarder(this.store, context);
    this.metrics = internalContext(context).metrics;
  }

  process(record: StreamRecord<K, V | null>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      this.metrics.recordDropped('null-key');
      return;
    }
    const value = record.value ?? null;
    const oldValue = valueOrNull(this.store.get(key));
    this.store.put(key, value === null ? null : valueAndTimestamp(value, record.timestamp));
    this.forwarder.maybeForward(record.withValue(change(value, oldValue)));
  }
}

/** The materializing processor; also the result node of a foreign-key join. */
export function tableSourceProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => new TableSourceProcessor<K, V>(storeName);
}

/**
 * Adds a table-source processor under `parent` with its store, and returns the table.
 * `storePrefix` names a generated store (`<prefix>STATE-STORE-0000000007`).
 */
export function materializeAsTable<K, V>(
  parent: KStreamImpl<K, V>,
  processorName: string,
  storeName: string,
  materialized: Materialized<K, V> | undefined,
): KTableImpl<K, V> {
  const topology = parent.topology;
  topology.addProcessor(processorName, tableSourceProcessor<K, V>(storeName), [parent.nodeName]);
  addTableStore(topology, processorName, { storeName, materialized, keySerde: parent.keySerde, valueSerde: parent.valueSerde });
  return new KTableImpl<K, V>(
    topology,
    processorName,
    materialized?.keySerde ?? parent.keySerde,
    materialized?.valueSerde ?? parent.valueSerde,
    materialized?.storeName,
    storeValueGetter<K, V>(storeName),
  );
}

/** `KStream.toTable`: repartitions first when the key may have changed, as Kafka Streams does. */
export function streamToTable<K, V>(stream: KStreamImpl<K, V>, named: Named | undefined, materialized: Materialized<K, V> | undefined): KTableImpl<K, V> {
  const topology = stream.topology;
  const storeName = tableStoreName(topology, materialized, 'KSTREAM-TOTABLE-');
  const name = named?.name ?? topology.newName('KSTREAM-TOTABLE-');
  const keySerde = materialized?.keySerde ?? stream.keySerde;
  const valueSerde = materialized?.valueSerde ?? stream.valueSerde;
  const parent = stream.repartitionRequired ? stream.repartitionThrough(name, keySerde, valueSerde, undefined) : stream;
  return materializeAsTable(parent, name, storeName, materialized);
}

/**
 * `StreamsBuilder.table`: a source and a table-source processor, with the store named by
 * `materialized` or `<topic>-STATE-STORE-0000000000`, numbered as Kafka Streams numbers it.
 */
export function sourceTable<K, V>(
  topology: InternalTopologyBuilder,
  topic: string,
  consumed: Consumed<K, V>,
  materialized: Materialized<K, V> | undefined,
): KTableImpl<K, V> {
  const storeName = tableStoreName(topology, materialized, `${topic}-`);
  const sourceName = consumed.name ?? topology.newName('KSTREAM-SOURCE-');
  const tableName = topology.newName('KTABLE-SOURCE-');
  topology.addSource({ name: sourceName, topics: [topic], keySerde: consumed.keySerde, valueSerde: consumed.valueSerde, timestampExtractor: consumed.timestampExtractor as never });
  const source = new KStreamImpl<K, V>(topology, sourceName, consumed.keySerde, consumed.valueSerde, false);
  return materializeAsTable(source, tableName, storeName, materialized);
}
