/**
 * The caching layer of a key-value store (Kafka's `CachingKeyValueStore`): reads hit the cache
 * first and fill it from the layer below on a miss; writes stay in it, dirty, until a flush; a
 * range lays the dirty entries over the layer below's range, in key-byte order.
 */
import type { KeyValue } from '../key-value-store.js';
import type { BytesWrite } from '../store-suppliers.js';
import type { KeyValueBytesLayer } from './bytes-layers.js';
import { CachingStore } from './caching-store.js';
import { CacheEntry } from './store-cache.js';

export class CachingKeyValueStore<K, V> extends CachingStore<K, V, K, BytesWrite> {
  constructor(
    private readonly below: KeyValueBytesLayer,
    maxBytes: number,
  ) {
    super(below, maxBytes, 'none');
  }

  /**
   * The value of the key with bytes `keyBytes` (`keyId` as latin1), through the cache; `forUpdate`
   * for the writer, which leaves cached values its own and sets `fetchedExclusive`.
   */
  get(keyId: string, keyBytes: Buffer, key: K, forUpdate: boolean): V | undefined {
    if (!forUpdate) this.handOut();
    const cache = this.cache;
    const entry = cache.read(keyId);
    if (entry !== undefined) {
      this.fetchedExclusive = forUpdate && this.isExclusive(entry);
      return entry.value ?? undefined;
    }
    // A value read from below is a fresh object: the writer's alone.
    this.fetchedExclusive = forUpdate;
    const stored = this.below.get(keyBytes);
    if (stored === undefined) return undefined;
    const value = this.serdes.valueFrom(stored);
    const added = new CacheEntry<K, V>(keyId, keyId, key, keyBytes, value, 0, 0, 0);
    this.claim(added, forUpdate);
    cache.add(added, false, stored.length);
    this.maybeEvict();
    return value;
  }

  /** Writes a value (`null` deletes) into the cache, dirty; `exclusive` when the writer alone holds it. */
  put(keyId: string, keyBytes: Buffer, key: K, value: V | null, timestamp: number, exclusive: boolean): void {
    const cache = this.cache;
    let entry = cache.get(keyId);
    if (entry === undefined) {
      this.measureFirstValue(value);
      entry = new CacheEntry<K, V>(keyId, keyId, key, keyBytes, value, timestamp, 0, 0);
      cache.add(entry, true, 0);
    } else {
      cache.markDirty(entry, value, timestamp);
    }
    this.claim(entry, exclusive);
    this.keepRecordOrigin(entry);
    this.maybeEvict();
  }

  /** The count below, plus writes still in the cache: an estimate while there are some. */
  approximateCount(): number {
    return this.below.approximateCount() + this.cache.dirtyCount;
  }

  /** Entries with `lower <= key bytes <= upper` (open where `undefined`): the range below with the dirty entries laid over it. */
  range(lower: Buffer | undefined, upper: Buffer | undefined): IterableIterator<KeyValue<K, V>> {
    this.handOut();
    return this.merged(lower, upper);
  }

  private *merged(lower: Buffer | undefined, upper: Buffer | undefined): IterableIterator<KeyValue<K, V>> {
    const cache = this.cache;
    const lowerId = lower?.toString('latin1');
    const upperId = upper?.toString('latin1');
    const dirty = cache.dirtyCount === 0 ? [] : cache.dirtyById();
    let next = 0;
    if (lowerId !== undefined) while (next < dirty.length && dirty[next]!.id < lowerId) next++;
    for (const stored of this.below.range(lower, upper)) {
      const id = stored.key.toString('latin1');
      // Dirty entries before this key, then this key from the cache or from below.
      while (next < dirty.length && dirty[next]!.id < id) {
        const entry = dirty[next++]!;
        if (entry.value !== null) yield this.handedOut(entry);
      }
      if (next < dirty.length && dirty[next]!.id === id) {
        const entry = dirty[next++]!;
        if (entry.value !== null) yield this.handedOut(entry);
        continue;
      }
      yield { key: this.serdes.keyFrom(stored.key), value: this.serdes.valueFrom(stored.value) };
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
    return this.below.get(entry.keyBytes);
  }

  protected listenerKeyOf(entry: CacheEntry<K, V>): K {
    return entry.key;
  }
}
