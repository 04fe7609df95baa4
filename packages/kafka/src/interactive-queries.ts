/**
 * Asynchronous read-only views of a running application's stores, from
 * {@link KafkaStreams.queryAsync}: the same reads as `query()`'s views, answered by whichever
 * thread holds the store (with `numStreamThreads` above 1, a worker thread: the query and its
 * answer cross in bytes, through the store's serdes). Results that could be long are arrays
 * bounded by a limit, never open iterators across threads.
 */
import type { KeyValue, ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore, Windowed } from '@tributary/streams';

/** How many entries a range, `all` or multi-window read returns at most unless told: 1000. */
export const DEFAULT_QUERY_LIMIT = 1000;

/** Options of reads that return several entries. */
export interface QueryLimit {
  /** At most this many entries (a positive integer). Default {@link DEFAULT_QUERY_LIMIT}. */
  readonly limit?: number;
}

/**
 * Options of {@link KafkaStreams.queryAsync}, as Kafka Streams' `StoreQueryParameters`.
 *
 * @example
 * ```ts
 * // Answered by a standby replica when this instance holds the key's partition only as a standby.
 * const counts = app.queryAsync('counts', QueryableStoreTypes.keyValueStore<string, number>(), { staleStores: true });
 * ```
 */
export interface StoreQueryOptions {
  /**
   * Also read standby replicas, and read while the application rebalances, as Kafka Streams'
   * `enableStaleStores()`: a key read is answered by this instance's active task for the key's
   * partition or, when it holds only a standby of it, by the standby, whose copy may lag the
   * active one by the changelog records it has not applied yet; whole-store reads return this
   * instance's active and standby entries, also while it rebalances. Standbys copy persistent
   * (LevelDB) stores only, so an in-memory store is never read stale. A task restoring here is
   * still unavailable. Default `false`: active tasks only, never stale.
   */
  readonly staleStores?: boolean;
}

/**
 * Key-value reads. A key read asks the task holding the key's partition, and fails with
 * `StoreUnavailableError` when that task is not running on this instance (restoring, moved, or
 * the application rebalancing): then ask `queryMetadataForKey` where it lives.
 */
export interface AsyncKeyValueStore<K, V> {
  /** The value for `key`, or `undefined` when the task holding its partition has none. */
  get(key: K): Promise<V | undefined>;
  /**
   * Entries with `from <= key <= to` on this instance (either bound may be omitted), in key order
   * within each task. Like every whole-store read, it rejects with `StoreUnavailableError` unless
   * the application is RUNNING: while tasks restore or move, the list would miss theirs.
   */
  range(from: K | undefined, to: K | undefined, options?: QueryLimit): Promise<KeyValue<K, V>[]>;
  /** Entries on this instance, in key order within each task. */
  all(options?: QueryLimit): Promise<KeyValue<K, V>[]>;
  /** The number of entries on this instance, or an estimate. */
  approximateNumEntries(): Promise<number>;
}

/** Window store reads; key reads as in {@link AsyncKeyValueStore}. */
export interface AsyncWindowStore<K, V> {
  /** The value for `key` in the window starting at `windowStart`, or `undefined`. */
  fetch(key: K, windowStart: number): Promise<V | undefined>;
  /** `key`'s windows with `timeFrom <= start <= timeTo`, as `{ key: windowStart, value }`, oldest first. */
  fetchRange(key: K, timeFrom: number, timeTo: number, options?: QueryLimit): Promise<KeyValue<number, V>[]>;
  /** Every key's windows on this instance with `timeFrom <= start <= timeTo`. */
  fetchAll(timeFrom: number, timeTo: number, options?: QueryLimit): Promise<KeyValue<Windowed<K>, V>[]>;
  /** Every window on this instance still retained. */
  all(options?: QueryLimit): Promise<KeyValue<Windowed<K>, V>[]>;
}

/** Session store reads; key reads as in {@link AsyncKeyValueStore}. */
export interface AsyncSessionStore<K, AGG> {
  /** `key`'s sessions ending at or after `earliestSessionEndTime` and starting at or before `latestSessionStartTime`. */
  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number, options?: QueryLimit): Promise<KeyValue<Windowed<K>, AGG>[]>;
  /** Every session of `key`. */
  fetch(key: K, options?: QueryLimit): Promise<KeyValue<Windowed<K>, AGG>[]>;
  /** The aggregate of `key`'s session with exactly these bounds, or `undefined`. */
  fetchSession(key: K, sessionStart: number, sessionEnd: number): Promise<AGG | undefined>;
}

/** The asynchronous view matching a `QueryableStoreTypes` view. */
export type AsyncStoreView<View> =
  View extends ReadOnlyKeyValueStore<infer K, infer V>
    ? AsyncKeyValueStore<K, V>
    : View extends ReadOnlyWindowStore<infer K, infer V>
      ? AsyncWindowStore<K, V>
      : View extends ReadOnlySessionStore<infer K, infer AGG>
        ? AsyncSessionStore<K, AGG>
        : never;
