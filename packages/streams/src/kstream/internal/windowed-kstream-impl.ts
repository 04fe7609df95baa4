/**
 * Windowed grouped streams: aggregations per time window (tumbling, hopping, sliding) and per
 * session. Results are tables keyed by `Windowed<K>` that remember their windows' grace, so
 * `suppress(untilWindowCloses)` knows when a window is final.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { ProcessorSupplier } from '../../processor/processor.js';
import type { Serde } from '../../serde/serde.js';
import type { Aggregator, Initializer, Merger, Reducer } from '../functions.js';
import type { SessionWindowedKStream, TimeWindowedKStream } from '../kgrouped-stream.js';
import type { KTable } from '../ktable.js';
import type { Materialized } from '../materialized.js';
import type { Named } from '../named.js';
import type { Windowed } from '../windowed.js';
import { WindowedSerdes } from '../windowed-serdes.js';
import { SlidingWindows, type SessionWindows, type TimeWindows } from '../windows.js';
import {
  aggregateStoreName,
  burnCountStoreIndex,
  countSerde,
  countsInBigint,
  sessionAggregateStore,
  sessionStoreValueGetter,
  storeRetention,
  windowAggregateStore,
  windowStoreValueGetter,
} from './aggregate-stores.js';
import type { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import { KTableImpl } from './ktable-impl.js';
import type { KTableValueGetterSupplier } from './ktable-value-getter.js';
import { inPlaceFold } from './in-place.js';
import { OldValues, oldValuesAlwaysKnown } from './old-values.js';
import { passThroughProcessor } from './ops/pass-through.js';
import { sessionWindowAggregateProcessor, type SessionFunctions } from './ops/session-window-aggregate.js';
import { slidingWindowAggregateProcessor } from './ops/sliding-window-aggregate.js';
import type { Fold } from './ops/stream-aggregate.js';
import { windowAggregateProcessor } from './ops/window-aggregate.js';

/** How a windowed table's windows close, for suppression. */
export interface Windowing {
  /**
   * How long after a window's end (in stream time) it closes: the grace, plus the inactivity gap
   * for sessions, as Kafka's suppression finds it (`GraphGraceSearchUtil`).
   */
  readonly closeDelayMs: number;
  readonly kind: 'time' | 'session';
  /** Window size (the time difference for sliding windows); 0 for sessions. */
  readonly sizeMs: number;
}

/** Makes a windowed table and records its windowing. */
function windowedTable<K, VA>(
  grouped: KGroupedStreamImpl<K, any>,
  nodeName: string,
  keySerde: Serde<K> | undefined,
  valueSerde: Serde<VA> | undefined,
  store: { name: string; queryable: boolean },
  windowing: Windowing,
  oldValues: OldValues,
): KTable<Windowed<K>, VA> {
  const windowedKeySerde =
    keySerde === undefined ? undefined : windowing.kind === 'session' ? WindowedSerdes.sessionWindowedSerdeFrom(keySerde) : WindowedSerdes.timeWindowedSerdeFrom(keySerde, windowing.sizeMs);
  const getters = (): KTableValueGetterSupplier<Windowed<K>, VA> =>
    windowing.kind === 'session' ? sessionStoreValueGetter<K, VA>(store.name) : windowStoreValueGetter<K, VA>(store.name);
  const table = new KTableImpl<Windowed<K>, VA>(grouped.topology, nodeName, windowedKeySerde, valueSerde, store.queryable ? store.name : undefined, getters, oldValuesAlwaysKnown(oldValues));
  table.windowing = windowing;
  return table as unknown as KTable<Windowed<K>, VA>;
}

/** Adds a time-windowed aggregation with `fold` below `grouped`; shared with cogroup. */
export function addTimeWindowedAggregation<K, VA>(
  inputs: ReadonlyArray<{ grouped: KGroupedStreamImpl<K, any>; fold: Fold<K, any, VA>; initializer?: () => VA; foldInPlace?: Fold<K, any, VA> }>,
  windows: TimeWindows | SlidingWindows,
  operator: string,
  prefix: string,
  materialized: Materialized<K, VA> | undefined,
  named: Named | undefined,
  defaultValueSerde: Serde<VA> | undefined,
): KTable<Windowed<K>, VA> {
  const first = inputs[0]!.grouped;
  const topology = first.topology;
  const store = aggregateStoreName(topology, materialized, prefix);
  const sliding = windows instanceof SlidingWindows;
  const sizeMs = sliding ? windows.timeDifferenceMs : windows.sizeMs;
  const minimum = sizeMs + windows.graceMs;
  // Sliding windows look back two differences for the windows they copy.
  const retention = storeRetention(materialized, minimum, sliding ? 2 * sizeMs + windows.graceMs : minimum, store.name, 'window size plus grace period');
  const keySerde = materialized?.keySerde ?? first.keySerde;
  const valueSerde = materialized?.valueSerde ?? defaultValueSerde;
  const names: string[] = [];
  const oldValues = new OldValues();
  inputs.forEach(({ grouped, fold, initializer, foldInPlace }, index) => {
    const source = grouped.aggregationSource(store.name, inputs.length > 1 ? `-${index}` : '');
    const name = inputs.length === 1 ? topology.nameOr(named?.name, prefix) : topology.newName(prefix);
    // Sliding windows copy aggregates between windows, so they never update one in place.
    const supplier = sliding ? slidingWindowAggregateProcessor(store.name, windows, fold, oldValues, initializer) : windowAggregateProcessor(store.name, windows, fold, oldValues, initializer, foldInPlace);
    topology.addProcessor(name, supplier as ProcessorSupplier<any, any, any, any>, [source.nodeName]);
    names.push(name);
  });
  topology.addStateStore(windowAggregateStore({ name: store.name, operator, materialized, keySerde, valueSerde, dslStoreSuppliers: topology.dslStoreSuppliers }, retention, minimum, sizeMs), names);
  let nodeName = names[0]!;
  if (inputs.length > 1) {
    nodeName = topology.nameOr(named?.name, 'COGROUPKSTREAM-MERGE-');
    topology.addProcessor(nodeName, passThroughProcessor(), names);
  }
  return windowedTable(first, nodeName, keySerde, valueSerde, store, { closeDelayMs: windows.graceMs, kind: 'time', sizeMs }, oldValues);
}


export class TimeWindowedKStreamImpl<K, V> implements TimeWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStreamImpl<K, V>,
    private readonly windows: TimeWindows | SlidingWindows,
  ) {}

  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number>;
  count(materialized: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint>;
  count(materialized?: Materialized<K, number> | Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, number> | KTable<Windowed<K>, bigint> {
    if (!(this.windows instanceof SlidingWindows)) burnCountStoreIndex(this.grouped.topology, materialized);
    if (countsInBigint(materialized)) {
      const fold: Fold<K, V, bigint> = (_key, _value, count) => (count ?? 0n) + 1n;
      return addTimeWindowedAggregation([{ grouped: this.grouped, fold, initializer: () => 0n }], this.windows, 'windowedBy().count()', 'KSTREAM-AGGREGATE-', materialized as Materialized<K, bigint>, named, undefined);
    }
    const fold: Fold<K, V, number> = (_key, _value, count) => (count ?? 0) + 1;
    return addTimeWindowedAggregation([{ grouped: this.grouped, fold, initializer: () => 0 }], this.windows, 'windowedBy().count()', 'KSTREAM-AGGREGATE-', materialized as Materialized<K, number> | undefined, named, countSerde);
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    if (typeof reducer !== 'function') throw new TopologyError('reduce() takes a reducer function.');
    const fold: Fold<K, V, V> = (_key, value, aggregate) => (aggregate === undefined ? value : reducer(aggregate, value));
    return addTimeWindowedAggregation([{ grouped: this.grouped, fold }], this.windows, 'windowedBy().reduce()', 'KSTREAM-REDUCE-', materialized, named, this.grouped.valueSerde);
  }

  aggregate<VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>, materialized?: Materialized<K, VA>, named?: Named): KTable<Windowed<K>, VA> {
    if (typeof initializer !== 'function' || typeof aggregator !== 'function') throw new TopologyError('aggregate() takes an initializer and an aggregator function.');
    const fold: Fold<K, V, VA> = (key, value, aggregate) => aggregator(key, value, aggregate === undefined ? initializer() : aggregate);
    // Sliding windows never update in place (see addTimeWindowedAggregation): they keep the ordinary fold.
    const foldInPlace = this.windows instanceof SlidingWindows ? undefined : inPlaceFold(initializer, aggregator);
    return addTimeWindowedAggregation([{ grouped: this.grouped, fold, initializer, foldInPlace }], this.windows, 'windowedBy().aggregate()', 'KSTREAM-AGGREGATE-', materialized, named, undefined);
  }
}

export class SessionWindowedKStreamImpl<K, V> implements SessionWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStreamImpl<K, V>,
    private readonly windows: SessionWindows,
  ) {}

  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number>;
  count(materialized: Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, bigint>;
  count(materialized?: Materialized<K, number> | Materialized<K, bigint>, named?: Named): KTable<Windowed<K>, number> | KTable<Windowed<K>, bigint> {
    burnCountStoreIndex(this.grouped.topology, materialized);
    if (countsInBigint(materialized)) {
      return this.aggregateWith<bigint>(
        'windowedBy(SessionWindows).count()',
        'KSTREAM-AGGREGATE-',
        { initial: () => 0n, merge: (_key, accumulated, session) => (accumulated ?? 0n) + session, fold: (_key, _value, accumulated) => (accumulated ?? 0n) + 1n },
        materialized as Materialized<K, bigint>,
        named,
        undefined,
      );
    }
    return this.aggregateWith<number>(
      'windowedBy(SessionWindows).count()',
      'KSTREAM-AGGREGATE-',
      { initial: () => 0, merge: (_key, accumulated, session) => (accumulated ?? 0) + session, fold: (_key, _value, accumulated) => (accumulated ?? 0) + 1 },
      materialized as Materialized<K, number> | undefined,
      named,
      countSerde,
    );
  }

  reduce(reducer: Reducer<V>, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    if (typeof reducer !== 'function') throw new TopologyError('reduce() takes a reducer function.');
    const combine = (accumulated: V | undefined, value: V): V => (accumulated === undefined ? value : reducer(accumulated, value));
    return this.aggregateWith<V>(
      'windowedBy(SessionWindows).reduce()',
      'KSTREAM-REDUCE-',
      { initial: () => undefined, merge: (_key, accumulated, session) => combine(accumulated, session), fold: (_key, value, accumulated) => combine(accumulated, value) },
      materialized,
      named,
      this.grouped.valueSerde,
    );
  }

  aggregate<VA>(
    initializer: Initializer<VA>,
    aggregator: Aggregator<K, V, VA>,
    merger: Merger<K, VA>,
    materialized?: Materialized<K, VA>,
    named?: Named,
  ): KTable<Windowed<K>, VA> {
    if (typeof initializer !== 'function' || typeof aggregator !== 'function' || typeof merger !== 'function') {
      throw new TopologyError('Session aggregate() takes an initializer, an aggregator and a merger function.');
    }
    return this.aggregateWith<VA>(
      'windowedBy(SessionWindows).aggregate()',
      'KSTREAM-AGGREGATE-',
      {
        initial: initializer,
        merge: (key, accumulated, session) => merger(key, accumulated as VA, session),
        fold: (key, value, accumulated) => aggregator(key, value, accumulated as VA),
      },
      materialized,
      named,
      undefined,
    );
  }

  private aggregateWith<VA>(
    operator: string,
    prefix: string,
    functions: SessionFunctions<K, V, VA>,
    materialized: Materialized<K, VA> | undefined,
    named: Named | undefined,
    defaultValueSerde: Serde<VA> | undefined,
  ): KTable<Windowed<K>, VA> {
    const grouped = this.grouped;
    const topology = grouped.topology;
    const store = aggregateStoreName(topology, materialized, prefix);
    const minimum = this.windows.inactivityGapMs + this.windows.graceMs;
    const retention = storeRetention(materialized, minimum, minimum, store.name, 'inactivity gap plus grace period');
    const source = grouped.aggregationSource(store.name);
    const name = topology.nameOr(named?.name, prefix);
    const keySerde = materialized?.keySerde ?? grouped.keySerde;
    const valueSerde = materialized?.valueSerde ?? defaultValueSerde;
    const oldValues = new OldValues();
    topology.addProcessor(name, sessionWindowAggregateProcessor(store.name, this.windows, functions, oldValues) as ProcessorSupplier<any, any, any, any>, [source.nodeName]);
    topology.addStateStore(sessionAggregateStore({ name: store.name, operator, materialized, keySerde, valueSerde, dslStoreSuppliers: topology.dslStoreSuppliers }, retention, minimum), [name]);
    return windowedTable(grouped, name, keySerde, valueSerde, store, { closeDelayMs: this.windows.graceMs + this.windows.inactivityGapMs, kind: 'session', sizeMs: 0 }, oldValues);
  }
}
