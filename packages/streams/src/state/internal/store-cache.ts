/**
 * The write-back cache of one store's caching layer (Kafka's `NamedCache`): typed keys and
 * values, so the hot path neither serializes values nor deserializes them twice. Reads that miss are filled from
 * the backend as clean entries; writes make entries dirty; the store serializes each dirty entry
 * once when it flushes (at commit, or when eviction needs room).
 *
 * The cache is bounded in bytes, like Kafka's, but a typed object's size is unknown until it is
 * serialized. So each entry is charged its id's length, a fixed per-entry overhead, and its value
 * bytes: exact for clean entries (the bytes were read or just written) and, for dirty ones, an
 * estimate — the store's average serialized value size, measured at every flush. The overhead is
 * what an entry holds on the heap besides its value, measured (`store-cache.test.ts`), so that
 * `cacheMaxBytes` bounds memory rather than a count of serialized bytes. Eviction is LRU
 * (a doubly linked list through the entries, so a touch is O(1)); when the eldest entry is dirty,
 * the store flushes every dirty entry first (as Kafka does) and then evicts.
 */

import type { Header } from '../../processor/headers.js';
import type { RecordOrigin } from '../state-store.js';
import type { SampledStat } from '../../metrics/internal/sampled-stat.js';

/**
 * What an entry holds on the heap beyond its id's length and its value bytes: the entry object
 * (with its boxed times), its Map slot, the id and key-id strings, the key bytes (a `Buffer`),
 * the typed key, and its slot in the dirty lists. Measured at 330 to 590 bytes an entry, key and
 * value included, for 10- to 100-byte keys in key-value and window stores (Node 20, 64-bit);
 * 120, the figure before, undercharged entries by 1.5 to 3 times.
 */
const entryOverheadBytes = 400;

/** One cached key, with its typed key and value and its place in the LRU list. */
export class CacheEntry<K, V> implements RecordOrigin {
  /** Towards the eldest entry. */
  older: CacheEntry<K, V> | undefined = undefined;
  /** Towards the newest entry. */
  newer: CacheEntry<K, V> | undefined = undefined;
  dirty = false;
  /** When the entry was last written, for flushing in write order. */
  writeSequence = 0;
  /** Bytes this entry is charged. */
  size = 0;
  /** Where the record that last wrote the entry came from (a {@link RecordOrigin}), handed back when it flushes. */
  topic: string | undefined = undefined;
  partition = -1;
  offset = -1;
  headers: Iterable<Header> | undefined = undefined;
  /**
   * The store's hand-out count when the store's writer last claimed the value as its own (see
   * `exclusive-writes.ts`); the value is still the writer's alone while the count is unchanged.
   */
  exclusiveAt = -1;
  /** Whether the entry is in its cache: from {@link StoreCache.add} until it is removed or the cache cleared. */
  cached = false;

  constructor(
    /** Unique in the store: the key bytes as latin1, plus the window or session for those stores. */
    readonly id: string,
    /** The key bytes as latin1 (equal to `id` in key-value stores). */
    readonly keyId: string,
    readonly key: K,
    readonly keyBytes: Buffer,
    /** The value; `null` for a dirty delete. */
    public value: V | null,
    /** The timestamp the changelog record and flush event get. */
    public timestamp: number,
    /** Window start, or session end. */
    readonly time: number,
    /** Window seqnum, or session start. */
    readonly tiebreak: number,
  ) {}
}

/**
 * Which entries a cache also indexes by key: none (key-value stores scan dirty entries by id), the
 * dirty ones (window stores merge them into reads), or all, clean too (session stores read their
 * whole cache, as Kafka's caching session store does).
 */
export type CacheKeyIndex = 'none' | 'dirty' | 'cached';

export class StoreCache<K, V> {
  private readonly entries = new Map<string, CacheEntry<K, V>>();
  private eldestEntry: CacheEntry<K, V> | undefined;
  private newestEntry: CacheEntry<K, V> | undefined;
  private dirtyEntries: CacheEntry<K, V>[] = [];
  private dirtySortedById: CacheEntry<K, V>[] | undefined;
  private dirtyByKeyId: Map<string, CacheEntry<K, V>[]> | undefined;
  /** Every cached entry (clean or dirty) by key, for the stores that index them all. */
  private entriesByKeyId: Map<string, CacheEntry<K, V>[]> | undefined;
  private totalBytes = 0;
  /** The average serialized value size so far; `undefined` until something was measured. */
  private valueBytes: number | undefined;
  private writeSequence = 0;
  /** Whether a dirty entry was written again since the last flush (so write order differs from dirty order). */
  private rewritten = false;

  constructor(
    /** The bound in bytes; a runtime may change it (see `MeteredStore.setCacheMaxBytes`). */
    public maxBytes: number,
    keyIndex: CacheKeyIndex,
  ) {
    if (keyIndex === 'dirty') this.dirtyByKeyId = new Map();
    else if (keyIndex === 'cached') this.entriesByKeyId = new Map();
  }

  /** Bytes charged to the cache. */
  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get dirtyCount(): number {
    return this.dirtyEntries.length;
  }

  get eldest(): CacheEntry<K, V> | undefined {
    return this.eldestEntry;
  }

  /** Whether the value size estimate needs a first measurement. */
  get needsValueEstimate(): boolean {
    return this.valueBytes === undefined;
  }

  /** Feeds the estimate one measured serialized value size. */
  measureValue(bytes: number): void {
    this.valueBytes = this.valueBytes === undefined ? bytes : (this.valueBytes * 7 + bytes) / 8;
  }

  /** The entry for `id`, marked as most recently used. */
  get(id: string): CacheEntry<K, V> | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined) this.touch(entry);
    return entry;
  }

  /** Marks an entry (which must be in the cache) as most recently used. */
  touch(entry: CacheEntry<K, V>): void {
    if (entry === this.newestEntry) return;
    this.unlink(entry);
    this.link(entry);
  }

  /**
   * A read's look-up: {@link get}, counted as a hit or a miss. With a hit-ratio stat (metrics at
   * `DEBUG`), each read also records the ratio so far, as Kafka's `NamedCache` does.
   */
  read(id: string): CacheEntry<K, V> | undefined {
    return this.readEntry(this.entries.get(id));
  }

  /**
   * A read's look-up, for a store that found the entry itself (or found there is none) without
   * its id: as {@link read}, marks it most recently used and counts a hit or a miss.
   */
  readEntry(entry: CacheEntry<K, V> | undefined): CacheEntry<K, V> | undefined {
    if (entry === undefined) {
      this.misses++;
    } else {
      this.hits++;
      this.touch(entry);
    }
    if (this.hitRatio !== undefined) this.hitRatio.record(this.hits / (this.hits + this.misses));
    return entry;
  }

  /** The entry for `id`, without marking it used. */
  peek(id: string): CacheEntry<K, V> | undefined {
    return this.entries.get(id);
  }

  /** Reads that found their key in the cache. */
  hits = 0;
  /** Reads that did not. */
  misses = 0;
  /** Where {@link read} records the hit ratio, when metrics record at `DEBUG`. */
  hitRatio: SampledStat | undefined = undefined;

  /** Adds a new entry, clean with its exact value size, or dirty. */
  add(entry: CacheEntry<K, V>, dirty: boolean, valueSize: number): void {
    this.entries.set(entry.id, entry);
    entry.cached = true;
    this.link(entry);
    if (this.entriesByKeyId !== undefined) {
      const forKey = this.entriesByKeyId.get(entry.keyId);
      if (forKey === undefined) this.entriesByKeyId.set(entry.keyId, [entry]);
      else forKey.push(entry);
    }
    if (dirty) this.markDirty(entry, entry.value, entry.timestamp);
    else this.charge(entry, valueSize);
  }

  /** Writes an entry's value and makes it dirty (it must be in the cache, and most recently used). */
  markDirty(entry: CacheEntry<K, V>, value: V | null, timestamp: number): void {
    entry.value = value;
    entry.timestamp = timestamp;
    this.charge(entry, value === null ? 0 : (this.valueBytes ?? 64));
    entry.writeSequence = ++this.writeSequence;
    if (entry.dirty) {
      this.rewritten = true;
      return;
    }
    entry.dirty = true;
    this.dirtyEntries.push(entry);
    this.dirtySortedById = undefined;
    if (this.dirtyByKeyId !== undefined) {
      const forKey = this.dirtyByKeyId.get(entry.keyId);
      if (forKey === undefined) this.dirtyByKeyId.set(entry.keyId, [entry]);
      else forKey.push(entry);
    }
  }

  /** Dirty entries, sorted by id (byte order for key-value stores). */
  dirtyById(): readonly CacheEntry<K, V>[] {
    if (this.dirtySortedById === undefined) {
      this.dirtySortedById = this.dirtyEntries.slice().sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
    }
    return this.dirtySortedById;
  }

  /** Dirty entries of one key, in the order they became dirty. */
  dirtyOfKey(keyId: string): readonly CacheEntry<K, V>[] | undefined {
    return this.dirtyByKeyId?.get(keyId);
  }

  /**
   * Every cached entry of one key, clean or dirty, in no particular order (only for caches that
   * index them all by key). A session store's look-ups read them all, as Kafka's caching session store
   * ranges over its whole cache.
   */
  cachedOfKey(keyId: string): readonly CacheEntry<K, V>[] | undefined {
    return this.entriesByKeyId?.get(keyId);
  }

  /** Every dirty entry, in the order they became dirty. */
  allDirty(): readonly CacheEntry<K, V>[] {
    return this.dirtyEntries;
  }

  /**
   * Hands the dirty entries to a flush and starts a new dirty set. The entries stay marked dirty
   * until the flush calls {@link markClean} or {@link remove} on each.
   */
  takeDirty(): CacheEntry<K, V>[] {
    const taken = this.dirtyEntries;
    // Flush in the order of the last write, as Kafka's cache does: downstream (suppression, say)
    // then sees updates in the order their records were processed.
    if (this.rewritten) taken.sort((left, right) => left.writeSequence - right.writeSequence);
    this.rewritten = false;
    this.dirtyEntries = [];
    this.dirtySortedById = undefined;
    this.dirtyByKeyId?.clear();
    return taken;
  }

  /** Marks a flushed entry clean, charging its exact serialized value size. */
  markClean(entry: CacheEntry<K, V>, valueSize: number): void {
    entry.dirty = false;
    this.charge(entry, valueSize);
  }

  /** Removes an entry (a flushed delete, or an eviction). */
  remove(entry: CacheEntry<K, V>): void {
    if (this.entries.get(entry.id) !== entry) return;
    this.entries.delete(entry.id);
    entry.cached = false;
    this.unlink(entry);
    const forKey = this.entriesByKeyId?.get(entry.keyId);
    if (forKey !== undefined) {
      if (forKey.length === 1) this.entriesByKeyId!.delete(entry.keyId);
      else forKey.splice(forKey.indexOf(entry), 1);
    }
    this.totalBytes -= entry.size;
    entry.size = 0;
  }

  /** Drops every clean entry; dirty ones stay. */
  clearClean(): void {
    for (let entry = this.eldestEntry; entry !== undefined; ) {
      const next = entry.newer;
      if (!entry.dirty) this.remove(entry);
      entry = next;
    }
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.cached = false;
    this.entries.clear();
    this.eldestEntry = undefined;
    this.newestEntry = undefined;
    this.dirtyEntries = [];
    this.dirtySortedById = undefined;
    this.dirtyByKeyId?.clear();
    this.entriesByKeyId?.clear();
    this.totalBytes = 0;
  }

  private charge(entry: CacheEntry<K, V>, valueSize: number): void {
    const size = entryOverheadBytes + entry.id.length + valueSize;
    this.totalBytes += size - entry.size;
    entry.size = size;
  }

  private link(entry: CacheEntry<K, V>): void {
    entry.older = this.newestEntry;
    entry.newer = undefined;
    if (this.newestEntry === undefined) this.eldestEntry = entry;
    else this.newestEntry.newer = entry;
    this.newestEntry = entry;
  }

  private unlink(entry: CacheEntry<K, V>): void {
    if (entry.older === undefined) this.eldestEntry = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newestEntry = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
