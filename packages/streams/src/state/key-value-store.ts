/**
 * Key-value stores: the read-only view (for interactive queries) and the read-write store
 * processors use. Iteration is in the order of the keys' serialized bytes, as in Kafka Streams.
 */
import type { StateStore } from './state-store.js';
import type { ValueAndTimestamp } from './value-and-timestamp.js';

/** A key and its value, as stores and `flatMap` hand them out. */
export interface KeyValue<K, V> {
  /** The key, deserialized: a store entry's key, or the key a `flatMap` result is sent with. */
  readonly key: K;
  /** The value, deserialized. Store reads never return `null` values, since putting `null` deletes the entry. */
  readonly value: V;
}

/** Makes a {@link KeyValue}; reads like Kafka Streams' `KeyValue.pair`. */
export function pair<K, V>(key: K, value: V): KeyValue<K, V> {
  return { key, value };
}

/** Reads of a key-value store. */
export interface ReadOnlyKeyValueStore<K, V> {
  /** The value for `key`, or `undefined`. */
  get(key: K): V | undefined;
  /** Entries with `from <= key <= to`, in key order; either bound may be omitted. */
  range(from: K | undefined, to: K | undefined): IterableIterator<KeyValue<K, V>>;
  /** Every entry, in key order. */
  all(): IterableIterator<KeyValue<K, V>>;
  /** The number of entries, or an estimate for stores that cannot count cheaply. */
  approximateNumEntries(): number;
}

/** A key-value store a processor reads and writes. */
export interface KeyValueStore<K, V> extends StateStore, ReadOnlyKeyValueStore<K, V> {
  /** Sets the value for `key`; a `null` value deletes it. */
  put(key: K, value: V | null): void;
  /** Sets the value only when the key has none; returns the value that was there. */
  putIfAbsent(key: K, value: V): V | undefined;
  /** Writes several entries. */
  putAll(entries: Iterable<KeyValue<K, V | null>>): void;
  /** Removes `key`; returns the value it had. */
  delete(key: K): V | undefined;
}

/**
 * A key-value store of values with the timestamp of the record that last wrote them: what tables
 * and aggregations keep. Its changelog uses Kafka's timestamped value layout.
 */
export type TimestampedKeyValueStore<K, V> = KeyValueStore<K, ValueAndTimestamp<V>>;
