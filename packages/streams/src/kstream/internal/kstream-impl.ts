/**
 * The DSL's stream: each operator adds a node under this stream's node and returns the stream
 * of that node, carrying serdes forward where the type is unchanged and noting when the key may
 * have changed (so that grouping and joins repartition first). The operators' processors and
 * node builders sit in `ops/`, one file each; this class checks arguments, wires and wraps.
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import type { FixedKeyProcessorSupplier, ProcessorSupplier } from '../../processor/processor.js';
import type { TopicNameExtractor } from '../../processor/stream-partitioner.js';
import type { Serde } from '../../serde/serde.js';
import type { KeyValue } from '../../state/key-value-store.js';
import type { ForeachAction, KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from '../functions.js';
import type { Joined, StreamJoined } from '../joined.js';
import type { BranchedKStream, KStream } from '../kstream.js';
import type { Named } from '../named.js';
import type { KTable } from '../ktable.js';
import type { Materialized } from '../materialized.js';
import type { Produced } from '../produced.js';
import type { Repartitioned } from '../repartitioned.js';
import type { JoinWindows } from '../windows.js';
import { BranchedKStreamImpl } from './branched-kstream-impl.js';
import { checkFunction } from './check-function.js';
import { filterProcessor } from './ops/filter.js';
import { flatMapProcessor } from './ops/flat-map.js';
import { flatMapValuesProcessor } from './ops/flat-map-values.js';
import { foreachProcessor } from './ops/foreach.js';
import { mapProcessor } from './ops/map.js';
import { mapValuesProcessor } from './ops/map-values.js';
import { mergeStreams } from './ops/merge.js';
import { peekProcessor } from './ops/peek.js';
import { processStream } from './ops/process.js';
import { processStreamValues } from './ops/process-values.js';
import { repartitionStream, repartitionThrough, type RepartitionOptions } from './ops/repartition.js';
import { selectKeyProcessor } from './ops/select-key.js';
import { addStreamSink } from './ops/to.js';
import { streamToTable } from './ops/to-table.js';
import { GlobalKTableImpl } from './global-ktable-impl.js';
import { KTableImpl } from './ktable-impl.js';
import { joinStreamToGlobalTable } from './ops/stream-global-table-join.js';
import { joinStreams, type StreamJoinKind } from './ops/stream-stream-join.js';
import { joinStreamToTable } from './ops/stream-table-join.js';
import type { Grouped } from '../grouped.js';
import { groupBy, groupByKey, type KGroupedStreamImpl } from './kgrouped-stream-impl.js';

/**
 * A stream node an operator added to the topology, before it is wrapped in a `KStreamImpl`: the
 * operators return this, and only the `*-impl` DSL classes construct streams, so no operator file
 * imports them (which would make an import cycle: the DSL classes import the operators).
 */
export interface KStreamNode<K, V> {
  readonly nodeName: string;
  readonly keySerde: Serde<K> | undefined;
  readonly valueSerde: Serde<V> | undefined;
  /** Whether the key may have changed since the last partitioning: grouping and joins repartition first. */
  readonly repartitionRequired: boolean;
}

export class KStreamImpl<K, V> implements KStream<K, V> {
  /** Wraps a stream node an operator added to `topology`. */
  static of<K, V>(topology: InternalTopologyBuilder, node: KStreamNode<K, V>): KStreamImpl<K, V> {
    return new KStreamImpl<K, V>(topology, node.nodeName, node.keySerde, node.valueSerde, node.repartitionRequired);
  }

  constructor(
    readonly topology: InternalTopologyBuilder,
    readonly nodeName: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    readonly repartitionRequired: boolean,
  ) {}

  filter(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    return this.addChild(filterProcessor(checkFunction(predicate, 'filter'), true), 'KSTREAM-FILTER-', named, this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  filterNot(predicate: Predicate<K, V>, named?: Named): KStream<K, V> {
    return this.addChild(filterProcessor(checkFunction(predicate, 'filterNot'), false), 'KSTREAM-FILTER-', named, this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  selectKey<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V> {
    return this.addChild(selectKeyProcessor(checkFunction(mapper, 'selectKey')), 'KSTREAM-KEY-SELECT-', named, undefined, this.valueSerde, true);
  }

  map<KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>, named?: Named): KStream<KR, VR> {
    return this.addChild(mapProcessor(checkFunction(mapper, 'map')), 'KSTREAM-MAP-', named, undefined, undefined, true);
  }

  mapValues<VR>(mapper: ValueMapper<V, VR, K>, named?: Named): KStream<K, VR> {
    return this.addChild(mapValuesProcessor(checkFunction(mapper, 'mapValues')), 'KSTREAM-MAPVALUES-', named, this.keySerde, undefined, this.repartitionRequired);
  }

  flatMap<KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>, named?: Named): KStream<KR, VR> {
    return this.addChild(flatMapProcessor(checkFunction(mapper, 'flatMap')), 'KSTREAM-FLATMAP-', named, undefined, undefined, true);
  }

  flatMapValues<VR>(mapper: ValueMapper<V, Iterable<VR>, K>, named?: Named): KStream<K, VR> {
    return this.addChild(flatMapValuesProcessor(checkFunction(mapper, 'flatMapValues')), 'KSTREAM-FLATMAPVALUES-', named, this.keySerde, undefined, this.repartitionRequired);
  }

  peek(action: ForeachAction<K, V>, named?: Named): KStream<K, V> {
    return this.addChild(peekProcessor(checkFunction(action, 'peek')), 'KSTREAM-PEEK-', named, this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  foreach(action: ForeachAction<K, V>, named?: Named): void {
    this.addChild(foreachProcessor(checkFunction(action, 'foreach')), 'KSTREAM-FOREACH-', named, this.keySerde, this.valueSerde, this.repartitionRequired);
  }

  split<P extends string = string>(named?: Named<P>): BranchedKStream<K, V, P> {
    const name = this.topology.nameOr(named?.name, 'KSTREAM-BRANCH-');
    return new BranchedKStreamImpl<K, V, P>(this, name as P) as unknown as BranchedKStream<K, V, P>;
  }

  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    if (!(other instanceof KStreamImpl) || other.topology !== this.topology) {
      throw new TopologyError('merge() takes a stream built by the same StreamsBuilder.');
    }
    return this.mergeNamed(other, this.topology.nameOr(named?.name, 'KSTREAM-MERGE-'));
  }

  /** Merges `other` into this stream under `name`, already generated or given (no index is consumed). */
  mergeNamed(other: KStreamImpl<K, V>, name: string): KStreamImpl<K, V> {
    return KStreamImpl.of(this.topology, mergeStreams(this, other, name));
  }

  /** Groups by the current key, repartitioning first (at aggregation) if the key may have changed. */
  groupByKey(grouped?: Grouped<K, V>): KGroupedStreamImpl<K, V> {
    return groupByKey(this, grouped);
  }

  /** Groups by a key computed from each record; always repartitions. */
  groupBy<KR>(selector: KeyValueMapper<K, V, KR>, grouped?: Grouped<KR, V>): KGroupedStreamImpl<KR, V> {
    return groupBy(this, selector, grouped);
  }

  repartition(repartitioned: Repartitioned<K, V> = {}): KStream<K, V> {
    return KStreamImpl.of(this.topology, repartitionStream(this, repartitioned));
  }

  /**
   * Writes to `<base>-repartition` and reads it back as a new stream (a new sub-topology).
   * Used by `repartition()` and by the stateful operators when the key has changed.
   */
  repartitionThrough(
    base: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    partitions: number | undefined,
    options: RepartitionOptions<K, V> = {},
  ): KStreamImpl<K, V> {
    return KStreamImpl.of(this.topology, repartitionThrough(this, base, keySerde, valueSerde, partitions, options));
  }

  to(topic: string | TopicNameExtractor<K, V>, produced: Produced<K, V> = {}): void {
    addStreamSink(this, topic, produced);
  }

  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, ...rest: Array<Named | string>): KStream<KOut, VOut> {
    return KStreamImpl.of(this.topology, processStream(this, supplier, rest));
  }

  /** Reads the stream as a table (repartitioning first when the key may have changed). */
  toTable(named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return KTableImpl.of(this.topology, streamToTable(this, named, materialized));
  }

  processValues<VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>, ...rest: Array<Named | string>): KStream<K, VOut> {
    return KStreamImpl.of(this.topology, processStreamValues(this, supplier, rest));
  }

  /** Joins with a stream (windowed), a table or a global table; see `KStream.join`. */
  join(...args: unknown[]): KStream<K, any> {
    return dispatchStreamJoin(this, 'inner', args);
  }

  /** Left join with a stream (windowed), a table or a global table; see `KStream.leftJoin`. */
  leftJoin(...args: unknown[]): KStream<K, any> {
    return dispatchStreamJoin(this, 'left', args);
  }

  /** Windowed outer join with another stream; see `KStream.outerJoin`. */
  outerJoin(...args: unknown[]): KStream<K, any> {
    return dispatchStreamJoin(this, 'outer', args);
  }

  /** Adds a processor below this stream's node and returns its stream. */
  addChild<KR, VR>(
    supplier: ProcessorSupplier<any, any, any, any>,
    prefix: string,
    named: Named | undefined,
    keySerde: Serde<KR> | undefined,
    valueSerde: Serde<VR> | undefined,
    repartitionRequired: boolean,
  ): KStreamImpl<KR, VR> {
    return this.addNamedChild(this.topology.nameOr(named?.name, prefix), supplier, keySerde, valueSerde, repartitionRequired);
  }

  /** Adds a processor named `name` (already generated or given; no index is consumed) below this stream's node. */
  addNamedChild<KR, VR>(
    name: string,
    supplier: ProcessorSupplier<any, any, any, any>,
    keySerde: Serde<KR> | undefined,
    valueSerde: Serde<VR> | undefined,
    repartitionRequired: boolean,
  ): KStreamImpl<KR, VR> {
    this.topology.addProcessor(name, supplier, [this.nodeName]);
    return new KStreamImpl<KR, VR>(this.topology, name, keySerde, valueSerde, repartitionRequired);
  }
}

/**
 * `KStream.join` / `leftJoin` / `outerJoin`: picks the join by what the stream is joined with
 * (another stream, a table or a global table) and checks the arguments of that overload.
 */
function dispatchStreamJoin<K, V>(stream: KStreamImpl<K, V>, kind: StreamJoinKind, args: readonly unknown[]): KStream<K, any> {
  const operator = kind === 'inner' ? 'join' : kind === 'left' ? 'leftJoin' : 'outerJoin';
  const [other, second, third, fourth] = args;
  if (other instanceof KStreamImpl) {
    if (other.topology !== stream.topology) throw new TopologyError(`${operator}() takes a stream built by the same StreamsBuilder.`);
    return joinStreams(stream, other, second as ValueJoiner<any, any, any>, third as JoinWindows, fourth as StreamJoined<K, V, any> | undefined, kind);
  }
  if (kind === 'outer') {
    throw new TopologyError('outerJoin() of a stream takes another stream; a stream cannot be outer-joined with a table (join the table, or convert the stream with toTable()).');
  }
  if (other instanceof KTableImpl) {
    return joinStreamToTable(stream, other as KTableImpl<K, any>, second as ValueJoiner<V, any, any>, third as Joined<K, V, any> | undefined, kind === 'left');
  }
  if (other instanceof GlobalKTableImpl) {
    return joinStreamToGlobalTable(
      stream,
      (other as GlobalKTableImpl<unknown, unknown>).valueGetterSupplier,
      second as KeyValueMapper<K, V, unknown>,
      third as ValueJoiner<V, any, any>,
      fourth as Named | undefined,
      kind === 'left',
    );
  }
  throw new TopologyError(`${operator}() takes a KStream, a KTable or a GlobalKTable built by the same StreamsBuilder, got ${other === null ? 'null' : typeof other}.`);
}
