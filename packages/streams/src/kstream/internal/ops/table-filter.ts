/**
 * `KTable.filter` / `filterNot` (Kafka's `KTableFilter`). A row that does not pass is a delete
 * downstream. Without old values (its parent is not materialized and no downstream operator asked
 * for them) the filter cannot know whether the row passed before, so it forwards that delete every
 * time, as Kafka does; with them
 * it forwards `Change(null, old)` only when the old row passed, and nothing when neither side
 * does. Materialized when `Materialized` is given; its old values then come from its own store.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import { valueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { Predicate } from '../../functions.js';
import type { Materialized } from '../../materialized.js';
import type { Named } from '../../named.js';
import { change, type Change } from '../change.js';
import type { KTableImpl, KTableNode } from '../ktable-impl.js';
import { mappedValueGetter, storeValueGetter, type KTableValueGetterSupplier } from '../ktable-value-getter.js';
import { OldValues, oldValuesFromParentOrStore } from '../old-values.js';
import { addTableStore, TableForwarder, tableStoreName, valueOrNull, type TableStore } from '../table-store.js';
import { materializedStoreName } from '../materialized-store-name.js';

class TableFilterProcessor<K, V> implements Processor<K, Change<V>, K, Change<V>> {
  private context!: ProcessorContext<K, Change<V>>;
  private store: TableStore<K, V> | undefined;
  private forwarder: TableForwarder<K, V> | undefined;

  constructor(
    private readonly predicate: Predicate<K, V>,
    private readonly keepWhen: boolean,
    private readonly storeName: string | undefined,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<V>>): void {
    this.context = context;
    if (this.storeName !== undefined) {
      this.store = context.getStateStore<TableStore<K, V>>(this.storeName);
      this.forwarder = new TableForwarder(this.store, context, this.sendOldValues);
    }
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const newValue = this.passing(record.key, record.value.newValue);
    const oldValue = this.oldValue(record.key, record.value.oldValue);
    if (this.sendOldValues && newValue === null && oldValue === null) return;
    const forwarded = record.withValue(change(newValue, oldValue));
    if (this.store === undefined) {
      this.context.forward(forwarded);
      return;
    }
    this.store.put(record.key, newValue === null ? null : valueAndTimestamp(newValue, record.timestamp));
    this.forwarder!.maybeForward(forwarded);
  }

  private oldValue(key: K, parentOldValue: V | null): V | null {
    if (!this.sendOldValues) return null;
    return this.store === undefined ? this.passing(key, parentOldValue) : valueOrNull(this.store.get(key));
  }

  private passing(key: K, value: V | null): V | null {
    return value !== null && this.predicate(key, value) === this.keepWhen ? value : null;
  }
}

function tableFilterProcessor<K, V>(predicate: Predicate<K, V>, keepWhen: boolean, storeName: string | undefined, oldValues: OldValues): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => new TableFilterProcessor(predicate, keepWhen, storeName, oldValues.sent);
}

/** Adds a filter below `table` and returns the filtered table's node. */
export function filterTable<K, V>(
  table: KTableImpl<K, V>,
  predicate: Predicate<K, V>,
  keepWhen: boolean,
  named: Named | undefined,
  materialized: Materialized<K, V> | undefined,
): KTableNode<K, V> {
  const topology = table.topology;
  const name = topology.nameOr(named?.name, 'KTABLE-FILTER-');
  const storeName = materialized === undefined ? undefined : tableStoreName(topology, materialized, 'KTABLE-FILTER-');
  const oldValues = new OldValues();
  // As Kafka's KTableFilter: when the parent has old values without materializing anything (it is
  // materialized already: an aggregation, a named store), use them to avoid needless deletes.
  oldValues.sent = table.enableSendingOldValues(false);
  const enableOldValues = oldValuesFromParentOrStore(table, oldValues, storeName !== undefined);
  topology.addProcessor(name, tableFilterProcessor(predicate, keepWhen, storeName, oldValues), [table.nodeName]);
  if (storeName === undefined) {
    const getters = (): KTableValueGetterSupplier<K, V> => mappedValueGetter<K, V, V>(table.valueGetterSupplier, (key, value) => (predicate(key, value) === keepWhen ? value : null));
    return { nodeName: name, keySerde: table.keySerde, valueSerde: table.valueSerde, queryableStoreName: undefined, makeValueGetters: getters, enableOldValues };
  }
  addTableStore(topology, name, { storeName, materialized, keySerde: table.keySerde, valueSerde: table.valueSerde });
  const getters = (): KTableValueGetterSupplier<K, V> => storeValueGetter(storeName);
  return {
    nodeName: name,
    keySerde: materialized?.keySerde ?? table.keySerde,
    valueSerde: materialized?.valueSerde ?? table.valueSerde,
    queryableStoreName: materializedStoreName(materialized),
    makeValueGetters: getters,
    enableOldValues,
  };
}
