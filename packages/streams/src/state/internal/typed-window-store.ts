/**
 * The typed window store over a window bytes backend: serdes, an optional write-back cache,
 * retention, and changelog records in Kafka's window key format. The store's observed time is
 * the largest window start put; a window is expired once `start <= observedTime - retentionMs`
 * (Kafka's `InMemoryWindowStore`): puts to it are dropped and counted, reads skip it.
 *
 * Without a cache every put is logged, even one the backend drops (an expired window, a null
 * among duplicates), as Kafka's change-logging layer does. A store that retains duplicates
 * (stream-stream joins) gives every put its own seqnum, nulls included, and is never cached: duplicates of one key and window cannot share a cache entry, and a join reads
 * what it wrote at once.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { windowed, type Windowed } from '../../kstream/windowed.js';
import type { KeyValue } from '../key-value-store.js';
import type { StateStoreContext } from '../state-store.js';
import type { ChangelogRecord, RestorableStateStore, WindowBytesBackend, WindowBytesEntry, WindowBytesWrite } from '../store-suppliers.js';
import type { WindowStore } from '../window-store.js';
import type { ExclusiveWindowWrites } from './exclusive-writes.js';
import type { FlushListenable } from './flush-listener.js';
import { parseWindowKey, windowKey } from './key-schemas.js';
import { CacheEntry } from './store-cache.js';
import { TypedStore, type TypedStoreOptions } from './typed-store.js';

/** What a window store adds to a typed store's options. */
export interface TypedWindowStoreOptions<K> extends TypedStoreOptions<K> {
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
}

export class TypedWindowStore<K, V> extends TypedStore<K, V, Windowed<K>, WindowBytesWrite> implements WindowStore<K, V>, FlushListenable<Windowed<K>, V>, ExclusiveWindowWrites<K, V>, RestorableStateStore {
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  private observedTime = Number.NEGATIVE_INFINITY;
  private seqnum = 0;
  // The last cache id built, and what it was built from: an aggregation fetches a window and
  // then puts it, so the second access reuses the string (and its hash) instead of a new one.
  private lastId = '';
  private lastIdKeyId: string | undefined = undefined;
  private lastIdStart = 0;

  constructor(
    private readonly bytes: WindowBytesBackend,
    options: TypedWindowStoreOptions<K>,
  ) {
    // Duplicates are never cached (see above).
    super(bytes, options.retainDuplicates ? { ...options, cacheMaxBytes: undefined } : options, 'dirty');
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates;
  }

  get retentionMs(): number {
    return this.bytes.retentionMs;
  }

  override init(context: StateStoreContext): void {
    super.init(context);
    this.observedTime = this.bytes.observedTime;
    // A persistent backend may reopen with duplicates on disk: continue after their seqnums.
    if (this.retainDuplicates) this.seqnum = this.bytes.maxSeqnum?.() ?? maxSeqnumOf(this.bytes);
  }

  put(key: K, value: V | null, windowStart: number): void {
    this.write(key, value, windowStart, false);
  }

  putExclusive(key: K, value: V | null, windowStart: number): void {
    this.write(key, value, windowStart, true);
  }

  private write(key: K, value: V | null, windowStart: number, exclusive: boolean): void {
    this.checkOpen();
    if (!Number.isSafeInteger(windowStart)) throw new StateStoreError(`Window store '${this.name}' got window start ${windowStart}; it must be an integer epoch-millisecond time.`);
    this.encodeKey(key);
    const newValue = value === undefined ? null : value;
    if (windowStart > this.observedTime) this.observedTime = windowStart;
    const expired = this.expired(windowStart);
    if (expired) this.context!.recordDropped('expired-window');
    const cache = this.cache;
    if (cache === undefined) {
      // Every put is logged, as Kafka's change-logging layer logs whatever its inner store does
      // with it: a put to an expired window (the backend drops it), and with duplicates a null
      // (which cannot name one duplicate, so deletes nothing) under a seqnum of its own.
      const timestamp = this.timestampFor(newValue);
      const seqnum = this.retainDuplicates ? (this.seqnum = (this.seqnum + 1) & 0x7fffffff) : 0;
      const valueBytes = newValue === null ? null : this.serializeValue(newValue);
      if (!expired && !(this.retainDuplicates && valueBytes === null)) this.bytes.putBatch([{ key: this.keyBytes, windowStart, seqnum, value: valueBytes }]);
      this.logChange(windowKey(this.keyBytes, windowStart, seqnum), valueBytes, timestamp);
      return;
    }
    if (expired) return;
    const timestamp = this.timestampFor(newValue);
    const id = this.cacheId(windowStart);
    let entry = cache.get(id);
    if (entry === undefined) {
      this.measureFirstValue(newValue);
      entry = new CacheEntry<K, V>(id, this.keyId, key, this.keyBytes, newValue, timestamp, windowStart, 0);
      cache.add(entry, true, 0);
    } else {
      cache.markDirty(entry, newValue, timestamp);
    }
    this.claim(entry, exclusive);
    this.keepRecordOrigin(entry);
    this.maybeEvict();
  }

  fetch(key: K, windowStart: number): V | undefined {
    this.handOut();
    return this.read(key, windowStart, false);
  }

  fetchForUpdate(key: K, windowStart: number): V | undefined {
    return this.read(key, windowStart, true);
  }

  /** A read through the cache; `forUpdate` for the writer (see `exclusive-writes.ts`). */
  private read(key: K, windowStart: number, forUpdate: boolean): V | undefined {
    this.checkOpen();
    this.encodeKey(key);
    // A value read from the backend is a fresh object: the writer's alone.
    this.fetchedExclusive = forUpdate;
    if (this.expired(windowStart)) return undefined;
    const cache = this.cache;
    if (cache !== undefined) {
      const entry = cache.read(this.cacheId(windowStart));
      if (entry !== undefined) {
        this.fetchedExclusive = forUpdate && this.isExclusive(entry);
        return entry.value ?? undefined;
      }
    }
    let stored: Buffer | undefined;
    if (this.retainDuplicates) {
      // The latest duplicate.
      for (const found of this.bytes.fetch(this.keyBytes, windowStart, windowStart)) stored = found.value;
    } else {
      stored = this.bytes.get(this.keyBytes, windowStart, 0);
    }
    if (stored === undefined) return undefined;
    const value = this.deserializeValue(stored);
    if (cache !== undefined) {
      const entry = new CacheEntry<K, V>(this.cacheId(windowStart), this.keyId, key, this.keyBytes, value, 0, windowStart, 0);
      this.claim(entry, forUpdate);
      cache.add(entry, false, stored.length);
      this.maybeEvict();
    }
    return value;
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): IterableIterator<KeyValue<number, V>> {
    this.checkOpen();
    this.handOut();
    this.encodeKey(key);
    const result: KeyValue<number, V>[] = [];
    const from = Math.max(timeFrom, this.observedTime - this.retentionMs + 1);
    if (from > timeTo) return result[Symbol.iterator]();
    const stored = this.bytes.fetch(this.keyBytes, from, timeTo);
    const dirty = this.dirtyInRange(this.cache?.dirtyOfKey(this.keyId), from, timeTo);
    let next = 0;
    for (const window of stored) {
      while (next < dirty.length && dirty[next]!.time < window.windowStart) this.pushDirty(result, dirty[next++]!, (entry) => entry.time);
      if (next < dirty.length && dirty[next]!.time === window.windowStart) {
        this.pushDirty(result, dirty[next++]!, (entry) => entry.time);
        continue;
      }
      result.push({ key: window.windowStart, value: this.deserializeValue(window.value) });
    }
    while (next < dirty.length) this.pushDirty(result, dirty[next++]!, (entry) => entry.time);
    return result[Symbol.iterator]();
  }

  fetchAll(timeFrom: number, timeTo: number): IterableIterator<KeyValue<Windowed<K>, V>> {
    this.checkOpen();
    this.handOut();
    const result: KeyValue<Windowed<K>, V>[] = [];
    const from = Math.max(timeFrom, this.observedTime - this.retentionMs + 1);
    if (from > timeTo) return result[Symbol.iterator]();
    const stored = this.bytes.fetchAll(from, timeTo);
    const dirty = this.dirtyInRange(this.cache?.allDirty(), from, timeTo);
    const size = this.windowSizeMs;
    const toWindowed = (entry: CacheEntry<K, V>): Windowed<K> => windowed(entry.key, entry.time, entry.time + size);
    let next = 0;
    for (const window of stored) {
      const keyId = window.key.toString('latin1');
      while (next < dirty.length && compareDirty(dirty[next]!, window, keyId) < 0) this.pushDirty(result, dirty[next++]!, toWindowed);
      if (next < dirty.length && compareDirty(dirty[next]!, window, keyId) === 0) {
        this.pushDirty(result, dirty[next++]!, toWindowed);
        continue;
      }
      result.push({ key: windowed(this.deserializeKey(window.key), window.windowStart, window.windowStart + size), value: this.deserializeValue(window.value) });
    }
    while (next < dirty.length) this.pushDirty(result, dirty[next++]!, toWindowed);
    return result[Symbol.iterator]();
  }

  all(): IterableIterator<KeyValue<Windowed<K>, V>> {
    return this.fetchAll(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  }

  override restore(records: Iterable<ChangelogRecord>): void {
    super.restore(records);
    if (this.bytes.observedTime > this.observedTime) this.observedTime = this.bytes.observedTime;
  }

  protected writeOf(entry: CacheEntry<K, V>, valueBytes: Buffer | null): WindowBytesWrite {
    return { key: entry.keyBytes, windowStart: entry.time, seqnum: 0, value: valueBytes };
  }

  protected storedBytesOf(entry: CacheEntry<K, V>): Buffer | undefined {
    return this.bytes.get(entry.keyBytes, entry.time, 0);
  }

  /** Windows that expired while cached are still logged and reported; only the backend skips them. */
  protected override liveInBackend(entry: CacheEntry<K, V>): boolean {
    return !this.expired(entry.time);
  }

  protected storedBytesOfWrite(write: WindowBytesWrite): Buffer | undefined {
    return this.bytes.get(write.key, write.windowStart, write.seqnum);
  }

  protected changelogKeyOf(write: WindowBytesWrite): Buffer {
    return windowKey(write.key, write.windowStart, 0);
  }

  protected listenerKeyOf(entry: CacheEntry<K, V>): Windowed<K> {
    return windowed(entry.key, entry.time, entry.time + this.windowSizeMs);
  }

  protected writeOfRecord(record: ChangelogRecord): WindowBytesWrite {
    const parts = parseWindowKey(record.key, this.name);
    if (parts.seqnum > this.seqnum) this.seqnum = parts.seqnum;
    return { key: parts.key, windowStart: parts.windowStart, seqnum: parts.seqnum, value: record.value };
  }

  private expired(windowStart: number): boolean {
    return windowStart <= this.observedTime - this.retentionMs;
  }

  /** The cache id of the current key's window at `windowStart` (call after `encodeKey`). */
  private cacheId(windowStart: number): string {
    // `keyId` is one string per encoded key, so comparing it is usually a pointer check.
    if (this.keyId !== this.lastIdKeyId || windowStart !== this.lastIdStart) {
      this.lastId = `${this.keyId}|${windowStart}`;
      this.lastIdKeyId = this.keyId;
      this.lastIdStart = windowStart;
    }
    return this.lastId;
  }

  /** Dirty entries with `from <= start <= to`, by start then key bytes. */
  private dirtyInRange(entries: readonly CacheEntry<K, V>[] | undefined, from: number, to: number): CacheEntry<K, V>[] {
    if (entries === undefined || entries.length === 0) return [];
    return entries
      .filter((entry) => entry.time >= from && entry.time <= to)
      .sort((left, right) => left.time - right.time || (left.keyId < right.keyId ? -1 : left.keyId > right.keyId ? 1 : 0));
  }

  private pushDirty<T>(result: KeyValue<T, V>[], entry: CacheEntry<K, V>, keyOf: (entry: CacheEntry<K, V>) => T): void {
    if (entry.value !== null) result.push({ key: keyOf(entry), value: entry.value });
  }
}

/** Orders a dirty entry against a stored window: by start, then key bytes. */
function compareDirty(entry: CacheEntry<unknown, unknown>, window: WindowBytesEntry, keyId: string): number {
  if (entry.time !== window.windowStart) return entry.time - window.windowStart;
  return entry.keyId < keyId ? -1 : entry.keyId > keyId ? 1 : 0;
}

/** The largest seqnum in `backend`, by one full scan (for backends without `maxSeqnum`). */
function maxSeqnumOf(backend: WindowBytesBackend): number {
  let max = 0;
  for (const entry of backend.fetchAll(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)) if (entry.seqnum > max) max = entry.seqnum;
  return max;
}
