/**
 * A table re-grouped by `KTable.groupBy`: the selector runs on this side of a repartition topic
 * named `<Grouped.name or store name>-repartition`, the aggregation on the other.
 */
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import { Serdes } from '../../serde/serdes.js';
import type { Serde } from '../../serde/serde.js';
import type { KeyValue } from '../../state/key-value-store.js';
import type { Aggregator, Initializer, KeyValueMapper, Reducer } from '../functions.js';
import type { Grouped } from '../grouped.js';
import type { KGroupedTable } from '../kgrouped-table.js';
import type { Materialized } from '../materialized.js';
import type { Named } from '../named.js';
import { KStreamImpl } from './kstream-impl.js';
import { KTableImpl } from './ktable-impl.js';
import { storeValueGetter, type KTableValueGetterSupplier } from './ktable-value-getter.js';
import { OldValues, oldValuesAlwaysKnown } from './old-values.js';
import { aggregation, reduction, tableAggregateProcessor, type TableAggregation } from './ops/table-aggregate.js';
import { tableRepartitionMapProcessor } from './ops/table-repartition-map.js';
import { materializedStoreName } from './materialized-store-name.js';
import { addTableStore, tableStoreName } from './table-store.js';

/** Counts are stored as 8-byte doubles: exact for every integer a count reaches. */
const countSerde: Serde<number> = Serdes.Float64();

export class KGroupedTableImpl<K, V> implements KGroupedTable<K, V> {
  private readonly topology: InternalTopologyBuilder;
  /** The re-keying node's name, taken when groupBy() is called, as Kafka Streams takes it. */
  private readonly selectName: string;
  /** The re-keying node, added by the first aggregation; later aggregations of this grouping read it too, as in Kafka Streams. */
  private selected: KStreamImpl<K, Buffer> | undefined;

  constructor(
    private readonly parent: KTableImpl<any, any>,
    private readonly selector: KeyValueMapper<any, any, KeyValue<K, V>>,
    private readonly grouped: Grouped<K, V>,
  ) {
    this.topology = parent.topology;
    this.selectName = this.topology.nameOr(grouped.name, 'KTABLE-SELECT-');
    // The subtractor takes a row's old value out of its group: the parent must send old values.
    parent.enableSendingOldValues(true);
  }

  count(materialized?: Materialized<K, number>, named?: Named): KTableImpl<K, number> {
    const withSerde: Materialized<K, number> = { ...materialized, valueSerde: materialized?.valueSerde ?? countSerde };
    return this.build(
      aggregation<K, V, number>(
        () => 0,
        (_key, _value, count) => count + 1,
        (_key, _value, count) => count - 1,
      ),
      withSerde,
      named,
      'KTABLE-AGGREGATE-',
    );
  }

  reduce(adder: Reducer<V>, subtractor: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTableImpl<K, V> {
    return this.build(reduction<K, V>(adder, subtractor), { ...materialized, valueSerde: materialized?.valueSerde ?? this.grouped.valueSerde }, named, 'KTABLE-REDUCE-');
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    adder: Aggregator<K, V, VA>,
    subtractor: Aggregator<K, V, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named,
  ): KTableImpl<K, VA> {
    return this.build(aggregation(initializer, adder, subtractor), materialized, named, 'KTABLE-AGGREGATE-');
  }

  private build<VA>(aggregationOf: TableAggregation<K, V, VA>, materialized: Materialized<K, VA> | undefined, named: Named | undefined, prefix: string): KTableImpl<K, VA> {
    const topology = this.topology;
    // Kafka Streams generates the store name with the AGGREGATE prefix for count, reduce and aggregate alike.
    const storeName = tableStoreName(topology, materialized, 'KTABLE-AGGREGATE-');
    const base = this.grouped.name ?? storeName;
    const topic = `${base}-repartition`;
    const keySerde = this.grouped.keySerde;
    let selected = this.selected;
    if (selected === undefined) {
      topology.addProcessor(this.selectName, tableRepartitionMapProcessor(this.selector, { keySerde, valueSerde: this.grouped.valueSerde, topic }), [this.parent.nodeName]);
      selected = new KStreamImpl<K, Buffer>(topology, this.selectName, keySerde, Serdes.Bytes(), true);
      this.selected = selected;
    }
    // Kafka Streams' order: the sink, the source, then the aggregation, `<name>-sink` and so on when it is named.
    const sink = topology.nameOr(named === undefined ? undefined : `${named.name}-sink`, 'KSTREAM-SINK-');
    const source = topology.nameOr(named === undefined ? undefined : `${named.name}-source`, 'KSTREAM-SOURCE-');
    const name = topology.nameOr(named?.name, prefix);
    const repartitioned = selected.repartitionThrough(base, keySerde, Serdes.Bytes(), undefined, { tableNodeNames: { sink, source } });
    const oldValues = new OldValues();
    topology.addProcessor(name, tableAggregateProcessor(aggregationOf, { storeName, valueSerde: this.grouped.valueSerde, topic, oldValues }), [repartitioned.nodeName]);
    addTableStore<K, VA>(topology, name, { storeName, materialized, keySerde, valueSerde: undefined });
    const getters = (): KTableValueGetterSupplier<K, VA> => storeValueGetter(storeName);
    return new KTableImpl<K, VA>(topology, name, materialized?.keySerde ?? keySerde, materialized?.valueSerde, materializedStoreName(materialized), getters, oldValuesAlwaysKnown(oldValues));
  }
}
