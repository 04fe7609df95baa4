/**
 * What the caching layers share (Kafka's `Caching*Store`s): a write-back cache of typed values
 * (`store-cache.ts`) between the metered layer and the bytes below, so a key written many times
 * between two commits is serialized, written and logged once, and reads of hot keys skip the serde.
 * At a flush (each commit, or when eviction needs room) every dirty entry is serialized and
 * written to the layer below in one batch, in the order of its last write, and then handed to the
 * flush listener (a DSL operator forwarding the store's changes) with the value the store held
 * before as its old value. Each kind of store adds its reads and writes and says how an entry
 * becomes a write.
 *
 * It also keeps the bookkeeping of `exclusive-writes.ts`: whether a cached value may be held by
 * anyone but the store's writer.
 */
import { Headers } from '../../processor/headers.js';
import type { RecordOrigin, StateStoreContext } from '../state-store.js';
import type { CacheFlushListener } from './flush-listener.js';
import { type CacheEntry, type CacheKeyIndex, StoreCache } from './store-cache.js';
import type { StoreSerdes } from './store-serdes.js';

/** The layer below a cache: it takes the cache's writes in batches. */
interface BatchingLayer<Write> {
  putBatch(writes: readonly Write[], timestamps: readonly number[]): void;
}

export abstract class CachingStore<K, V, ListenerKey, Write extends { readonly value: Buffer | null }> {
  readonly cache: StoreCache<K, V>;
  protected context: StateStoreContext | undefined;
  protected serdes!: StoreSerdes<K, V>;
  private listener: CacheFlushListener<ListenerKey, V> | undefined;
  private sendOldValues = false;
  private flushing = false;
  /**
   * Times cached values may have been handed out (a read by anyone but the writer, a flush): a
   * value the writer claimed before the last one may be held elsewhere (see `exclusive-writes.ts`).
   */
  private handOuts = 0;
  /** Whether the value the writer's last read returned is held for it alone (see `exclusive-writes.ts`). */
  fetchedExclusive = false;

  protected constructor(
    private readonly layerBelow: BatchingLayer<Write>,
    maxBytes: number,
    keyIndex: CacheKeyIndex,
  ) {
    this.cache = new StoreCache<K, V>(maxBytes, keyIndex);
  }

  /** Opens the cache for a task, with the serdes its metered layer resolved. */
  init(context: StateStoreContext, serdes: StoreSerdes<K, V>): void {
    this.context = context;
    this.serdes = serdes;
  }

  /**
   * Forgets every entry. Writes still in the cache are not flushed: they were not committed, and
   * the task replays their input after a restart, as it would after a crash.
   */
  close(): void {
    this.context = undefined;
    this.cache.clear();
  }

  /** The cache's bound in bytes. */
  get maxBytes(): number {
    return this.cache.maxBytes;
  }

  /** Rebounds the cache, evicting down to the new bound at once when open. */
  set maxBytes(bytes: number) {
    this.cache.maxBytes = bytes;
    if (this.context !== undefined) this.maybeEvict();
  }

  /** Registers the flush listener. Always `true`: the store caches (see `FlushListenable`). */
  setFlushListener(listener: CacheFlushListener<ListenerKey, V>, sendOldValues: boolean): boolean {
    this.listener = listener;
    this.sendOldValues = sendOldValues;
    return true;
  }

  /** Records that cached values may now be held elsewhere: values the writer claimed are no longer its alone. */
  handOut(): void {
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
    if (value !== null && this.cache.needsValueEstimate) this.cache.measureValue(this.serdes.rawValue(value).length);
  }

  /** Keeps where the record writing a cache entry came from, to hand it back when the entry flushes. */
  protected keepRecordOrigin(entry: CacheEntry<K, V>): void {
    this.context!.copyRecordOrigin?.(entry);
  }

  /** The write of a cache entry to the layer below, with its value's bytes (`null` deletes). */
  protected abstract writeOf(entry: CacheEntry<K, V>, valueBytes: Buffer | null): Write;

  /** The bytes the layer below holds for a cache entry's key (and window), if any. */
  protected abstract storedBytesOf(entry: CacheEntry<K, V>): Buffer | undefined;

  /** The key the flush listener gets for a cache entry. */
  protected abstract listenerKeyOf(entry: CacheEntry<K, V>): ListenerKey;

  /** Whether a cache entry's window or session has expired, so the backend drops its write. */
  protected expired(_entry: CacheEntry<K, V>): boolean {
    return false;
  }

  /**
   * Whether an expired entry stays in the cache, clean, after its flush, as in Kafka's caching
   * session store, whose cache drops only flushed deletes and evictions.
   */
  protected keepsExpiredCached(): boolean {
    return false;
  }

  /** Flushes the dirty entries to the layer below and the listener. */
  flush(): void {
    const cache = this.cache;
    if (this.flushing || cache.dirtyCount === 0) return;
    this.flushing = true;
    // The listener forwards the flushed values: from now on the writer copies before changing one.
    this.handOut();
    try {
      // Entries that expired while cached (stream time moved on before the commit) are still
      // written, so logged and reported, as Kafka's caching layer does: they hold final results
      // that downstream (suppression, say) must see. The backend drops them.
      const dirty = cache.takeDirty();
      const count = dirty.length;
      const writes: Write[] = [];
      const timestamps: number[] = [];
      // Entries skipped: a delete of a key the store does not hold, when a listener is set,
      // reaches neither the layer below nor the listener (Kafka's caching stores skip it; without
      // a listener they put, and log, every entry).
      let skipped: boolean[] | undefined;
      const newValues: (V | null)[] = new Array(count);
      const listener = this.listener;
      const oldBytes: (Buffer | undefined)[] | undefined = listener === undefined ? undefined : new Array(count);
      let measured = 0;
      let valueCount = 0;
      for (let index = 0; index < count; index++) {
        const entry = dirty[index]!;
        const value = entry.value;
        const valueBytes = value === null ? null : this.serdes.rawValue(value);
        newValues[index] = value;
        // The old value is only needed when asked for, or to skip deletes of absent keys.
        if (oldBytes !== undefined && (this.sendOldValues || valueBytes === null)) oldBytes[index] = this.storedBytesOf(entry);
        if (valueBytes === null && oldBytes !== undefined && oldBytes[index] === undefined) {
          (skipped ??= new Array<boolean>(count).fill(false))[index] = true;
          cache.remove(entry);
          continue;
        }
        writes.push(this.writeOf(entry, valueBytes));
        timestamps.push(entry.timestamp);
        if (valueBytes === null || (!this.keepsExpiredCached() && this.expired(entry))) {
          cache.remove(entry);
        } else {
          cache.markClean(entry, valueBytes.length);
          measured += valueBytes.length;
          valueCount++;
        }
      }
      if (valueCount > 0) cache.measureValue(measured / valueCount);
      if (writes.length > 0) this.layerBelow.putBatch(writes, timestamps);
      if (listener !== undefined) this.forward(listener, dirty, newValues, oldBytes!, skipped);
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Hands each flushed entry to the listener, as from the record that wrote it (Kafka restores a
   * cached entry's record context); the origin set before the flush is set again when it ends.
   */
  private forward(
    listener: CacheFlushListener<ListenerKey, V>,
    dirty: readonly CacheEntry<K, V>[],
    newValues: readonly (V | null)[],
    oldBytes: readonly (Buffer | undefined)[],
    skipped: readonly boolean[] | undefined,
  ): void {
    const context = this.context!;
    let outerOrigin: RecordOrigin | undefined;
    let originSet = false;
    try {
      for (let index = 0; index < dirty.length; index++) {
        if (skipped?.[index] === true) continue;
        const old = oldBytes[index];
        const entry = dirty[index]!;
        const previous = context.setRecordOrigin?.(entry);
        if (!originSet) {
          outerOrigin = previous;
          originSet = true;
        }
        const headers = entry.headers;
        listener(
          this.listenerKeyOf(entry),
          newValues[index] as V | null,
          this.sendOldValues && old !== undefined ? this.serdes.valueFrom(old) : null,
          entry.timestamp,
          headers === undefined || headers instanceof Headers ? headers : new Headers(headers),
        );
      }
    } finally {
      if (originSet) context.setRecordOrigin?.(outerOrigin);
    }
  }

  /** Evicts least recently used entries while the cache is over its bound, flushing first if the eldest is dirty. */
  protected maybeEvict(): void {
    const cache = this.cache;
    if (cache.bytes <= cache.maxBytes || this.flushing) return;
    while (cache.bytes > cache.maxBytes) {
      const eldest = cache.eldest;
      if (eldest === undefined) return;
      if (eldest.dirty) {
        this.flush();
        if (eldest.dirty) return;
        continue;
      }
      cache.remove(eldest);
    }
  }
}
