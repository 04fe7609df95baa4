/**
 * The typed key-value store over a bytes backend: serdes, an optional write-back cache of typed
 * values, and changelog records at flush (Kafka's metered, caching and change-logging layers in
 * one). Without a cache every write is serialized, written and logged at once.
 */
import type { KeyValue, KeyValueStore } from '../key-value-store.js';
import type { ChangelogRecord, BytesWrite, KeyValueBytesBackend, RestorableStateStore } from '../store-suppliers.js';
import type { ExclusiveKeyValueWrites } from './exclusive-writes.js';
import type { FlushListenable } from './flush-listener.js';
import { CacheEntry } from './store-cache.js';
import { TypedStore, type TypedStoreOptions } from './typed-store.js';

export class TypedKeyValueStore<K, V> extends TypedStore<K, V, K, BytesWrite> implements KeyValueStore<K, V>, FlushListenable<K, V>, ExclusiveKeyValueWrites<K, V>, RestorableStateStore {
  constructor(
    private readonly bytes: KeyValueBytesBackend,
    options: TypedStoreOptions<K>,
  ) {
    super(bytes, options, 'none');
  }

  get(key: K): V | undefined {
    this.handOut();
    return this.read(key, false);
  }

  getForUpdate(key: K): V | undefined {
    return this.read(key, true);
  }

  /** A read through the cache; `forUpdate` for the writer (see `exclusive-writes.ts`). */
  private read(key: K, forUpdate: boolean): V | undefined {
    this.checkOpen();
    this.encodeKey(key);
    const cache = this.cache;
    if (cache !== undefined) {
      const entry = cache.read(this.keyId);
      if (entry !== undefined) {
        this.fetchedExclusive = forUpdate && this.isExclusive(entry);
        return entry.value ?? undefined;
      }
    }
    // A value read from the backend is a fresh object: the writer's alone.
    this.fetchedExclusive = forUpdate;
    const stored = this.bytes.get(this.keyBytes);
    if (stored === undefined) return undefined;
    const value = this.deserializeValue(stored);
    if (cache !== undefined) {
      const entry = new CacheEntry<K, V>(this.keyId, this.keyId, key, this.keyBytes, value, 0, 0, 0);
      this.claim(entry, forUpdate);
      cache.add(entry, false, stored.length);
      this.maybeEvict();
    }
    return value;
  }

  put(key: K, value: V | null): void {
    this.write(key, value, false);
  }

  putExclusive(key: K, value: V | null): void {
    this.write(key, value, true);
  }

  private write(key: K, value: V | null, exclusive: boolean): void {
    this.checkOpen();
    this.encodeKey(key);
    const newValue = value === undefined ? null : value;
    const timestamp = this.timestampFor(newValue);
    const cache = this.cache;
    if (cache === undefined) {
      const valueBytes = newValue === null ? null : this.serializeValue(newValue);
      this.bytes.put(this.keyBytes, valueBytes);
      this.logChange(this.keyBytes, valueBytes, timestamp);
      return;
    }
    let entry = cache.get(this.keyId);
    if (entry === undefined) {
      this.measureFirstValue(newValue);
      entry = new CacheEntry<K, V>(this.keyId, this.keyId, key, this.keyBytes, newValue, timestamp, 0, 0);
      cache.add(entry, true, 0);
    } else {
      cache.markDirty(entry, newValue, timestamp);
    }
    this.claim(entry, exclusive);
    this.keepRecordOrigin(entry);
    this.maybeEvict();
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key);
    if (existing === undefined) this.put(key, value);
    return existing;
  }

  putAll(entries: Iterable<KeyValue<K, V | null>>): void {
    for (const entry of entries) this.put(entry.key, entry.value);
  }

  delete(key: K): V | undefined {
    const existing = this.get(key);
    this.put(key, null);
    return existing;
  }

  range(from: K | undefined, to: K | undefined): IterableIterator<KeyValue<K, V>> {
    this.checkOpen();
    const lower = from === undefined ? undefined : this.serializeKey(from);
    const upper = to === undefined ? undefined : this.serializeKey(to);
    if (lower !== undefined && upper !== undefined && Buffer.compare(lower, upper) > 0) return [][Symbol.iterator]();
    this.handOut();
    return this.merged(lower, upper);
  }

  all(): IterableIterator<KeyValue<K, V>> {
    return this.range(undefined, undefined);
  }

  /** The backend's count, plus writes still in the cache: an estimate while there are some. */
  approximateNumEntries(): number {
    this.checkOpen();
    return this.bytes.approximateCount() + (this.cache?.dirtyCount ?? 0);
  }

  /** The backend's range, with the cache's dirty entries laid over it, in key-byte order. */
  private *merged(lower: Buffer | undefined, upper: Buffer | undefined): IterableIterator<KeyValue<K, V>> {
    const cache = this.cache;
    const lowerId = lower?.toString('latin1');
    const upperId = upper?.toString('latin1');
    const dirty = cache === undefined || cache.dirtyCount === 0 ? [] : cache.dirtyById();
    let next = 0;
    if (lowerId !== undefined) while (next < dirty.length && dirty[next]!.id < lowerId) next++;
    for (const stored of this.bytes.range(lower, upper)) {
      const id = stored.key.toString('latin1');
      // Dirty entries before this key, then this key from the cache or the backend.
      while (next < dirty.length && dirty[next]!.id < id) {
        const entry = dirty[next++]!;
        if (entry.value !== null) yield this.handedOut(entry);
      }
      if (next < dirty.length && dirty[next]!.id === id) {
        const entry = dirty[next++]!;
        if (entry.value !== null) yield this.handedOut(entry);
        continue;
      }
      yield { key: this.deserializeKey(stored.key), value: this.deserializeValue(stored.value) };
    }
    while (next < dirty.length && (upperId === undefined || dirty[next]!.id <= upperId)) {
      const entry = dirty[next++]!;
      if (entry.value !== null) yield this.handedOut(entry);
    }
  }

  /**
   * A cached entry as a range yields it. The range is lazy, so the writer may have claimed the
   * value again since the range began: hand it out once more.
   */
  private handedOut(entry: CacheEntry<K, V>): KeyValue<K, V> {
    this.handOut();
    return { key: entry.key, value: entry.value! };
  }

  protected writeOf(entry: CacheEntry<K, V>, valueBytes: Buffer | null): BytesWrite {
    return { key: entry.keyBytes, value: valueBytes };
  }

  protected storedBytesOf(entry: CacheEntry<K, V>): Buffer | undefined {
    return this.bytes.get(entry.keyBytes);
  }

  protected storedBytesOfWrite(write: BytesWrite): Buffer | undefined {
    return this.bytes.get(write.key);
  }

  protected changelogKeyOf(write: BytesWrite): Buffer {
    return write.key;
  }

  protected listenerKeyOf(entry: CacheEntry<K, V>): K {
    return entry.key;
  }

  protected writeOfRecord(record: ChangelogRecord): BytesWrite {
    return record;
  }
}
