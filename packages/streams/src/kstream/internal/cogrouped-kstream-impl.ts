/**
 * Cogroups: several grouped streams with their own aggregators folded into one aggregate per
 * key (and per window). Each input gets its own aggregation processor, all sharing one store,
 * and a merge node joins their outputs into one table, as in Kafka Streams.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import type { ProcessorSupplier } from '../../processor/processor.js';
import type { Aggregator, Initializer } from '../functions.js';
import type { CogroupedKStream, KGroupedStream, TimeWindowedCogroupedKStream } from '../kgrouped-stream.js';
import type { KTable } from '../ktable.js';
import type { Materialized } from '../materialized.js';
import type { Named } from '../named.js';
import type { Windowed } from '../windowed.js';
import type { SlidingWindows, TimeWindows } from '../windows.js';
import { aggregateStoreName, keyValueAggregateStore } from './aggregate-stores.js';
import type { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import { KTableImpl } from './ktable-impl.js';
import { storeValueGetter } from './ktable-value-getter.js';
import { OldValues, oldValuesAlwaysKnown } from './old-values.js';
import { passThroughProcessor } from './ops/pass-through.js';
import { streamAggregateProcessor, type Fold } from './ops/stream-aggregate.js';
import { addTimeWindowedAggregation } from './windowed-kstream-impl.js';

const prefix = 'COGROUPKSTREAM-AGGREGATE-';

interface CogroupInput<K, VA> {
  readonly grouped: KGroupedStreamImpl<K, any>;
  readonly aggregator: Aggregator<K, any, VA>;
}

function folds<K, VA>(inputs: ReadonlyArray<CogroupInput<K, VA>>, initializer: Initializer<VA>): { grouped: KGroupedStreamImpl<K, any>; fold: Fold<K, any, VA>; initializer: Initializer<VA> }[] {
  return inputs.map(({ grouped, aggregator }) => ({ grouped, fold: (key, value, aggregate) => aggregator(key, value, aggregate === undefined ? initializer() : aggregate), initializer }));
}

export class CogroupedKStreamImpl<K, VA> implements CogroupedKStream<K, VA> {
  constructor(
    private readonly topology: InternalTopologyBuilder,
    private readonly inputs: ReadonlyArray<CogroupInput<K, VA>>,
  ) {}

  cogroup<V2>(groupedStream: KGroupedStream<K, V2>, aggregator: Aggregator<K, V2, VA>): CogroupedKStream<K, VA> {
    const grouped = groupedStream as KGroupedStreamImpl<K, V2>;
    if (grouped.topology !== this.topology) throw new TopologyError('cogroup() takes a grouped stream built by the same StreamsBuilder.');
    if (typeof aggregator !== 'function') throw new TopologyError('cogroup() takes an aggregator function.');
    if (this.inputs.some((input) => input.grouped === grouped)) throw new TopologyError('cogroup() was given the same grouped stream twice; each stream joins a cogroup once.');
    return new CogroupedKStreamImpl(this.topology, [...this.inputs, { grouped, aggregator }]);
  }

  aggregate(initializer: Initializer<VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<K, VA> {
    if (typeof initializer !== 'function') throw new TopologyError('aggregate() takes an initializer function.');
    const topology = this.topology;
    const store = aggregateStoreName(topology, materialized, prefix);
    const oldValues = new OldValues();
    const names = folds(this.inputs, initializer).map(({ grouped, fold }, index) => {
      const source = grouped.aggregationSource(store.name, this.inputs.length > 1 ? `-${index}` : '');
      const name = topology.newName(prefix);
      topology.addProcessor(name, streamAggregateProcessor(store.name, fold, oldValues, initializer) as ProcessorSupplier<any, any, any, any>, [source.nodeName]);
      return name;
    });
    const keySerde = materialized?.keySerde ?? this.inputs[0]!.grouped.keySerde;
    const valueSerde = materialized?.valueSerde;
    topology.addStateStore(keyValueAggregateStore({ name: store.name, operator: 'cogroup().aggregate()', materialized, keySerde, valueSerde, dslStoreSuppliers: topology.dslStoreSuppliers }), names);
    const mergeName = topology.nameOr(named?.name, 'COGROUPKSTREAM-MERGE-');
    topology.addProcessor(mergeName, passThroughProcessor(), names);
    return new KTableImpl<K, VA>(topology, mergeName, keySerde, valueSerde, store.queryable ? store.name : undefined, () => storeValueGetter(store.name), oldValuesAlwaysKnown(oldValues)) as unknown as KTable<K, VA>;
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedCogroupedKStream<K, VA> {
    return {
      aggregate: (initializer, materialized, named): KTable<Windowed<K>, VA> => {
        if (typeof initializer !== 'function') throw new TopologyError('aggregate() takes an initializer function.');
        return addTimeWindowedAggregation(folds(this.inputs, initializer), windows, 'cogroup().windowedBy().aggregate()', prefix, materialized, named, undefined);
      },
    };
  }
}
