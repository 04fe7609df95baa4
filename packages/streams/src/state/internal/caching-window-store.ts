/**
 * The caching layer of a window store (Kafka's `CachingWindowStore`): one entry per key and
 * window, read first and filled from the layer below on a miss; writes stay dirty until a flush;
 * fetches lay the dirty entries over the layer below's windows. A window that expired while
 * cached is still flushed (logged and reported), and then leaves the cache. Stores retaining
 * duplicates are never cached: duplicates of one key and window cannot share an entry.
 */
import { windowed, type Windowed } from '../../kstream/windowed.js';
import type { KeyValue } from '../key-value-store.js';
import type { WindowBytesEntry, WindowBytesWrite } from '../store-suppliers.js';
import type { WindowBytesLayer } from './bytes-layers.js';
import { CachingStore } from './caching-store.js';
import type { ObservedTime } from './observed-time.js';
import { CacheEntry } from './store-cache.js';

/** The most cache ids {@link CachingWindowStore} remembers before it forgets them all (about 5 MB of strings). */
const maxRememberedIds = 65_536;
/** The most window ids remembered per key. */
const maxIdsPerKey = 16;

/**
 * What is remembered of one key's windows: their starts, their cache ids and their cache entries
 * (`undefined` when not cached), at the same positions.
 */
interface KeyWindowIds<K, V> {
  readonly starts: number[];
  readonly ids: string[];
  readonly entries: (CacheEntry<K, V> | undefined)[];
}

export class CachingWindowStore<K, V> extends CachingStore<K, V, Windowed<K>, WindowBytesWrite> {
  /**
   * Cache ids and entries by key id, then window start. An id prints the window start, a number
   * (too large for V8's small integers, so each print is slow), and joins two strings, which the
   * cache's map would then flatten and hash: remembered, an access to a window finds its entry by
   * one look-up of a string hashed before (the key's id) and a scan of the key's few live windows,
   * with no look-up by id. Every entry of this store is added through {@link get} or {@link put},
   * which remember it, so an entry remembered and no longer cached means the window is not cached.
   * A key's expired windows are forgotten when it gets a new one, and all past
   * {@link maxRememberedIds}; a window remembered anew looks its entry up by id once.
   */
  private readonly ids = new Map<string, KeyWindowIds<K, V>>();
  private rememberedIds = 0;
  /** The position in its key's {@link KeyWindowIds} of the window {@link windowOf} found last. */
  private position = 0;

  constructor(
    private readonly below: WindowBytesLayer,
    maxBytes: number,
    private readonly windowSizeMs: number,
    /** The store's observed time, which its metered layer advances. */
    private readonly observed: ObservedTime,
  ) {
    super(below, maxBytes, 'dirty');
  }

  /** The value of one window, through the cache; `forUpdate` for the writer (see `exclusive-writes.ts`). */
  get(keyId: string, keyBytes: Buffer, key: K, windowStart: number, forUpdate: boolean): V | undefined {
    if (!forUpdate) this.handOut();
    const cache = this.cache;
    const ofKey = this.windowOf(keyId, windowStart);
    const position = this.position;
    const remembered = ofKey.entries[position];
    const entry = cache.readEntry(remembered !== undefined && remembered.cached ? remembered : undefined);
    if (entry !== undefined) {
      this.fetchedExclusive = forUpdate && this.isExclusive(entry);
      return entry.value ?? undefined;
    }
    // A value read from below is a fresh object: the writer's alone.
    this.fetchedExclusive = forUpdate;
    const stored = this.below.get(keyBytes, windowStart, 0);
    if (stored === undefined) return undefined;
    const value = this.serdes.valueFrom(stored);
    const added = new CacheEntry<K, V>(ofKey.ids[position]!, keyId, key, keyBytes, value, 0, windowStart, 0);
    ofKey.entries[position] = added;
    this.claim(added, forUpdate);
    cache.add(added, false, stored.length);
    this.maybeEvict();
    return value;
  }

  /** Writes a window's value (`null` deletes) into the cache, dirty; `exclusive` when the writer alone holds it. */
  put(keyId: string, keyBytes: Buffer, key: K, value: V | null, timestamp: number, windowStart: number, exclusive: boolean): void {
    const cache = this.cache;
    const ofKey = this.windowOf(keyId, windowStart);
    const position = this.position;
    const remembered = ofKey.entries[position];
    let entry: CacheEntry<K, V>;
    if (remembered === undefined || !remembered.cached) {
      this.measureFirstValue(value);
      entry = new CacheEntry<K, V>(ofKey.ids[position]!, keyId, key, keyBytes, value, timestamp, windowStart, 0);
      ofKey.entries[position] = entry;
      cache.add(entry, true, 0);
    } else {
      entry = remembered;
      cache.touch(entry);
      cache.markDirty(entry, value, timestamp);
    }
    this.claim(entry, exclusive);
    this.keepRecordOrigin(entry);
    this.maybeEvict();
  }

  /** One key's windows with `from <= start <= to`, by start: those below with the dirty ones laid over them. */
  fetchRange(keyId: string, keyBytes: Buffer, from: number, to: number): IterableIterator<KeyValue<number, V>> {
    this.handOut();
    const result: KeyValue<number, V>[] = [];
    const dirty = dirtyInRange(this.cache.dirtyOfKey(keyId), from, to);
    let next = 0;
    for (const window of this.below.fetch(keyBytes, from, to)) {
      while (next < dirty.length && dirty[next]!.time < window.windowStart) pushDirty(result, dirty[next++]!, entryTime);
      if (next < dirty.length && dirty[next]!.time === window.windowStart) {
        pushDirty(result, dirty[next++]!, entryTime);
        continue;
      }
      result.push({ key: window.windowStart, value: this.serdes.valueFrom(window.value) });
    }
    while (next < dirty.length) pushDirty(result, dirty[next++]!, entryTime);
    return result[Symbol.iterator]();
  }

  /** Every key's windows with `from <= start <= to`, by start then key bytes, with the dirty ones laid over them. */
  fetchAll(from: number, to: number): IterableIterator<KeyValue<Windowed<K>, V>> {
    this.handOut();
    const result: KeyValue<Windowed<K>, V>[] = [];
    const dirty = dirtyInRange(this.cache.allDirty(), from, to);
    const size = this.windowSizeMs;
    const toWindowed = (entry: CacheEntry<K, V>): Windowed<K> => windowed(entry.key, entry.time, entry.time + size);
    let next = 0;
    for (const window of this.below.fetchAll(from, to)) {
      const keyId = window.key.toString('latin1');
      while (next < dirty.length && compareDirty(dirty[next]!, window, keyId) < 0) pushDirty(result, dirty[next++]!, toWindowed);
      if (next < dirty.length && compareDirty(dirty[next]!, window, keyId) === 0) {
        pushDirty(result, dirty[next++]!, toWindowed);
        continue;
      }
      result.push({ key: windowed(this.serdes.keyFrom(window.key), window.windowStart, window.windowStart + size), value: this.serdes.valueFrom(window.value) });
    }
    while (next < dirty.length) pushDirty(result, dirty[next++]!, toWindowed);
    return result[Symbol.iterator]();
  }

  protected writeOf(entry: CacheEntry<K, V>, valueBytes: Buffer | null): WindowBytesWrite {
    return { key: entry.keyBytes, windowStart: entry.time, seqnum: 0, value: valueBytes };
  }

  protected storedBytesOf(entry: CacheEntry<K, V>): Buffer | undefined {
    return this.below.get(entry.keyBytes, entry.time, 0);
  }

  protected listenerKeyOf(entry: CacheEntry<K, V>): Windowed<K> {
    return windowed(entry.key, entry.time, entry.time + this.windowSizeMs);
  }

  protected override expired(entry: CacheEntry<K, V>): boolean {
    return this.observed.expired(entry.time);
  }

  /**
   * What is remembered of `keyId`'s windows, with the window at `windowStart` among them at
   * {@link position} (remembered now if it was not, its entry looked up by id).
   */
  private windowOf(keyId: string, windowStart: number): KeyWindowIds<K, V> {
    let ofKey = this.ids.get(keyId);
    if (ofKey === undefined) {
      if (this.rememberedIds >= maxRememberedIds) this.forgetIds();
      ofKey = { starts: [], ids: [], entries: [] };
      this.ids.set(keyId, ofKey);
    }
    const starts = ofKey.starts;
    for (let index = 0; index < starts.length; index++) {
      if (starts[index] === windowStart) {
        this.position = index;
        return ofKey;
      }
    }
    this.forgetExpiredIds(ofKey);
    // A key with many live windows (short advances, long retention) starts its list again, so scans stay short.
    if (starts.length >= maxIdsPerKey) this.forgetIdsOf(ofKey);
    const id = `${keyId}|${windowStart}`;
    this.position = starts.length;
    starts.push(windowStart);
    ofKey.ids.push(id);
    ofKey.entries.push(this.cache.peek(id));
    this.rememberedIds++;
    return ofKey;
  }

  /** Forgets what is remembered of a key's windows that have expired. */
  private forgetExpiredIds(ofKey: KeyWindowIds<K, V>): void {
    const { starts, ids, entries } = ofKey;
    let kept = 0;
    for (let index = 0; index < starts.length; index++) {
      if (this.observed.expired(starts[index]!)) continue;
      starts[kept] = starts[index]!;
      ids[kept] = ids[index]!;
      entries[kept] = entries[index];
      kept++;
    }
    this.rememberedIds -= starts.length - kept;
    starts.length = kept;
    ids.length = kept;
    entries.length = kept;
  }

  private forgetIdsOf(ofKey: KeyWindowIds<K, V>): void {
    this.rememberedIds -= ofKey.starts.length;
    ofKey.starts.length = 0;
    ofKey.ids.length = 0;
    ofKey.entries.length = 0;
  }

  private forgetIds(): void {
    this.ids.clear();
    this.rememberedIds = 0;
  }

  override close(): void {
    this.forgetIds();
    super.close();
  }
}

function entryTime(entry: CacheEntry<unknown, unknown>): number {
  return entry.time;
}

/** Dirty entries with `from <= start <= to`, by start then key bytes. */
function dirtyInRange<K, V>(entries: readonly CacheEntry<K, V>[] | undefined, from: number, to: number): CacheEntry<K, V>[] {
  if (entries === undefined || entries.length === 0) return [];
  return entries
    .filter((entry) => entry.time >= from && entry.time <= to)
    .sort((left, right) => left.time - right.time || (left.keyId < right.keyId ? -1 : left.keyId > right.keyId ? 1 : 0));
}

function pushDirty<K, V, T>(result: KeyValue<T, V>[], entry: CacheEntry<K, V>, keyOf: (entry: CacheEntry<K, V>) => T): void {
  if (entry.value !== null) result.push({ key: keyOf(entry), value: entry.value });
}

/** Orders a dirty entry against a stored window: by start, then key bytes. */
function compareDirty(entry: CacheEntry<unknown, unknown>, window: WindowBytesEntry, keyId: string): number {
  if (entry.time !== window.windowStart) return entry.time - window.windowStart;
  return entry.keyId < keyId ? -1 : entry.keyId > keyId ? 1 : 0;
}
