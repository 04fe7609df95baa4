/**
 * Grouped streams: `groupByKey` / `groupBy` give a {@link KGroupedStreamImpl}, which remembers
 * whether the key may have changed. Each aggregation then repartitions first when it did (through
 * `<name>-repartition`, where name is the Grouped name, else the store's), dropping null keys
 * before the sink, and adds its processor and store.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { ProcessorSupplier } from '../../processor/processor.js';
import type { Serde } from '../../serde/serde.js';
import type { Aggregator, Initializer, KeyValueMapper, Reducer } from '../functions.js';
import type { Grouped } from '../grouped.js';
import type { CogroupedKStream, KGroupedStream, SessionWindowedKStream, TimeWindowedKStream } from '../kgrouped-stream.js';
import type { KTable } from '../ktable.js';
import type { Materialized } from '../materialized.js';
import type { Named } from '../named.js';
import { SessionWindows, SlidingWindows, TimeWindows } from '../windows.js';
import { aggregateStoreName, burnCountStoreIndex, countSerde, countsInBigint, keyValueAggregateStore } from './aggregate-stores.js';
import { CogroupedKStreamImpl } from './cogrouped-kstream-impl.js';
import type { KStreamImpl } from './kstream-impl.js';
import { KTableImpl } from './ktable-impl.js';
import { storeValueGetter } from './ktable-value-getter.js';
import { inPlaceFold } from './in-place.js';
import { OldValues, oldValuesAlwaysKnown } from './old-values.js';
import { mapProcessor } from './ops/map.js';
import { streamAggregateProcessor, type Fold } from './ops/stream-aggregate.js';
import { SessionWindowedKStreamImpl, TimeWindowedKStreamImpl } from './windowed-kstream-impl.js';

/** `groupByKey`. */
export function groupByKey<K, V>(stream: KStreamImpl<K, V>, grouped: Grouped<K, V> = {}): KGroupedStreamImpl<K, V> {
  return new KGroupedStreamImpl(stream, grouped, stream.repartitionRequired);
}

/** `groupBy`: selects the new key, then groups (always repartitioning, as Kafka Streams does). */
export function groupBy<K, V, KR>(stream: KStreamImpl<K, V>, selector: KeyValueMapper<K, V, KR>, grouped: Grouped<KR, V> = {}): KGroupedStreamImpl<KR, V> {
  if (typeof selector !== 'function') throw new TopologyError('groupBy() takes a function that selects the new key.');
  const selected = stream.addChild<KR, V>(
    mapProcessor<K, V, KR, V>((key, value) => ({ key: selector(key, value), value })),
    'KSTREAM-KEY-SELECT-',
    undefined,
    grouped.keySerde,
    stream.valueSerde,
    true,
  );
  return new KGroupedStreamImpl(selected, grouped, true);
}

export class KGroupedStreamImpl<K, V> implements KGroupedStream<K, V> {
  constructor(
    readonly stream: KStreamImpl<K, V>,
    readonly grouped: Grouped<K, V>,
    readonly repartitionRequired: boolean,
  ) {}

  get topology() {
    return this.stream.topology;
  }

  /** The key serde of the grouped records: Grouped's, else the stream's. */
  get keySerde(): Serde<K> | undefined {
    return this.grouped.keySerde ?? this.stream.keySerde;
  }

  get valueSerde(): Serde<V> | undefined {
    return this.grouped.valueSerde ?? this.stream.valueSerde;
  }

  /**
   * The stream to aggregate: this one, or, when the key may have changed, the same records read
   * back from `<name>-repartition` (null keys dropped before the sink, see `ops/repartition-filter.ts`).
   */
  aggregationSource(storeName: string, suffix = ''): KStreamImpl<K, V> {
    if (!this.repartitionRequired) return this.stream;
    const base = `${this.grouped.name ?? storeName}${suffix}`;
    return this.stream.repartitionThrough(base, this.keySerde, this.valueSerde, undefined);
  }

  count(materialized?: Materialized<K, number>, named?: Named): KTable<K, number>;
  count(materialized: Materialized<K, bigint>, named?: Named): KTable<K, bigint>;
  count(materialized?: Materialized<K, number> | Materialized<K, bigint>, named?: Named): KTable<K, number> | KTable<K, bigint> {
    burnCountStoreIndex(this.topology, materialized);
    if (countsInBigint(materialized)) return this.aggregateWith<bigint>('count()', 'KSTREAM-AGGREGATE-', (_key, _value, count) => (count ?? 0n) + 1n, materialized as Materialized<K, bigint>, named, undefined, () => 0n);
    return this.aggregateWith<number>('count()', 'KSTREAM-AGGREGATE-', (_key, _value, count) => (count ?? 0) + 1, materialized as Materialized<K, number> | undefined, named, countSerde, () => 0);
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<K, V> {
    if (typeof reducer !== 'function') throw new TopologyError('reduce() takes a reducer function.');
    return this.aggregateWith<V>('reduce()', 'KSTREAM-REDUCE-', (_key, value, aggregate) => (aggregate === undefined ? value : reducer(aggregate, value)), materialized, named, this.valueSerde);
  }

  aggregate<VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<K, VA> {
    if (typeof initializer !== 'function' || typeof aggregator !== 'function') throw new TopologyError('aggregate() takes an initializer and an aggregator function.');
    const fold: Fold<K, V, VA> = (key, value, aggregate) => aggregator(key, value, aggregate === undefined ? initializer() : aggregate);
    return this.aggregateWith<VA>('aggregate()', 'KSTREAM-AGGREGATE-', fold, materialized, named, undefined, initializer, inPlaceFold(initializer, aggregator));
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStreamImpl(this, windows);
    if (windows instanceof TimeWindows || windows instanceof SlidingWindows) return new TimeWindowedKStreamImpl(this, windows);
    throw new TopologyError('windowedBy() takes TimeWindows, SlidingWindows or SessionWindows.');
  }

  cogroup<VA>(aggregator: Aggregator<K, V, VA>): CogroupedKStream<K, VA> {
    if (typeof aggregator !== 'function') throw new TopologyError('cogroup() takes an aggregator function.');
    return new CogroupedKStreamImpl<K, VA>(this.topology, [{ grouped: this as KGroupedStreamImpl<K, any>, aggregator }]);
  }

  /** `defaultValueSerde` is the serde the operator knows for its result (count's, reduce's input's), if any. */
  private aggregateWith<VA>(
    operator: string,
    prefix: string,
    fold: Fold<K, V, VA>,
    materialized: Materialized<K, VA> | undefined,
    named: Named | undefined,
    defaultValueSerde: Serde<VA> | undefined,
    /** The old value a key's first update carries (Kafka's aggregate and count); `undefined` for reduce. */
    initializer?: () => VA,
    /** The fold of an `updateInPlace` aggregator, which may change the aggregate it is given. */
    foldInPlace?: Fold<K, V, VA>,
  ): KTable<K, VA> {
    const store = aggregateStoreName(this.topology, materialized, prefix);
    // The node is named before the repartition topic's nodes, as Kafka Streams names it.
    const name = this.topology.nameOr(named?.name, prefix);
    const source = this.aggregationSource(store.name);
    const keySerde = materialized?.keySerde ?? this.keySerde;
    const valueSerde = materialized?.valueSerde ?? defaultValueSerde;
    const oldValues = new OldValues();
    this.topology.addProcessor(name, streamAggregateProcessor(store.name, fold, oldValues, initializer, foldInPlace) as ProcessorSupplier<any, any, any, any>, [source.nodeName]);
    this.topology.addStateStore(keyValueAggregateStore({ name: store.name, operator, materialized, keySerde, valueSerde, dslStoreSuppliers: this.topology.dslStoreSuppliers }), [name]);
    return new KTableImpl<K, VA>(this.topology, name, keySerde, valueSerde, store.queryable ? store.name : undefined, () => storeValueGetter(store.name), oldValuesAlwaysKnown(oldValues)) as unknown as KTable<K, VA>;
  }
}
