/**
 * Interactive queries: read-only views of a running application's named stores. A view spans
 * every local task that holds the store (each owns some partitions), and hides writes, so an
 * HTTP handler or a dashboard can read state without disturbing processing. Iteration across
 * tasks is a concatenation, not a merge: order holds within one task's partitions only, as in
 * Kafka Streams' composite stores.
 */
import { StateStoreError } from '../errors/streams-error.js';
import type { Windowed } from '../kstream/windowed.js';
import type { KeyValue, ReadOnlyKeyValueStore } from './key-value-store.js';
import type { ReadOnlySessionStore } from './session-store.js';
import type { StateStore } from './state-store.js';
import type { ValueAndTimestamp } from './value-and-timestamp.js';
import type { ReadOnlyWindowStore } from './window-store.js';

/** Which kind of view a query wants; get one from {@link QueryableStoreTypes}. */
export interface QueryableStoreType<View> {
  /** A name for error messages: 'key-value', 'window', 'session'. */
  readonly kind: string;
  /** Whether `store` can be read through this view. */
  accepts(store: StateStore): boolean;
  /** One view over the store's instances in every local task. */
  create(storeName: string, stores: readonly StateStore[]): View;
}

function isTimestamped(store: StateStore): boolean {
  return (store as { timestamped?: unknown }).timestamped === true;
}

function unwrap<V>(store: StateStore, value: unknown): V {
  return (isTimestamped(store) ? (value as ValueAndTimestamp<V>).value : value) as V;
}

function* concat<T>(parts: Iterable<Iterable<T>>): IterableIterator<T> {
  for (const part of parts) yield* part;
}

function has(store: StateStore, ...methods: string[]): boolean {
  return methods.every((method) => typeof (store as unknown as Record<string, unknown>)[method] === 'function');
}

class KeyValueView<K, V> implements ReadOnlyKeyValueStore<K, V> {
  constructor(
    private readonly stores: readonly (StateStore & ReadOnlyKeyValueStore<K, unknown>)[],
    private readonly timestamps: boolean,
  ) {}

  get(key: K): V | undefined {
    for (const store of this.stores) {
      const found = store.get(key);
      if (found !== undefined) return this.read(store, found);
    }
    return undefined;
  }

  range(from: K | undefined, to: K | undefined): IterableIterator<KeyValue<K, V>> {
    return concat(this.stores.map((store) => this.entries(store, store.range(from, to))));
  }

  all(): IterableIterator<KeyValue<K, V>> {
    return concat(this.stores.map((store) => this.entries(store, store.all())));
  }

  approximateNumEntries(): number {
    let total = 0;
    for (const store of this.stores) total += store.approximateNumEntries();
    return total;
  }

  private *entries(store: StateStore, entries: Iterable<KeyValue<K, unknown>>): IterableIterator<KeyValue<K, V>> {
    for (const entry of entries) yield { key: entry.key, value: this.read(store, entry.value) };
  }

  private read(store: StateStore, value: unknown): V {
    return this.timestamps ? (value as V) : unwrap<V>(store, value);
  }
}

class WindowView<K, V> implements ReadOnlyWindowStore<K, V> {
  constructor(private readonly stores: readonly (StateStore & ReadOnlyWindowStore<K, unknown>)[]) {}

  fetch(key: K, windowStart: number): V | undefined {
    for (const store of this.stores) {
      const found = store.fetch(key, windowStart);
      if (found !== undefined) return unwrap<V>(store, found);
    }
    return undefined;
  }

  *fetchRange(key: K, timeFrom: number, timeTo: number): IterableIterator<KeyValue<number, V>> {
    for (const store of this.stores) {
      for (const entry of store.fetchRange(key, timeFrom, timeTo)) yield { key: entry.key, value: unwrap<V>(store, entry.value) };
    }
  }

  *fetchAll(timeFrom: number, timeTo: number): IterableIterator<KeyValue<Windowed<K>, V>> {
    for (const store of this.stores) {
      for (const entry of store.fetchAll(timeFrom, timeTo)) yield { key: entry.key, value: unwrap<V>(store, entry.value) };
    }
  }

  *all(): IterableIterator<KeyValue<Windowed<K>, V>> {
    for (const store of this.stores) {
      for (const entry of store.all()) yield { key: entry.key, value: unwrap<V>(store, entry.value) };
    }
  }
}

class SessionView<K, AGG> implements ReadOnlySessionStore<K, AGG> {
  constructor(private readonly stores: readonly (StateStore & ReadOnlySessionStore<K, AGG>)[]) {}

  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    return concat(this.stores.map((store) => store.findSessions(key, earliestSessionEndTime, latestSessionStartTime)));
  }

  fetch(key: K): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    return concat(this.stores.map((store) => store.fetch(key)));
  }

  fetchSession(key: K, sessionStart: number, sessionEnd: number): AGG | undefined {
    for (const store of this.stores) {
      const found = store.fetchSession(key, sessionStart, sessionEnd);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** The kinds of read-only views, as Kafka Streams' `QueryableStoreTypes`. */
export const QueryableStoreTypes = {
  /** Plain values of a key-value store; a table's timestamps are dropped. */
  keyValueStore<K, V>(): QueryableStoreType<ReadOnlyKeyValueStore<K, V>> {
    return {
      kind: 'key-value',
      accepts: (store) => has(store, 'get', 'range', 'all', 'approximateNumEntries'),
      create: (_name, stores) => new KeyValueView<K, V>(stores as (StateStore & ReadOnlyKeyValueStore<K, unknown>)[], false),
    };
  },
  /** Values with their timestamps, from a table or aggregation store. */
  timestampedKeyValueStore<K, V>(): QueryableStoreType<ReadOnlyKeyValueStore<K, ValueAndTimestamp<V>>> {
    return {
      kind: 'timestamped key-value',
      accepts: (store) => has(store, 'get', 'range', 'all') && isTimestamped(store),
      create: (_name, stores) => new KeyValueView<K, ValueAndTimestamp<V>>(stores as (StateStore & ReadOnlyKeyValueStore<K, unknown>)[], true),
    };
  },
  /** Plain values of a window store (windowed aggregations). */
  windowStore<K, V>(): QueryableStoreType<ReadOnlyWindowStore<K, V>> {
    return {
      kind: 'window',
      accepts: (store) => has(store, 'fetch', 'fetchRange', 'fetchAll'),
      create: (_name, stores) => new WindowView<K, V>(stores as (StateStore & ReadOnlyWindowStore<K, unknown>)[]),
    };
  },
  /** A session store (session-windowed aggregations). */
  sessionStore<K, AGG>(): QueryableStoreType<ReadOnlySessionStore<K, AGG>> {
    return {
      kind: 'session',
      accepts: (store) => has(store, 'findSessions', 'fetchSession'),
      create: (_name, stores) => new SessionView<K, AGG>(stores as (StateStore & ReadOnlySessionStore<K, AGG>)[]),
    };
  },
};

/** Builds a view over the named store's instances, checking that they fit the wanted type. */
export function queryStore<View>(storeName: string, type: QueryableStoreType<View>, stores: readonly StateStore[]): View {
  if (stores.length === 0) throw new StateStoreError(`No running task holds a store named '${storeName}'; check the name given to Materialized.as(...).`);
  for (const store of stores) {
    if (!type.accepts(store)) {
      throw new StateStoreError(`Store '${storeName}' cannot be read as a ${type.kind} store; ask for the type it is (QueryableStoreTypes.keyValueStore, windowStore or sessionStore).`);
    }
  }
  return type.create(storeName, stores);
}
