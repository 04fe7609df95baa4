/**
 * The metered layer of a key-value store (Kafka's `MeteredKeyValueStore`): the typed
 * `KeyValueStore` a processor holds. It serializes keys, times each operation, and hands writes
 * to its caching layer (typed) or, without one, serializes them for the bytes layer below.
 */
import type { KeyValue, KeyValueStore } from '../key-value-store.js';
import type { BytesWrite, CachingStateStore, ChangelogRecord, KeyValueBytesBackend, RestorableStateStore } from '../store-suppliers.js';
import type { KeyValueBytesLayer } from './bytes-layers.js';
import type { CachingKeyValueStore } from './caching-key-value-store.js';
import type { ExclusiveKeyValueWrites } from './exclusive-writes.js';
import type { FlushListenable } from './flush-listener.js';
import { MeteredStore, type MeteredStoreOptions } from './metered-store.js';

export class MeteredKeyValueStore<K, V>
  extends MeteredStore<K, V, K, BytesWrite>
  implements KeyValueStore<K, V>, FlushListenable<K, V>, ExclusiveKeyValueWrites<K, V>, RestorableStateStore, CachingStateStore
{
  fetchedExclusive = false;

  constructor(
    backend: KeyValueBytesBackend,
    /** The change-logging layer over `backend`, or `backend` itself when the changelog is off. */
    private readonly below: KeyValueBytesLayer,
    private readonly cache: CachingKeyValueStore<K, V> | undefined,
    options: MeteredStoreOptions<K>,
  ) {
    super(backend, below, cache, options, '');
  }

  get(key: K): V | undefined {
    const start = this.startTimer();
    try {
      return this.read(key, false);
    } finally {
      this.stopTimer('get', start);
    }
  }

  getForUpdate(key: K): V | undefined {
    const start = this.startTimer();
    try {
      return this.read(key, true);
    } finally {
      this.stopTimer('get', start);
    }
  }

  put(key: K, value: V | null): void {
    const start = this.startTimer();
    try {
      this.write(key, value, false);
    } finally {
      this.stopTimer('put', start);
    }
  }

  putExclusive(key: K, value: V | null): void {
    const start = this.startTimer();
    try {
      this.write(key, value, true);
    } finally {
      this.stopTimer('put', start);
    }
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const start = this.startTimer();
    try {
      const existing = this.read(key, false);
      if (existing === undefined) this.write(key, value, false);
      return existing;
    } finally {
      this.stopTimer('put-if-absent', start);
    }
  }

  putAll(entries: Iterable<KeyValue<K, V | null>>): void {
    const start = this.startTimer();
    try {
      for (const entry of entries) this.write(entry.key, entry.value, false);
    } finally {
      this.stopTimer('put-all', start);
    }
  }

  delete(key: K): V | undefined {
    const start = this.startTimer();
    try {
      const existing = this.read(key, false);
      this.write(key, null, false);
      return existing;
    } finally {
      this.stopTimer('delete', start);
    }
  }

  range(from: K | undefined, to: K | undefined): IterableIterator<KeyValue<K, V>> {
    const start = this.startTimer();
    try {
      return this.entries(from, to);
    } finally {
      this.stopTimer('range', start);
    }
  }

  all(): IterableIterator<KeyValue<K, V>> {
    const start = this.startTimer();
    try {
      return this.entries(undefined, undefined);
    } finally {
      this.stopTimer('all', start);
    }
  }

  /** The backend's count, plus writes still in the cache: an estimate while there are some. */
  approximateNumEntries(): number {
    this.checkOpen();
    return this.cache === undefined ? this.below.approximateCount() : this.cache.approximateCount();
  }

  /** A read through the cache; `forUpdate` for the writer (see `exclusive-writes.ts`). */
  private read(key: K, forUpdate: boolean): V | undefined {
    this.checkOpen();
    this.encodeKey(key);
    const cache = this.cache;
    if (cache !== undefined) {
      const value = cache.get(this.keyId, this.keyBytes, key, forUpdate);
      this.fetchedExclusive = cache.fetchedExclusive;
      return value;
    }
    // A value read from the backend is a fresh object: the writer's alone.
    this.fetchedExclusive = forUpdate;
    const stored = this.below.get(this.keyBytes);
    return stored === undefined ? undefined : this.serdes.valueFrom(stored);
  }

  private write(key: K, value: V | null, exclusive: boolean): void {
    this.checkOpen();
    this.encodeKey(key);
    const newValue = value === undefined ? null : value;
    const timestamp = this.timestampFor(newValue);
    const cache = this.cache;
    if (cache !== undefined) cache.put(this.keyId, this.keyBytes, key, newValue, timestamp, exclusive);
    else this.below.put(this.keyBytes, newValue === null ? null : this.serdes.rawValue(newValue), timestamp);
  }

  private entries(from: K | undefined, to: K | undefined): IterableIterator<KeyValue<K, V>> {
    this.checkOpen();
    const lower = from === undefined ? undefined : this.serializeKey(from);
    const upper = to === undefined ? undefined : this.serializeKey(to);
    if (lower !== undefined && upper !== undefined && Buffer.compare(lower, upper) > 0) return [][Symbol.iterator]();
    return this.cache === undefined ? this.uncached(lower, upper) : this.cache.range(lower, upper);
  }

  private *uncached(lower: Buffer | undefined, upper: Buffer | undefined): IterableIterator<KeyValue<K, V>> {
    for (const stored of this.below.range(lower, upper)) yield { key: this.serdes.keyFrom(stored.key), value: this.serdes.valueFrom(stored.value) };
  }

  protected writeOfRecord(record: ChangelogRecord): BytesWrite {
    return record;
  }

  protected storedBytesOfWrite(write: BytesWrite): Buffer | undefined {
    return this.below.get(write.key);
  }
}
