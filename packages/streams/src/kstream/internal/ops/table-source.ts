/**
 * `StreamsBuilder.table`, and the table node of `KStream.toTable` and of a foreign-key join's
 * result (Kafka's `KTableSource`): each record is the latest value of its key, a null value
 * deletes it, and a record with a null key is dropped and counted. With a store, updates apply in offset order
 * whatever their timestamps (Kafka's non-versioned tables) and each change carries the value it
 * replaces when old values were asked for; without one, every update goes on as it came.
 */
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { InternalTopologyBuilder } from '../../../processor/internal/topology-builder.js';
import type { Processor, ProcessorContext } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import { valueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { Consumed } from '../../consumed.js';
import type { Materialized } from '../../materialized.js';
import { change, type Change } from '../change.js';
import type { KTableNode } from '../ktable-impl.js';
import { storeValueGetter } from '../ktable-value-getter.js';
import { OldValues } from '../old-values.js';
import type { Serde } from '../../../serde/serde.js';
import { addTableStore, TableForwarder, tableStoreName, valueOrNull, type TableStore } from '../table-store.js';
import { materializedStoreName } from '../materialized-store-name.js';

/** What a table source's processors read when they are created (after the graph is built). */
interface TableSourceState {
  readonly storeName: string;
  /** Whether the table has a store: named by `Materialized`, or needed downstream. */
  materialized: boolean;
  readonly oldValues: OldValues;
}

class TableSourceProcessor<K, V> implements Processor<K, V | null, K, Change<V>> {
  private context!: ProcessorContext<K, Change<V>>;
  private store: TableStore<K, V> | undefined;
  private forwarder: TableForwarder<K, V> | undefined;
  private task!: TaskContext;

  constructor(private readonly state: TableSourceState) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = context;
    this.task = internalContext(context);
    if (!this.state.materialized) return;
    this.store = context.getStateStore<TableStore<K, V>>(this.state.storeName);
    this.forwarder = new TableForwarder(this.store, context, this.state.oldValues.sent);
  }

  process(record: StreamRecord<K, V | null>): void {
    const key = record.key;
    if (key === null || key === undefined) {
      this.task.dropRecord('null-key', 'Table source skipped a record with a null key.');
      return;
    }
    const value = record.value ?? null;
    if (this.store === undefined) {
      // Without a store there is no old value, and nothing to deduplicate: every update goes on.
      this.context.forward(record.withValue(change(value, null)));
      return;
    }
    const oldValue = valueOrNull(this.store.get(key));
    this.store.put(key, value === null ? null : valueAndTimestamp(value, record.timestamp));
    this.forwarder!.maybeForward(record.withValue(change(value, oldValue)));
  }
}

/**
 * Adds a table-source processor (Kafka's `KTableSource`) named `processorName` under `parentName`,
 * and returns the table. As in Kafka Streams, it has a store (cached and logged as
 * `materialized` says) only when `materialized` names one or gives a store supplier, or when a
 * downstream operator needs it: a join's lookups, or old values asked for with
 * `forceMaterialization`. The store's name is fixed now either way, so generated names and the
 * internal topics derived from them do not depend on what comes downstream.
 */
export function addTableSource<K, V>(
  topology: InternalTopologyBuilder,
  parentName: string,
  processorName: string,
  storeName: string,
  materialized: Materialized<K, V> | undefined,
  serdes: { keySerde: Serde<K> | undefined; valueSerde: Serde<V> | undefined },
): KTableNode<K, V> {
  const state: TableSourceState = { storeName, materialized: false, oldValues: new OldValues() };
  topology.addProcessor(processorName, () => new TableSourceProcessor<K, V>(state), [parentName]);
  const materialize = (): void => {
    if (state.materialized) return;
    state.materialized = true;
    addTableStore(topology, processorName, { storeName, materialized, keySerde: serdes.keySerde, valueSerde: serdes.valueSerde });
  };
  if (materialized?.storeName !== undefined || materialized?.storeSupplier !== undefined) materialize();
  return {
    nodeName: processorName,
    keySerde: materialized?.keySerde ?? serdes.keySerde,
    valueSerde: materialized?.valueSerde ?? serdes.valueSerde,
    queryableStoreName: materializedStoreName(materialized),
    makeValueGetters: () => {
      materialize();
      return storeValueGetter<K, V>(storeName);
    },
    enableOldValues: (forceMaterialization) => {
      if (!state.materialized && !forceMaterialization) return false;
      materialize();
      state.oldValues.sent = true;
      return true;
    },
  };
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
): KTableNode<K, V> {
  const storeName = tableStoreName(topology, materialized, `${topic}-`);
  // As Kafka Streams names them: `Consumed.as(name)` names the source `<name>-source` and the table node `<name>`.
  const sourceName = topology.nameOr(consumed.name === undefined ? undefined : `${consumed.name}-source`, 'KSTREAM-SOURCE-');
  const tableName = topology.nameOr(consumed.name, 'KTABLE-SOURCE-');
  topology.addSource({ name: sourceName, topics: [topic], keySerde: consumed.keySerde, valueSerde: consumed.valueSerde, timestampExtractor: consumed.timestampExtractor as never });
  return addTableSource(topology, sourceName, tableName, storeName, materialized, { keySerde: consumed.keySerde, valueSerde: consumed.valueSerde });
}
