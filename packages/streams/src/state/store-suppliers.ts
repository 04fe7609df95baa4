/**
 * Store suppliers and the byte-level backends they supply: the bottom of a store's layers, as
 * Kafka Streams stacks them (metered, caching, change-logging, then the backend; see
 * docs/state-stores.md), where the bytes live (in memory here, LevelDB in `@tributary/level`, or
 * your own). A backend only stores and orders bytes; everything else — serdes, the cache,
 * changelog records in Kafka's formats, metrics, dropped-record counting — is done by the layers
 * above it, so a new backend implements only the small interfaces below and gets all of that.
 *
 * Every backend call is synchronous: the engine calls stores on the hot path, one record at a
 * time. A backend that writes to disk should apply its writes in one batch at {@link
 * KeyValueBytesBackend.flush} (or in `putBatch`), never a promise per record.
 */
import type { StateStore, StateStoreContext, StoreBuilder } from './state-store.js';

/** A key and value of bytes, as backends return them. */
export interface BytesEntry {
  /** The key as the store's key serde wrote it; entries are ordered by these bytes, unsigned. */
  readonly key: Buffer;
  /** The stored bytes; never `null`, since deleted keys have no entry. */
  readonly value: Buffer;
}

/** A write of bytes: a `null` value deletes the key. */
export interface BytesWrite {
  /** The serialized key to write or delete. */
  readonly key: Buffer;
  /** The bytes to store, or `null` to delete the key. */
  readonly value: Buffer | null;
}

/** A record of a store's changelog topic, as a restore reads it: a `null` value is a tombstone. */
export interface ChangelogRecord {
  /** The changelog record's key bytes, in the store's changelog key format (windowed stores add the window). */
  readonly key: Buffer;
  /** The changelog record's value bytes, or `null` for a tombstone, which deletes the key on restore. */
  readonly value: Buffer | null;
  /**
   * The changelog record's timestamp, epoch ms. Timestamped stores need it: their changelog holds
   * the bare value, and the record's timestamp is the value's (Kafka's format).
   */
  readonly timestamp?: number;
  /**
   * Whether the record has the `tributary.changelog.bare` header: its value is bare, whatever its
   * first bytes. Read only under `upgradeFrom: 'prefixed-changelogs'`, where a value starting with
   * its own timestamp is otherwise taken for a pre-0.1 build's prefixed record.
   */
  readonly bareValue?: boolean;
}

/** What a changelog record of a store's key would carry for what the store holds there. */
export interface ChangelogValue {
  /** The record's value bytes, in the store's changelog format. */
  readonly value: Buffer;
  /** The record's timestamp, for stores whose changelog records carry their value's timestamp; else `undefined`. */
  readonly timestamp: number | undefined;
  /** Whether the record needs the `tributary.changelog.bare` header (see {@link ChangelogRecord.bareValue}); always `false` without `upgradeFrom`. */
  readonly bareValue: boolean;
}

/** What every backend shares: a name, whether it is on disk, and its lifecycle. */
export interface BytesBackend {
  /** The store's name, as its supplier gave it; persistent backends name their files after it. */
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
  /** The serialized record key, without the window. */
  readonly key: Buffer;
  /** The window's start, epoch ms. */
  readonly windowStart: number;
  /** Distinguishes duplicates of one key and window when the store retains duplicates; else 0. */
  readonly seqnum: number;
  /** The stored bytes; never `null`, since deleted windows have no entry. */
  readonly value: Buffer;
}

/** A write to a window backend; a `null` value deletes the window. */
export interface WindowBytesWrite {
  /** The serialized record key, without the window. */
  readonly key: Buffer;
  /** The window's start, epoch ms; also what advances the observed time. */
  readonly windowStart: number;
  /** Which duplicate of the key and window to write, when the store retains duplicates; else 0. */
  readonly seqnum: number;
  /** The bytes to store, or `null` to delete the window. */
  readonly value: Buffer | null;
}

/**
 * Values by key bytes and window start, kept for `retentionMs` (Kafka's segmented window bytes
 * stores). The backend tracks its observed time, the largest window start written to it (by a
 * value or a tombstone); a window is expired once `windowStart <= observedTime - retentionMs`.
 * Writes to expired windows are ignored (the metered layer above counts them; the change-logging
 * layer logs them all the same); reads never return expired windows; expired data is dropped in
 * bulk (by segment or range), not key by key. In a store retaining duplicates every write names a
 * seqnum never used before, so a `null` one deletes nothing.
 */
export interface WindowBytesBackend extends BytesBackend {
  /** How long windows are kept, ms, measured from their start back from the observed time. */
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
  /**
   * The largest seqnum stored, or 0 when empty. A store retaining duplicates resumes after it
   * when it opens over data (a reopened LevelDB), so new duplicates never overwrite old ones.
   * Optional: without it the store scans {@link fetchAll} once at open.
   */
  maxSeqnum?(): number;
}

/** A session's bytes as a session backend returns them. */
export interface SessionBytesEntry {
  /** The serialized record key, without the session bounds. */
  readonly key: Buffer;
  /** Timestamp of the session's first record, epoch ms, inclusive. */
  readonly start: number;
  /** Timestamp of the session's last record, epoch ms, inclusive. */
  readonly end: number;
  /** The session aggregate's bytes; never `null`, since removed sessions have no entry. */
  readonly value: Buffer;
}

/** A write to a session backend; a `null` value removes the session. */
export interface SessionBytesWrite {
  /** The serialized record key, without the session bounds. */
  readonly key: Buffer;
  /** Timestamp of the session's first record, epoch ms, inclusive. */
  readonly start: number;
  /** Timestamp of the session's last record, epoch ms, inclusive. */
  readonly end: number;
  /** The aggregate's bytes, or `null` to remove the session (as a merge does with the sessions it absorbs). */
  readonly value: Buffer | null;
}

/**
 * Session aggregates by key bytes and session bounds, kept for `retentionMs` after the session's
 * end. The observed time is the largest session end written, tombstones included (as in Kafka:
 * with caching, a session's removal can reach the changelog without the put that first reached
 * its time, and a restore must reach the same time); a session is expired once
 * `end <= observedTime - retentionMs`. Writes of expired sessions are ignored; reads never
 * return them; expired data is dropped in bulk.
 */
export interface SessionBytesBackend extends BytesBackend {
  /** How long sessions are kept after their end, ms, measured back from the observed time. */
  readonly retentionMs: number;
  /** The largest session end written (tombstones included), or `-Infinity` when none. */
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
  /** Tells suppliers apart at run time, so `Stores.keyValueStoreBuilder` can reject a window supplier with a clear error. */
  readonly kind: 'key-value';
  /** The store's name, unique in its topology; it names the changelog topic. */
  readonly name: string;
  /** Makes a new, unopened backend. Called once per task. */
  get(): KeyValueBytesBackend;
}

/** Supplies a window backend per task; from `Stores.inMemoryWindowStore` or `@tributary/level`. */
export interface WindowBytesStoreSupplier {
  /** Tells suppliers apart at run time, so `Stores.windowStoreBuilder` can reject another kind with a clear error. */
  readonly kind: 'window';
  /** The store's name, unique in its topology; it names the changelog topic. */
  readonly name: string;
  /** How long windows are kept, measured against the store's observed time. */
  readonly retentionMs: number;
  /** The size of each window (the end of a window is its start plus this). */
  readonly windowSizeMs: number;
  /** Whether every put is kept as a duplicate (stream-stream joins) instead of replacing. */
  readonly retainDuplicates: boolean;
  /** Makes a new, unopened backend. Called once per task. */
  get(): WindowBytesBackend;
}

/** Supplies a session backend per task; from `Stores.inMemorySessionStore` or `@tributary/level`. */
export interface SessionBytesStoreSupplier {
  /** Tells suppliers apart at run time, so `Stores.sessionStoreBuilder` can reject another kind with a clear error. */
  readonly kind: 'session';
  /** The store's name, unique in its topology; it names the changelog topic. */
  readonly name: string;
  /** How long sessions are kept after their end, measured against the store's observed time. */
  readonly retentionMs: number;
  /** Makes a new, unopened backend. Called once per task. */
  get(): SessionBytesBackend;
}

/**
 * A store that can rebuild itself from its changelog. Every store `Stores` builds is one; the
 * Kafka runtime replays a store's changelog partition into it before the task processes.
 */
export interface RestorableStateStore {
  /** Applies changelog records in order, in bulk: tombstones delete. Call after `init`, before processing. */
  restore(records: Iterable<ChangelogRecord>): void;
  /**
   * The value a changelog record of `changelogKey` (in the store's changelog key format) would
   * carry for what the store's backend holds now, or `undefined` when it holds nothing there (a
   * tombstone). Read past the cache: a driver rolling an uncommitted changelog tail back writes
   * these as compensating records, after a restore and before the task processes. A timestamped
   * store gives the bare value with its timestamp, for the record's timestamp.
   */
  changelogValue(changelogKey: Buffer): ChangelogValue | undefined;
}

/** Whether `store` offers {@link RestorableStateStore.restore}. */
export function isRestorableStore(store: unknown): store is RestorableStateStore {
  return typeof store === 'object' && store !== null && typeof (store as Partial<RestorableStateStore>).restore === 'function';
}

/** Where a task's store lives: enough for a persistent supplier to find its directory. */
export type StoreLocation = Pick<StateStoreContext, 'stateDir' | 'applicationId' | 'taskId'> & {
  /**
   * Whether the store's own files are the only copy of its data, with no changelog to restore
   * it from (the embedded runner, whose topics hold nothing). A persistent store that finds data
   * newer than its checkpoint (a crash between a flush and the checkpoint after it) then keeps
   * that data, each flush being atomic, rather than wiping it to restore from the changelog.
   * Defaults to `false`.
   */
  readonly dataOnlyOnDisk?: boolean;
};

/** Options of {@link StoreHandle.restore}. */
export interface RestoreOptions {
  /** Changelog records per write batch. Defaults to 4096. */
  readonly batchSize?: number;
  /** Called after each batch is written, with the records restored so far. */
  readonly onProgress?: (restored: number) => void;
}

/**
 * The asynchronous side of a persistent store (LevelDB), which a driver holds per task: the
 * engine calls stores synchronously, so opening, waiting for writes to land, checkpoints and
 * bulk restores happen here, at task start and commit boundaries. A driver gets one from
 * {@link PreparableStoreSupplier.prepare} before the task's stores are initialized, restores
 * through it, awaits {@link StoreHandle.commit} after each engine commit (which flushed the stores
 * synchronously into a pending batch) and writes the checkpoint, at every commit or, as Kafka
 * Streams does, once the task's changelogs moved far enough past the last one (the Kafka
 * runtime: `checkpointThresholdRecords`; the embedded runner: 10,000 records) and at close.
 */
export interface StoreHandle {
  /** The store's directory (`<stateDir>/<applicationId>/<taskId>/<store>`): a driver deletes it, after `close`, to wipe the store. */
  readonly path: string;
  /** Whether opening found data without a matching checkpoint and wiped it: restore everything. */
  readonly wiped: boolean;
  /** The changelog offset the store's data reflects, from its checkpoint; `undefined` restores from the start. */
  checkpointOffset(): number | undefined;
  /** Waits until every flush so far has reached disk; rejects if a write failed. */
  commit(): Promise<void>;
  /**
   * Optional. From now on the store keeps each flush in memory (still readable) until the next
   * {@link StoreHandle.commit}, which a driver awaits only once the flush's offsets (or its
   * transaction) are committed: its files then never hold an uncommitted write, so a checkpoint
   * vouches for the committed flushes after it too, and after a crash the driver replays the
   * changelog from that older checkpoint instead of rebuilding the store from the start. Call
   * before the task's first flush. A store without it keeps what its checkpoint says exactly.
   */
  holdFlushesUntilCommit?(): void;
  /**
   * Waits for {@link StoreHandle.commit}, then records atomically that the store reflects its
   * changelog up to `offset`: the flushes made before this call, not one made while it waits.
   */
  writeCheckpoint(offset: number): Promise<void>;
  /**
   * Applies changelog records (in the changelog's key format; `null` values are tombstones) in
   * batches straight to the store's files. Call before the store's task initializes it, then
   * write a checkpoint. Returns how many records were applied.
   */
  restore(records: Iterable<ChangelogRecord> | AsyncIterable<ChangelogRecord>, options?: RestoreOptions): Promise<number>;
  /** Closes the store's files, after pending writes. */
  close(): Promise<void>;
}

/** A supplier whose stores open asynchronously: a driver awaits `prepare` for each task before it initializes. */
export interface PreparableStoreSupplier {
  /**
   * Opens the store's files for the task at `location`. Await it before the task's stores are
   * initialized; a second call for the same task before `init` returns the same handle.
   */
  prepare(location: StoreLocation): Promise<StoreHandle>;
}

/** Whether `supplier` must be prepared (opened asynchronously) before its task initializes. */
export function isPreparableSupplier(supplier: unknown): supplier is PreparableStoreSupplier {
  return typeof supplier === 'object' && supplier !== null && typeof (supplier as Partial<PreparableStoreSupplier>).prepare === 'function';
}

/** The supplier of `builder`'s stores when it must be prepared before its task initializes (a persistent one), else `undefined`. */
export function preparableSupplierOf(builder: StoreBuilder): PreparableStoreSupplier | undefined {
  const supplier = builder.supplier;
  return isPreparableSupplier(supplier) ? supplier : undefined;
}

/**
 * A store with a record cache whose bound a driver can set: the stores `Stores` builds. A driver
 * divides the application's cache budget among these, as Kafka Streams divides
 * `statestore.cache.max.bytes` among its threads' caches.
 */
export interface CachingStateStore extends StateStore {
  /** The cache's bound in bytes; `undefined` when the store does not cache. */
  readonly cacheMaxBytes: number | undefined;
  /** Rebounds the cache, evicting down to the new bound at once. Does nothing when the store does not cache. */
  setCacheMaxBytes(bytes: number): void;
}

/** Whether `store` has a record cache whose bound can be set ({@link CachingStateStore}). */
export function isCachingStore(store: StateStore): store is CachingStateStore {
  const candidate = store as Partial<CachingStateStore>;
  return typeof candidate.setCacheMaxBytes === 'function' && candidate.cacheMaxBytes !== undefined;
}
