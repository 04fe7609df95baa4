/**
 * `KStream<K, V>`: an unbounded stream of records, each an independent event. Every operator
 * returns a new stream whose types follow from the function you pass, with no annotations.
 */
import type { FixedKeyProcessorSupplier, ProcessorSupplier } from '../processor/processor.js';
import type { TopicNameExtractor } from '../processor/stream-partitioner.js';
import type { KeyValue } from '../state/key-value-store.js';
import type { Branched } from './branched.js';
import type { ForeachAction, KeyValueMapper, Predicate, ValueJoiner, ValueMapper } from './functions.js';
import type { GlobalKTable } from './global-ktable.js';
import type { Grouped } from './grouped.js';
import type { Joined, StreamJoined } from './joined.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import type { KTable } from './ktable.js';
import type { Materialized } from './materialized.js';
import type { JoinWindows } from './windows.js';
import type { Named } from './named.js';
import type { Produced } from './produced.js';
import type { Repartitioned } from './repartitioned.js';

/** A stream of key-value records. */
export interface KStream<K, V> {
  /** Keeps the records for which `predicate` is true. */
  filter(predicate: Predicate<K, V>, named?: Named): KStream<K, V>;

  /** Keeps the records for which `predicate` is false. */
  filterNot(predicate: Predicate<K, V>, named?: Named): KStream<K, V>;

  /** Gives each record a new key. Marks the stream for repartitioning before grouping or joining. */
  selectKey<KR>(mapper: KeyValueMapper<K, V, KR>, named?: Named): KStream<KR, V>;

  /** Turns each record into a new key and value. Marks the stream for repartitioning. */
  map<KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>, named?: Named): KStream<KR, VR>;

  /** Gives each record a new value, keeping its key (and so its partitioning). */
  mapValues<VR>(mapper: ValueMapper<V, VR, K>, named?: Named): KStream<K, VR>;

  /** Turns each record into zero or more records. Marks the stream for repartitioning. */
  flatMap<KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>, named?: Named): KStream<KR, VR>;

  /** Turns each value into zero or more values, keeping the key. */
  flatMapValues<VR>(mapper: ValueMapper<V, Iterable<VR>, K>, named?: Named): KStream<K, VR>;

  /** Runs `action` on each record and passes the record on unchanged. */
  peek(action: ForeachAction<K, V>, named?: Named): KStream<K, V>;

  /** Runs `action` on each record; ends the stream. */
  foreach(action: ForeachAction<K, V>, named?: Named): void;

  /**
   * Splits the stream into branches by predicate: each record goes to the first branch whose
   * predicate accepts it. `named` gives the prefix of the branch names in the result.
   */
  split<P extends string = string>(named?: Named<P>): BranchedKStream<K, V, P>;

  /** Interleaves this stream with another of the same types. */
  merge(other: KStream<K, V>, named?: Named): KStream<K, V>;

  /**
   * Writes the stream through an internal topic and reads it back, so records are partitioned
   * by their current key. Stateful operators do this for you when the key has changed.
   */
  repartition(repartitioned?: Repartitioned<K, V>): KStream<K, V>;

  /** Writes the stream to a topic, or to the topic `extractor` picks per record. */
  to(topic: string | TopicNameExtractor<K, V>, produced?: Produced<K, V>): void;

  /**
   * Runs a custom processor (Processor API) on each record, with access to the named state
   * stores. The processor may forward records with any key, so the stream is marked for
   * repartitioning.
   */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, ...storeNames: string[]): KStream<KOut, VOut>;
  /** As above, with the processor node named by `named` instead of `KSTREAM-PROCESSOR-<n>`. */
  process<KOut, VOut>(supplier: ProcessorSupplier<K, V, KOut, VOut>, named: Named, ...storeNames: string[]): KStream<KOut, VOut>;

  /** Runs a custom processor that may change values but not keys, so no repartition is needed. */
  processValues<VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>, ...storeNames: string[]): KStream<K, VOut>;
  /** As above, with the processor node named by `named` instead of a generated name. */
  processValues<VOut>(supplier: FixedKeyProcessorSupplier<K, V, VOut>, named: Named, ...storeNames: string[]): KStream<K, VOut>;

  /** Groups by the current key, repartitioning first if the key may have changed. */
  groupByKey(grouped?: Grouped<K, V>): KGroupedStream<K, V>;

  /** Groups by a new key computed from each record; always repartitions. */
  groupBy<KR>(selector: KeyValueMapper<K, V, KR>, grouped?: Grouped<KR, V>): KGroupedStream<KR, V>;

  /** Reads the stream as a table: each record is the latest value of its key, null deletes. */
  toTable(named?: Named, materialized?: Materialized<K, V>): KTable<K, V>;

  /** Windowed inner join with another stream: pairs of records with one key at most the windows apart. */
  join<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<V, VO, VR>, windows: JoinWindows, streamJoined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  /** Joins each record with the table's current value for its key; records without one are dropped. */
  join<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<V, VT, VR>, joined?: Joined<K, V, VT>): KStream<K, VR>;
  /** Joins each record with the global table's row for the key `keySelector` computes. */
  join<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: KeyValueMapper<K, V, GK>, joiner: ValueJoiner<V, GV, VR>, named?: Named): KStream<K, VR>;

  /**
   * Windowed left join with another stream. A record that found no partner is emitted with
   * `null` once its window has closed, as in Kafka Streams 3.x (no early spurious results); one
   * whose window had already passed when it arrived, or with a null key, is emitted with `null`
   * at once. Nothing is dropped as late ([Tables, windows, aggregations and joins](../../../../docs/tables-windows-joins.md#stream-stream-joins-late-records-null-keys-and-when-results-come-out)
   * has the rules).
   */
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<V, VO | null, VR>, windows: JoinWindows, streamJoined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  /** Joins each record with the table's current value for its key, or `null` (also when its key is null). */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<V, VT | null, VR>, joined?: Joined<K, V, VT>): KStream<K, VR>;
  /**
   * Joins each record with the global table's row for the computed key, or `null`. A record whose
   * computed key is null is dropped, unless its own key is null too (then it joins `null`).
   */
  leftJoin<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: KeyValueMapper<K, V, GK>, joiner: ValueJoiner<V, GV | null, VR>, named?: Named): KStream<K, VR>;

  /**
   * Windowed outer join: unmatched records of either side are emitted with `null` once their
   * window closes (at once for a null key, or a window already passed on arrival).
   */
  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<V | null, VO | null, VR>, windows: JoinWindows, streamJoined?: StreamJoined<K, V, VO>): KStream<K, VR>;
}

/**
 * The branches of a split stream. `P` is the name prefix and `Names` the names of the branches
 * so far, so the map that `defaultBranch` and `noDefaultBranch` return is typed by name.
 */
export interface BranchedKStream<K, V, P extends string = string, Names extends string = never> {
  /** Adds a branch taking the records `predicate` accepts (and no earlier branch took). */
  branch<N extends string = never>(
    predicate: Predicate<K, V>,
    branched?: Branched<K, V, N>,
  ): BranchedKStream<K, V, P, Names | ([N] extends [never] ? `${P}${number}` : `${P}${N}`)>;

  /** Adds a last branch for the records no predicate accepted, and returns the branches by name. */
  defaultBranch<N extends string = never>(
    branched?: Branched<K, V, N>,
  ): Record<Names | ([N] extends [never] ? `${P}0` : `${P}${N}`), KStream<K, V>>;

  /** Returns the branches by name; records no predicate accepted are dropped. */
  noDefaultBranch(): Record<Names, KStream<K, V>>;
}
