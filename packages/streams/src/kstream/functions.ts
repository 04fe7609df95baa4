/**
 * The small function types the DSL takes. Values come first in value mappers, so `v => ...`
 * works; the key follows for mappers that need it (Kafka Streams' `ValueMapperWithKey`).
 */
import type { KeyValue } from '../state/key-value-store.js';

/** Keeps a record when it returns true. */
export type Predicate<K, V> = (key: K, value: V) => boolean;

/** Computes something from a key and value: a new key, a new pair, a list of pairs. */
export type KeyValueMapper<K, V, R> = (key: K, value: V) => R;

/** Computes a new value from a value (and, if it needs it, the key). */
export type ValueMapper<V, VR, K = unknown> = (value: V, key: K) => VR;

/** Runs for each record, for side effects. */
export type ForeachAction<K, V> = (key: K, value: V) => void;

/** Maps a record to any number of new pairs. */
export type FlatKeyValueMapper<K, V, KR, VR> = KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>;

/** Maps a value to any number of new values. */
export type FlatValueMapper<V, VR, K = unknown> = ValueMapper<V, Iterable<VR>, K>;

/** The starting value of an aggregation. */
export type Initializer<VA> = () => VA;

/** Folds a record into an aggregate, returning the new aggregate. */
export type Aggregator<K, V, VA> = (key: K, value: V, aggregate: VA) => VA;

/** Combines an aggregate so far with a new value of the same type. */
export type Reducer<V> = (aggregate: V, value: V) => V;

/** Merges two session aggregates when a record joins their sessions. */
export type Merger<K, VA> = (key: K, aggregate1: VA, aggregate2: VA) => VA;

/** Combines the values of two joined records. In outer joins the missing side is `null`. */
export type ValueJoiner<V1, V2, VR> = (value1: V1, value2: V2) => VR;

/** Like {@link ValueJoiner}, with the key. */
export type ValueJoinerWithKey<K, V1, V2, VR> = (key: K, value1: V1, value2: V2) => VR;
