/**
 * Store suppliers and the byte-level backends they supply: the seam between Tributary's typed
 * stores (serdes, write-back cache, changelog) and where the bytes live (in memory here, LevelDB
 * in `@tributary/level`). A backend only stores and orders bytes; everything else — serdes, the
 * cache, changelog records in Kafka's formats, dropped-record counting — is done above it, so a
 * new backend implements only the small interfaces below.
 *
 * Every backend call is synchronous: the engine calls stores on the hot path, one record at a
 * time. A backend that writes to disk should apply its writes in one batch at {@link
 * KeyValueBytesBackend.flush} (or in `putBatch`), never a promise per record.
 */
import type { StateStoreContext } from './state-store.js';

/** A key and value of bytes, as backends return them. */
export interface BytesEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** A write of bytes: a `null` value deletes the key. */
export interface BytesWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** A record of a store's changelog topic, as a restore reads it: a `null` value is a tombstone. */
export interface ChangelogRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** What every backend shares: a name, whether it is on disk, and its lifecycle. */
export interface BytesBackend {
  readonly name: string;
  /** Whether the data survives a restart of the process. */
  readonly persistent: boolean;
  /** Opens the backend for a task (a persistent backend finds its directory in `context.stateDir`). */
  open(context: StateStoreContext): void;
  /** Makes every write so far durable. Called at the end of each store flush (each commit). */
  flush(): void;
  /** Releases the backend; an in-memory backend forgets its data. */
  close(): void;
}

/**
 * Keys and values of bytes, ordered by the keys' unsigned bytes (the order of Kafka's `Bytes` and
 * of LevelDB's default comparator).
 */
export interface KeyValueBytesBackend extends BytesBackend {
  /** The value of `key`, or `undefined`. Must be synchronous and cheap: it runs on every cache miss. */
  get(key: Buffer): Buffer | undefined;
  /** Entries with `from <= key <= to` in byte order; an omitted bound is open. */
  range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<BytesEntry>;
  /** Writes one entry; a `null` value deletes. */
  put(key: Buffer, value: Buffer | null): void;
  /** Writes entries in order (a later write of a key wins); `null` values delete. */
  putBatch(writes: readonly BytesWrite[]): void;
  /** The number of entries, or an estimate when counting is not cheap. */
  approximateCount(): number;
}

/** A window's bytes as a window backend returns them. */
export interface WindowBytesEntry {
  readonly key: Buffer;
  readonly windowStart: number;
  /** Distinguishes duplicates of one key and window when the store retains duplicates; else 0. */
  readonly seqnum: number;
  readonly value: Buffer;
}

/** A write to a window backend; a `null` value deletes the window. */
export interface WindowBytesWrite {
  readonly key: Buffer;
  readonly windowStart: number;
  readonly seqnum: number;
  readonly value: Buffer | null;
}

/**
 * Values by key bytes and window start, kept for `retentionMs` (Kafka's segmented window bytes
 * stores). The backend tracks its observed time, the largest window start written to it (by a
 * value or a tombstone); a window is expired once `windowStart <= observedTime - retentionMs`.
 * Writes to expired windows are ignored (the typed store above counts them); reads never return
 * expired windows; expired data is dropped in bulk (by segment or range), not key by key.
 */
export interface WindowBytesBackend extends BytesBackend {
  readonly retentionMs: number;
  /** The largest window start written so far, or `-Infinity` when none. */
  readonly observedTime: number;
  /** The value of one window (and duplicate), or `undefined`. */
  get(key: Buffer, windowStart: number, seqnum: number): Buffer | undefined;
  /** `key`'s windows with `timeFrom <= windowStart <= timeTo`, by window start then seqnum. */
  fetch(key: Buffer, timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry>;
  /** Every key's windows with `timeFrom <= windowStart <= timeTo`, by window start, then key bytes, then seqnum. */
  fetchAll(timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry>;
  /** Writes windows in order, advancing the observed time and then dropping what expired. */
  putBatch(writes: readonly WindowBytesWrite[]): void;
}

/** A session's bytes as a session backend returns them. */
export interface SessionBytesEntry {
  readonly key: Buffer;
  readonly start: number;
  readonly end: number;
  readonly value: Buffer;
}

/** A write to a session backend; a `null` value removes the session. */
export interface SessionBytesWrite {
  readonly key: Buffer;
  readonly start: number;
  readonly end: number;
  readonly value: Buffer | null;
}

/**
 * Session aggregates by key bytes and session bounds, kept for `retentionMs` after the session's
 * end. The observed time is the largest session end written with a value (removing a merged
 * session is not new data, so tombstones do not advance it); a session is expired once
 * `end <= observedTime - retentionMs`. Writes of expired sessions are ignored; reads never
 * return them; expired data is dropped in bulk.
 */
export interface SessionBytesBackend extends BytesBackend {
  readonly retentionMs: number;
  /** The largest session end written with a value, or `-Infinity` when none. */
  readonly observedTime: number;
  /** The value of exactly this session, or `undefined`. */
  get(key: Buffer, start: number, end: number): Buffer | undefined;
  /**
   * `key`'s sessions with `end >= earliestSessionEnd` and `start <= latestSessionStart`, by end
   * then start (Kafka's session key order within a key).
   */
  findSessions(key: Buffer, earliestSessionEnd: number, latestSessionStart: number): IterableIterator<SessionBytesEntry>;
  /** Writes sessions in order, advancing the observed time and then dropping what expired. */
  putBatch(writes: readonly SessionBytesWrite[]): void;
}

/** Supplies a key-value backend per task; from `Stores.inMemoryKeyValueStore` or `@tributary/level`. */
export interface KeyValueBytesStoreSupplier {
  readonly kind: 'key-value';
  /** The store's name, unique in its topology; it names the changelog topic. */
  readonly name: string;
  /** Makes a new, unopened backend. Called once per task. */
  get(): KeyValueBytesBackend;
}

/** Supplies a window backend per task; from `Stores.inMemoryWindowStore` or `@tributary/level`. */
export interface WindowBytesStoreSupplier {
  readonly kind: 'window';
  readonly name: string;
  /** How long windows are kept, measured against the store's observed time. */
  readonly retentionMs: number;
  /** The size of each window (the end of a window is its start plus this). */
  readonly windowSizeMs: number;
  /** Whether every put is kept as a duplicate (stream-stream joins) instead of replacing. */
  readonly retainDuplicates: boolean;
  get(): WindowBytesBackend;
}

/** Supplies a session backend per task; from `Stores.inMemorySessionStore` or `@tributary/level`. */
export interface SessionBytesStoreSupplier {
  readonly kind: 'session';
  readonly name: string;
  /** How long sessions are kept after their end, measured against the store's observed time. */
  readonly retentionMs: number;
  get(): SessionBytesBackend;
}

/**
 * A store that can rebuild itself from its changelog. Every store `Stores` builds is one; the
 * Kafka runtime replays a store's changelog partition into it before the task processes.
 */
export interface RestorableStateStore {
  /** Applies changelog records in order, in bulk: tombstones delete. Call after `init`, before processing. */
  restore(records: Iterable<ChangelogRecord>): void;
}

/** Whether `store` offers {@link RestorableStateStore.restore}. */
export function isRestorableStore(store: unknown): store is RestorableStateStore {
  return typeof store === 'object' && store !== null && typeof (store as Partial<RestorableStateStore>).restore === 'function';
}
