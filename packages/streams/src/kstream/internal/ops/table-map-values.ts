/**
 * `KTable.mapValues` (Kafka's `KTableMapValues`): maps each change's new value, and its old value
 * when a downstream operator asked for old values (an aggregation that subtracts the old row);
 * a materialized mapper reads the old value from its own store. A mapper result of `null` is a
 * delete. Materialized when `Materialized` is given.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import { valueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { ValueMapper } from '../../functions.js';
import type { Materialized } from '../../materialized.js';
import type { Named } from '../../named.js';
import { change, type Change } from '../change.js';
import type { KTableImpl, KTableNode } from '../ktable-impl.js';
import { mappedValueGetter, storeValueGetter, type KTableValueGetterSupplier } from '../ktable-value-getter.js';
import { OldValues, oldValuesFromParentOrStore } from '../old-values.js';
import { addTableStore, TableForwarder, tableStoreName, valueOrNull, type TableStore } from '../table-store.js';
import { materializedStoreName } from '../materialized-store-name.js';

class TableMapValuesProcessor<K, V, VR> implements Processor<K, Change<V>, K, Change<VR>> {
  private context!: ProcessorContext<K, Change<VR>>;
  private store: TableStore<K, VR> | undefined;
  private forwarder: TableForwarder<K, VR> | undefined;

  constructor(
    private readonly mapper: ValueMapper<V, VR, K>,
    private readonly storeName: string | undefined,
    private readonly sendOldValues: boolean,
  ) {}

  init(context: ProcessorContext<K, Change<VR>>): void {
    this.context = context;
    if (this.storeName !== undefined) {
      this.store = context.getStateStore<TableStore<K, VR>>(this.storeName);
      this.forwarder = new TableForwarder(this.store, context, this.sendOldValues);
    }
  }

  process(record: StreamRecord<K, Change<V>>): void {
    const newValue = this.map(record.key, record.value.newValue);
    const forwarded = record.withValue(change(newValue, this.oldValue(record.key, record.value.oldValue)));
    if (this.store === undefined) {
      this.context.forward(forwarded);
      return;
    }
    this.store.put(record.key, newValue === null ? null : valueAndTimestamp(newValue, record.timestamp));
    this.forwarder!.maybeForward(forwarded);
  }

  private oldValue(key: K, parentOldValue: V | null): VR | null {
    if (!this.sendOldValues) return null;
    return this.store === undefined ? this.map(key, parentOldValue) : valueOrNull(this.store.get(key));
  }

  private map(key: K, value: V | null): VR | null {
    return value === null ? null : (this.mapper(value, key) ?? null);
  }
}

function tableMapValuesProcessor<K, V, VR>(mapper: ValueMapper<V, VR, K>, storeName: string | undefined, oldValues: OldValues): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return () => new TableMapValuesProcessor(mapper, storeName, oldValues.sent);
}

/** Adds a value mapper below `table` and returns the mapped table's node. */
export function mapTableValues<K, V, VR>(
  table: KTableImpl<K, V>,
  mapper: ValueMapper<V, VR, K>,
  named: Named | undefined,
  materialized: Materialized<K, VR> | undefined,
): KTableNode<K, VR> {
  const topology = table.topology;
  const name = topology.nameOr(named?.name, 'KTABLE-MAPVALUES-');
  const storeName = materialized === undefined ? undefined : tableStoreName(topology, materialized, 'KTABLE-MAPVALUES-');
  const oldValues = new OldValues();
  const enableOldValues = oldValuesFromParentOrStore(table, oldValues, storeName !== undefined);
  topology.addProcessor(name, tableMapValuesProcessor(mapper, storeName, oldValues), [table.nodeName]);
  if (storeName === undefined) {
    const getters = (): KTableValueGetterSupplier<K, VR> => mappedValueGetter<K, V, VR>(table.valueGetterSupplier, (key, value) => mapper(value, key));
    return { nodeName: name, keySerde: table.keySerde, valueSerde: undefined, queryableStoreName: undefined, makeValueGetters: getters, enableOldValues };
  }
  addTableStore<K, VR>(topology, name, { storeName, materialized, keySerde: table.keySerde, valueSerde: undefined });
  const getters = (): KTableValueGetterSupplier<K, VR> => storeValueGetter(storeName);
  return {
    nodeName: name,
    keySerde: materialized?.keySerde ?? table.keySerde,
    valueSerde: materialized?.valueSerde,
    queryableStoreName: materializedStoreName(materialized),
    makeValueGetters: getters,
    enableOldValues,
  };
}
