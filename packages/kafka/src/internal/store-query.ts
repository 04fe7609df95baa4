/**
 * Interactive queries as data: a {@link StoreQuery} names a store, a read and its arguments; the
 * thread that holds the store answers it ({@link executeStoreQuery}) with at most `limit`
 * entries. With `numStreamThreads` above 1 a query and its answer cross to a worker thread and
 * back, their keys and values in bytes through the store's serdes ({@link encodeQuery},
 * {@link decodeAnswer} and their inverses). {@link asyncStoreView} turns a way of answering into
 * the public asynchronous views.
 */
import { Headers, QueryableStoreTypes, queryStore, type KeyValue, type QueryableStoreType, type Serde, type StateStore, type Window, type Windowed } from '@tributary/streams';
import { IllegalStateError } from '../errors.js';
import { DEFAULT_QUERY_LIMIT, type AsyncKeyValueStore, type AsyncSessionStore, type AsyncWindowStore, type QueryLimit } from '../interactive-queries.js';

/**
 * A read of one store. Key reads carry the key's partition, so the task holding it answers;
 * `stale` reads standby replicas too (`StoreQueryOptions.staleStores`).
 */
export type StoreQuery = StoreRead & { readonly stale?: boolean };

/** The reads a {@link StoreQuery} can be. */
type StoreRead =
  | { readonly op: 'kv-get'; readonly store: string; readonly key: unknown; readonly partition: number }
  | { readonly op: 'kv-range'; readonly store: string; readonly from: unknown; readonly to: unknown; readonly limit: number }
  | { readonly op: 'kv-all'; readonly store: string; readonly limit: number }
  | { readonly op: 'kv-count'; readonly store: string }
  | { readonly op: 'window-fetch'; readonly store: string; readonly key: unknown; readonly partition: number; readonly time: number }
  | { readonly op: 'window-range'; readonly store: string; readonly key: unknown; readonly partition: number; readonly from: number; readonly to: number; readonly limit: number }
  | { readonly op: 'window-all'; readonly store: string; readonly from: number | undefined; readonly to: number | undefined; readonly limit: number }
  | { readonly op: 'session-find'; readonly store: string; readonly key: unknown; readonly partition: number; readonly from: number; readonly to: number; readonly limit: number }
  | { readonly op: 'session-fetch'; readonly store: string; readonly key: unknown; readonly partition: number; readonly limit: number }
  | { readonly op: 'session-get'; readonly store: string; readonly key: unknown; readonly partition: number; readonly from: number; readonly to: number };

/** One entry of an answer: `key` is the store's key (a window's start for `window-range`), `window` a windowed key's window. */
interface QueryEntry {
  readonly key: unknown;
  readonly value: unknown;
  readonly window?: Window;
}

/** What a query returns: its entries (one or none for a single-value read), or a count. */
export interface StoreQueryAnswer {
  readonly entries: QueryEntry[];
  readonly count?: number;
}

/** The store instances a query may read, on the thread that holds them. */
export interface LocalStores {
  /** Every running task's instance of the store (the global store's one instance); none is fine. */
  running(store: string): StateStore[];
  /** The instance in the task for `partition`; throws `StoreUnavailableError` when that task is not running here. */
  forPartition(store: string, partition: number): StateStore[];
}

/** Whether a query reads one partition (the key's), rather than every local task. */
export function isKeyQuery(query: StoreQuery): query is Extract<StoreQuery, { partition: number }> {
  return 'partition' in query;
}

function take<T>(entries: Iterable<T>, limit: number, map: (entry: T) => QueryEntry, into: QueryEntry[] = []): QueryEntry[] {
  if (into.length >= limit) return into;
  for (const entry of entries) {
    into.push(map(entry));
    if (into.length >= limit) break;
  }
  return into;
}

const plain = (entry: KeyValue<unknown, unknown>): QueryEntry => ({ key: entry.key, value: entry.value });
const windowedEntry = (entry: KeyValue<Windowed<unknown>, unknown>): QueryEntry => ({ key: entry.key.key, value: entry.value, window: { start: entry.key.window.start, end: entry.key.window.end } });
const single = (value: unknown, key: unknown): StoreQueryAnswer => ({ entries: value === undefined ? [] : [{ key, value }] });

/** Answers `query` from the stores of this thread. */
export function executeStoreQuery(query: StoreQuery, stores: LocalStores): StoreQueryAnswer {
  const { store } = query;
  const on = (): StateStore[] => (isKeyQuery(query) ? stores.forPartition(store, query.partition) : stores.running(store));
  const view = <View>(type: QueryableStoreType<View>): View | undefined => {
    const instances = on();
    return instances.length === 0 ? undefined : queryStore(store, type, instances);
  };
  switch (query.op) {
    case 'kv-get':
      return single(view(QueryableStoreTypes.keyValueStore())?.get(query.key), query.key);
    case 'kv-range': {
      const kv = view(QueryableStoreTypes.keyValueStore());
      return { entries: kv === undefined ? [] : take(kv.range(query.from ?? undefined, query.to ?? undefined), query.limit, plain) };
    }
    case 'kv-all': {
      const kv = view(QueryableStoreTypes.keyValueStore());
      return { entries: kv === undefined ? [] : take(kv.all(), query.limit, plain) };
    }
    case 'kv-count':
      return { entries: [], count: view(QueryableStoreTypes.keyValueStore())?.approximateNumEntries() ?? 0 };
    case 'window-fetch': {
      const found = view(QueryableStoreTypes.windowStore())?.fetch(query.key, query.time);
      return { entries: found === undefined ? [] : [{ key: query.key, value: found }] };
    }
    case 'window-range': {
      const window = view(QueryableStoreTypes.windowStore());
      return { entries: window === undefined ? [] : take(window.fetchRange(query.key, query.from, query.to), query.limit, plain) };
    }
    case 'window-all': {
      const window = view(QueryableStoreTypes.windowStore());
      if (window === undefined) return { entries: [] };
      const entries = query.from === undefined || query.to === undefined ? window.all() : window.fetchAll(query.from, query.to);
      return { entries: take(entries, query.limit, windowedEntry) };
    }
    case 'session-find': {
      const session = view(QueryableStoreTypes.sessionStore());
      return { entries: session === undefined ? [] : take(session.findSessions(query.key, query.from, query.to), query.limit, windowedEntry) };
    }
    case 'session-fetch': {
      const session = view(QueryableStoreTypes.sessionStore());
      return { entries: session === undefined ? [] : take(session.fetch(query.key), query.limit, windowedEntry) };
    }
    case 'session-get':
      return single(view(QueryableStoreTypes.sessionStore())?.fetchSession(query.key, query.from, query.to), query.key);
  }
}

/** The serdes of a store, and the topic they are told about (its changelog's name). */
export interface StoreSerdes {
  readonly key: Serde<any>;
  readonly value: Serde<any>;
  readonly topic: string;
}

const noHeaders = new Headers();

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encodeKey(serdes: StoreSerdes, key: unknown): Buffer | null {
  return key === undefined || key === null ? null : serdes.key.serialize(serdes.topic, key, noHeaders);
}

function decodeKey(serdes: StoreSerdes, bytes: unknown): unknown {
  return bytes === null || bytes === undefined ? undefined : serdes.key.deserialize(serdes.topic, toBuffer(bytes as Uint8Array), noHeaders);
}

/** `query` with its keys in bytes, to send to another thread. */
export function encodeQuery(query: StoreQuery, serdes: StoreSerdes): StoreQuery {
  if ('key' in query) return { ...query, key: encodeKey(serdes, query.key) };
  if (query.op === 'kv-range') return { ...query, from: encodeKey(serdes, query.from), to: encodeKey(serdes, query.to) };
  return query;
}

/** A query received from another thread, its keys read back. */
export function decodeQuery(query: StoreQuery, serdes: StoreSerdes): StoreQuery {
  if ('key' in query) return { ...query, key: decodeKey(serdes, query.key) };
  if (query.op === 'kv-range') return { ...query, from: decodeKey(serdes, query.from), to: decodeKey(serdes, query.to) };
  return query;
}

/** An answer in bytes, to send back. `window-range` keys are window starts, sent as numbers. */
export function encodeAnswer(query: StoreQuery, answer: StoreQueryAnswer, serdes: StoreSerdes): StoreQueryAnswer {
  const numericKeys = query.op === 'window-range';
  return {
    ...answer,
    entries: answer.entries.map((entry) => ({
      ...entry,
      key: numericKeys ? entry.key : encodeKey(serdes, entry.key),
      value: serdes.value.serialize(serdes.topic, entry.value, noHeaders),
    })),
  };
}

/** An answer received from another thread, its keys and values read back. */
export function decodeAnswer(query: StoreQuery, answer: StoreQueryAnswer, serdes: StoreSerdes): StoreQueryAnswer {
  const numericKeys = query.op === 'window-range';
  return {
    ...answer,
    entries: answer.entries.map((entry) => ({
      ...entry,
      key: numericKeys ? entry.key : decodeKey(serdes, entry.key),
      value: serdes.value.deserialize(serdes.topic, toBuffer(entry.value as Uint8Array), noHeaders),
    })),
  };
}

/** How an asynchronous view gets its answers: the key's partition, and the answer to a query. */
export interface QueryChannel {
  /** The partition of `key` in `store`; throws `StoreUnavailableError` before the first assignment. */
  partitionOf(store: string, key: unknown): number;
  /** Answers the query on whichever thread holds the store. */
  run(query: StoreQuery): Promise<StoreQueryAnswer>;
}

function limitOf(options: QueryLimit | undefined): number {
  const limit = options?.limit ?? DEFAULT_QUERY_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new IllegalStateError(`Query option 'limit' must be a positive integer, got ${String(limit)}.`);
  return limit;
}

const valueOf = (answer: StoreQueryAnswer): any => answer.entries[0]?.value;
const keyValues = (answer: StoreQueryAnswer): KeyValue<any, any>[] => answer.entries.map((entry) => ({ key: entry.key, value: entry.value }));
const windowedKeyValues = (answer: StoreQueryAnswer): KeyValue<Windowed<any>, any>[] =>
  answer.entries.map((entry) => ({ key: { key: entry.key, window: entry.window! }, value: entry.value }));

/** The asynchronous view of a store for a `QueryableStoreTypes` kind ('key-value', 'window' or 'session'). */
export function asyncStoreView(store: string, kind: string, channel: QueryChannel): AsyncKeyValueStore<any, any> | AsyncWindowStore<any, any> | AsyncSessionStore<any, any> {
  const partition = (key: unknown): number => {
    if (key === undefined || key === null) throw new IllegalStateError(`A key read of store '${store}' needs a key; got ${String(key)}.`);
    return channel.partitionOf(store, key);
  };
  switch (kind) {
    case 'key-value':
      return {
        get: async (key) => valueOf(await channel.run({ op: 'kv-get', store, key, partition: partition(key) })),
        range: async (from, to, options) => keyValues(await channel.run({ op: 'kv-range', store, from, to, limit: limitOf(options) })),
        all: async (options) => keyValues(await channel.run({ op: 'kv-all', store, limit: limitOf(options) })),
        approximateNumEntries: async () => (await channel.run({ op: 'kv-count', store })).count ?? 0,
      } satisfies AsyncKeyValueStore<any, any>;
    case 'window':
      return {
        fetch: async (key, time) => valueOf(await channel.run({ op: 'window-fetch', store, key, partition: partition(key), time })),
        fetchRange: async (key, from, to, options) => keyValues(await channel.run({ op: 'window-range', store, key, partition: partition(key), from, to, limit: limitOf(options) })),
        fetchAll: async (from, to, options) => windowedKeyValues(await channel.run({ op: 'window-all', store, from, to, limit: limitOf(options) })),
        all: async (options) => windowedKeyValues(await channel.run({ op: 'window-all', store, from: undefined, to: undefined, limit: limitOf(options) })),
      } satisfies AsyncWindowStore<any, any>;
    case 'session':
      return {
        findSessions: async (key, from, to, options) => windowedKeyValues(await channel.run({ op: 'session-find', store, key, partition: partition(key), from, to, limit: limitOf(options) })),
        fetch: async (key, options) => windowedKeyValues(await channel.run({ op: 'session-fetch', store, key, partition: partition(key), limit: limitOf(options) })),
        fetchSession: async (key, from, to) => valueOf(await channel.run({ op: 'session-get', store, key, partition: partition(key), from, to })),
      } satisfies AsyncSessionStore<any, any>;
    default:
      throw new IllegalStateError(`queryAsync() reads key-value, window and session stores (QueryableStoreTypes.keyValueStore, windowStore, sessionStore); '${kind}' views are for query().`);
  }
}
