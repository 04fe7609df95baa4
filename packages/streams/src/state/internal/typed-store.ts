/**
 * What the typed store layers share (Kafka's metered and caching layers, folded into one): the
 * serdes, the lifecycle checks, key encoding, timestamps for changelog records, and the write-back
 * cache with its flush listener and byte-bounded eviction, the cache's flush and the batched
 * restore. Each store kind adds its reads and writes, and the hooks that give a flush and a
 * restore its write shape, key formats and expiry.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import type { RecordOrigin, StateStoreContext } from '../state-store.js';
import type { BytesBackend, ChangelogRecord, ChangelogValue } from '../store-suppliers.js';
import type { CacheFlushListener } from './flush-listener.js';
import type { ValueAndTimestamp } from '../value-and-timestamp.js';
import { valueAndTimestampSerde } from './key-schemas.js';
import { type CacheEntry, type CacheKeyIndex, StoreCache } from './store-cache.js';
import type { SampledStat } from '../../metrics/internal/sampled-stat.js';
import type { StreamsConfig } from '../../config.js';
import { bareValueHeaders, bareValueOf, changelogUpgradeFrom, needsBareValueHeader, storedTimestamp, timestampedStoreValue } from './timestamped-changelog.js';

/** Shared by every serde call of the stores: store records carry no headers. */
const noHeaders = new Headers();

/** How many changelog records a restore hands the backend per batch. */
const restoreBatchSize = 4096;

/** What a typed store is built with. */
export interface TypedStoreOptions<K> {
  readonly name: string;
  /** `undefined` falls back to the application's `defaultKeySerde` at init, as in Kafka Streams. */
  readonly keySerde: Serde<K> | undefined;
  /**
   * The value serde; for a timestamped store, the serde of the value inside the
   * `ValueAndTimestamp` (the store wraps it in Kafka's timestamped layout).
   */
  readonly valueSerde: Serde<any> | undefined;
  /** Values are `ValueAndTimestamp`s: stored with their timestamp, and logged at it. */
  readonly timestamped: boolean;
  /** The cache's bound in bytes; `undefined` when caching is off. */
  readonly cacheMaxBytes: number | undefined;
}

/** A backend that takes its store kind's writes in batches. */
type BatchingBackend<Write> = BytesBackend & { putBatch(writes: readonly Write[]): void };

/**
 * The base of the typed stores. `ListenerKey` is the key the flush listener gets; `Write` is the
 * backend's write shape (a key-value write, or one with the window or session bounds).
 */
export abstract class TypedStore<K, V, ListenerKey, Write extends { readonly value: Buffer | null }> {
  readonly name: string;
  protected context: StateStoreContext | undefined;
  protected keySerde!: Serde<K>;
  protected valueSerde!: Serde<V>;
  /** The changelog topic: the topic serdes are told about, as Kafka does. */
  protected topic = '';
  protected readonly cache: StoreCache<K, V> | undefined;
  protected listener: CacheFlushListener<ListenerKey, V> | undefined;
  protected sendOldValues = false;
  protected flushing = false;
  /**
   * Times cached values may have been handed out (a read by anyone but the writer, a flush): a
   * value the writer claimed before the last one may be held elsewhere (see `exclusive-writes.ts`).
   */
  private handOuts = 0;
  /** Whether the value the writer's last read returned is held for it alone (see `exclusive-writes.ts`). */
  fetchedExclusive = false;
  // The last key encoded, kept for primitive keys: a get then a put of one key encodes it once.
  private lastKey: unknown = undefined;
  protected keyBytes: Buffer = Buffer.alloc(0);
  protected keyId = '';
  private open = false;
  /** The application's `upgradeFrom`: whether the changelog may hold a pre-0.1 build's prefixed records. */
  private upgradeFrom: StreamsConfig['upgradeFrom'];
  /** Whether values are `ValueAndTimestamp`s (tables and aggregates), for read-only views that unwrap them. */
  readonly timestamped: boolean;

  protected constructor(
    private readonly backend: BatchingBackend<Write>,
    private readonly options: TypedStoreOptions<K>,
    cacheKeyIndex: CacheKeyIndex,
  ) {
    this.name = options.name;
    this.timestamped = options.timestamped;
    this.cache = options.cacheMaxBytes === undefined ? undefined : new StoreCache<K, V>(options.cacheMaxBytes, cacheKeyIndex);
  }

  get persistent(): boolean {
    return this.backend.persistent;
  }

  /**
   * Has the record cache record its hit ratio per read into `stat` (metrics at `DEBUG`). Returns
   * whether the store has a cache to measure.
   */
  recordCacheHitRatio(stat: SampledStat): boolean {
    if (this.cache === undefined) return false;
    this.cache.hitRatio = stat;
    return true;
  }

  /** The cache's bound in bytes; `undefined` when caching is off. */
  get cacheMaxBytes(): number | undefined {
    return this.cache?.maxBytes;
  }

  /**
   * Rebounds the cache (a runtime dividing its application-wide budget among its stores), evicting
   * down to the new bound at once. Does nothing when caching is off.
   */
  setCacheMaxBytes(bytes: number): void {
    if (this.cache === undefined) return;
    this.cache.maxBytes = bytes;
    if (this.open) this.maybeEvict();
  }

  get isOpen(): boolean {
    return this.open;
  }

  init(context: StateStoreContext): void {
    if (this.open) throw new StateStoreError(`State store '${this.name}' is already open; a store is initialized once, by its task.`);
    this.keySerde = this.resolveSerde(this.options.keySerde, context, 'defaultKeySerde', 'key');
    const valueSerde = this.resolveSerde<unknown>(this.options.valueSerde, context, 'defaultValueSerde', 'value');
    this.valueSerde = (this.timestamped ? valueAndTimestampSerde(valueSerde) : valueSerde) as Serde<V>;
    this.topic = context.changelogTopic(this.name);
    this.upgradeFrom = changelogUpgradeFrom(context.appConfigs);
    this.backend.open(context);
    this.context = context;
    this.open = true;
    this.lastKey = undefined;
  }

  close(): void {
    // Writes still in the cache are not flushed: they were not committed, and the task replays
    // their input after a restart, as it would after a crash.
    if (!this.open) return;
    this.open = false;
    this.cache?.clear();
    this.lastKey = undefined;
    this.backend.close();
  }

  setFlushListener(listener: CacheFlushListener<ListenerKey, V>, sendOldValues: boolean): boolean {
    if (this.cache === undefined) return false;
    this.listener = listener;
    this.sendOldValues = sendOldValues;
    return true;
  }

  protected checkOpen(): void {
    if (!this.open) {
      throw new StateStoreError(
        this.context === undefined
          ? `State store '${this.name}' is not open: it can be used once its task has initialized it (from a processor's init, process or punctuator).`
          : `State store '${this.name}' is closed; its task has shut down.`,
      );
    }
  }

  /** Sets `keyBytes` and `keyId` (the bytes as latin1) for `key`. */
  protected encodeKey(key: K): void {
    if (key === this.lastKey && key !== undefined) return;
    if (key === null || key === undefined) throw new StateStoreError(`State store '${this.name}' cannot hold a null key; drop or re-key such records before the store.`);
    const bytes = this.keySerde.serialize(this.topic, key, noHeaders);
    this.keyBytes = bytes;
    this.keyId = bytes.toString('latin1');
    // Objects could be mutated between calls, so only primitives are remembered.
    this.lastKey = typeof key === 'object' || typeof key === 'function' ? undefined : key;
  }

  /** Serializes a key without touching the remembered one (for range bounds). */
  protected serializeKey(key: K): Buffer {
    if (key === null) throw new StateStoreError(`State store '${this.name}' cannot hold a null key; drop or re-key such records before the store.`);
    return this.keySerde.serialize(this.topic, key, noHeaders);
  }

  protected serializeValue(value: V): Buffer {
    return this.valueSerde.serialize(this.topic, value, noHeaders);
  }

  protected deserializeValue(bytes: Buffer): V {
    return this.valueSerde.deserialize(this.topic, bytes, noHeaders);
  }

  protected deserializeKey(bytes: Buffer): K {
    return this.keySerde.deserialize(this.topic, bytes, noHeaders);
  }

  /**
   * The timestamp of a write: the value's own, else (a deletion, or a store without timestamps)
   * the current record's, as Kafka's caching and change-logging layers take it from the record
   * context; the stream time outside any record. Never negative: Kafka rejects that.
   */
  protected timestampFor(value: V | null): number {
    if (value !== null && this.timestamped) return (value as ValueAndTimestamp<unknown>).timestamp;
    const time = this.context!.currentRecordTimestampMs?.() ?? this.context!.currentStreamTimeMs();
    return time > 0 ? time : 0;
  }

  /** Records that cached values may now be held elsewhere: values the writer claimed are no longer its alone. */
  protected handOut(): void {
    this.handOuts++;
  }

  /** Makes an entry's value the writer's alone (it was just made or read by the writer), or not. */
  protected claim(entry: CacheEntry<K, V>, exclusive: boolean): void {
    entry.exclusiveAt = exclusive ? this.handOuts : -1;
  }

  /** Whether an entry's value is still the writer's alone. */
  protected isExclusive(entry: CacheEntry<K, V>): boolean {
    return entry.exclusiveAt === this.handOuts;
  }

  /** Seeds the cache's value size estimate with the first value written. */
  protected measureFirstValue(value: V | null): void {
    if (value !== null && this.cache!.needsValueEstimate) this.cache!.measureValue(this.serializeValue(value).length);
  }

  flush(): void {
    this.checkOpen();
    if (this.cache !== undefined) this.flushCache();
    this.backend.flush();
  }

  restore(records: Iterable<ChangelogRecord>): void {
    this.checkOpen();
    let batch: Write[] = [];
    for (const record of records) {
      batch.push(this.writeOfRecord(this.timestamped ? { key: record.key, value: timestampedStoreValue(record, this.name, this.upgradeFrom) } : record));
      if (batch.length === restoreBatchSize) {
        this.backend.putBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) this.backend.putBatch(batch);
    // Cached reads may predate the restored values; writes still dirty are newer and stay.
    this.cache?.clearClean();
  }

  changelogValue(changelogKey: Buffer): ChangelogValue | undefined {
    this.checkOpen();
    const stored = this.storedBytesOfWrite(this.writeOfRecord({ key: changelogKey, value: null }));
    if (stored === undefined) return undefined;
    if (!this.timestamped) return { value: stored, timestamp: undefined, bareValue: false };
    const value = bareValueOf(stored);
    const timestamp = storedTimestamp(stored);
    return { value, timestamp, bareValue: needsBareValueHeader(value, timestamp, this.upgradeFrom) };
  }

  /**
   * Logs a change in the store's changelog format: the stored bytes, or for a timestamped store
   * the bare value at its own timestamp (Kafka's format; a deletion at `timestamp`).
   */
  protected logChange(changelogKey: Buffer, valueBytes: Buffer | null, timestamp: number): void {
    const context = this.context!;
    if (!this.timestamped || valueBytes === null) {
      context.logChange(this.name, changelogKey, valueBytes, timestamp);
      return;
    }
    const value = bareValueOf(valueBytes);
    const valueTimestamp = storedTimestamp(valueBytes);
    context.logChange(this.name, changelogKey, value, valueTimestamp, bareValueHeaders(value, valueTimestamp, this.upgradeFrom));
  }

  /** The bytes the backend holds where `write` would go (its key, and window or session), if any. */
  protected abstract storedBytesOfWrite(write: Write): Buffer | undefined;

  /** The backend write of a cache entry, with its value's bytes (`null` deletes). */
  protected abstract writeOf(entry: CacheEntry<K, V>, valueBytes: Buffer | null): Write;

  /** The bytes the backend holds for a cache entry's key (and window), if any. */
  protected abstract storedBytesOf(entry: CacheEntry<K, V>): Buffer | undefined;

  /** Whether the backend still takes a cache entry (`false` once its window or session has expired). */
  protected liveInBackend(_entry: CacheEntry<K, V>): boolean {
    return true;
  }

  /**
   * Whether an entry the backend no longer takes (expired) stays in the cache, clean, after its
   * flush, as in Kafka's cache, which drops only flushed deletes and evictions.
   */
  protected keepsExpiredCached(): boolean {
    return false;
  }

  /** The changelog key of a write, in the store kind's changelog key format. */
  protected abstract changelogKeyOf(write: Write): Buffer;

  /** The key the flush listener gets for a cache entry. */
  protected abstract listenerKeyOf(entry: CacheEntry<K, V>): ListenerKey;

  /** The backend write of a changelog record, as a restore applies it. */
  protected abstract writeOfRecord(record: ChangelogRecord): Write;

  /** Keeps where the record writing a cache entry came from, to hand it back when the entry flushes. */
  protected keepRecordOrigin(entry: CacheEntry<K, V>): void {
    this.context!.copyRecordOrigin?.(entry);
  }

  /** Flushes the cache's dirty entries to the backend, the changelog and the listener. */
  protected flushCache(): void {
    const cache = this.cache!;
    if (this.flushing || cache.dirtyCount === 0) return;
    this.flushing = true;
    // The listener forwards the flushed values: from now on the writer copies before changing one.
    this.handOut();
    try {
      // Entries that expired while cached (stream time moved on before the commit) are still
      // logged and reported, as Kafka's caching layer does: they hold final results that
      // downstream (suppression, say) must see. Only the backend skips them.
      const dirty = cache.takeDirty();
      const count = dirty.length;
      // A write per entry, `undefined` for one skipped: a delete of a key the backend does not
      // hold, when a listener is set, reaches neither the backend, the changelog nor the listener
      // (Kafka's caching stores skip it; without a listener they put, and log, every entry).
      const writes: (Write | undefined)[] = new Array(count);
      // What the backend takes: `writes` itself, until an entry is skipped or not live.
      let backendWrites: Write[] | undefined;
      const newValues: (V | null)[] = new Array(count);
      const listener = this.listener;
      const oldBytes: (Buffer | undefined)[] | undefined = listener === undefined ? undefined : new Array(count);
      let measured = 0;
      let valueCount = 0;
      for (let index = 0; index < count; index++) {
        const entry = dirty[index]!;
        const value = entry.value;
        const valueBytes = value === null ? null : this.serializeValue(value);
        newValues[index] = value;
        // The old value is only needed when asked for, or to skip deletes of absent keys.
        if (oldBytes !== undefined && (this.sendOldValues || valueBytes === null)) oldBytes[index] = this.storedBytesOf(entry);
        if (valueBytes === null && oldBytes !== undefined && oldBytes[index] === undefined) {
          backendWrites ??= writes.slice(0, index) as Write[];
          cache.remove(entry);
          continue;
        }
        const write = this.writeOf(entry, valueBytes);
        writes[index] = write;
        const isLive = this.liveInBackend(entry);
        if (isLive) backendWrites?.push(write);
        else backendWrites ??= writes.slice(0, index) as Write[];
        if (valueBytes === null || (!isLive && !this.keepsExpiredCached())) {
          cache.remove(entry);
        } else {
          cache.markClean(entry, valueBytes.length);
          measured += valueBytes.length;
          valueCount++;
        }
      }
      if (valueCount > 0) cache.measureValue(measured / valueCount);
      const toBackend = backendWrites ?? (writes as Write[]);
      if (toBackend.length > 0) this.backend.putBatch(toBackend);
      for (let index = 0; index < count; index++) {
        const write = writes[index];
        if (write !== undefined) this.logChange(this.changelogKeyOf(write), write.value, dirty[index]!.timestamp);
      }
      const context = this.context!;
      if (listener === undefined) return;
      // Each write goes on as from the record that made it, as Kafka restores a cached entry's
      // record context; the origin set before the flush is set again when it ends.
      let outerOrigin: RecordOrigin | undefined;
      let originSet = false;
      try {
        for (let index = 0; index < count; index++) {
          if (writes[index] === undefined) continue;
          const old = oldBytes![index];
          const value = newValues[index] as V | null;
          const entry = dirty[index]!;
          const previous = context.setRecordOrigin?.(entry);
          if (!originSet) {
            outerOrigin = previous;
            originSet = true;
          }
          const headers = entry.headers;
          listener(
            this.listenerKeyOf(entry),
            value,
            this.sendOldValues && old !== undefined ? this.deserializeValue(old) : null,
            entry.timestamp,
            headers === undefined || headers instanceof Headers ? headers : new Headers(headers),
          );
        }
      } finally {
        if (originSet) context.setRecordOrigin?.(outerOrigin);
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Evicts least recently used entries while the cache is over its bound, flushing first if the eldest is dirty. */
  protected maybeEvict(): void {
    const cache = this.cache!;
    if (cache.bytes <= cache.maxBytes || this.flushing) return;
    while (cache.bytes > cache.maxBytes) {
      const eldest = cache.eldest;
      if (eldest === undefined) return;
      if (eldest.dirty) {
        this.flushCache();
        if (eldest.dirty) return;
        continue;
      }
      cache.remove(eldest);
    }
  }

  private resolveSerde<T>(own: Serde<T> | undefined, context: StateStoreContext, option: 'defaultKeySerde' | 'defaultValueSerde', part: string): Serde<T> {
    if (own !== undefined) return own;
    const fallback = context.appConfigs[option] as Partial<Serde<T>> | undefined;
    if (fallback !== undefined && fallback !== null && typeof fallback.serialize === 'function' && typeof fallback.deserialize === 'function') {
      return fallback as Serde<T>;
    }
    throw new StateStoreError(
      `State store '${this.name}' has no ${part} serde: give one to its builder (Stores.*StoreBuilder or Materialized.with), or set ${option} in the streams config.`,
    );
  }
}
