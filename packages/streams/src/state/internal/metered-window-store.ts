/**
 * The metered layer of a window store (Kafka's `MeteredWindowStore`): the typed `WindowStore` a
 * processor holds. Besides serdes and timing, it owns the store's retention: its observed time is
 * the largest window start put, and a window is expired once `start <= observedTime -
 * retentionMs` (Kafka's `InMemoryWindowStore`): puts to it are counted as dropped, reads skip it.
 * Without a cache such a put still goes down, so the change-logging layer logs it (the backend
 * drops it), as Kafka's logs whatever its inner store does with a write; with a cache it goes no
 * further. A store that retains duplicates (stream-stream joins) gives every put its own seqnum,
 * nulls included, and is never cached.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { windowed, type Windowed } from '../../kstream/windowed.js';
import type { KeyValue } from '../key-value-store.js';
import type { StateStoreContext } from '../state-store.js';
import type { CachingStateStore, ChangelogRecord, RestorableStateStore, WindowBytesBackend, WindowBytesWrite } from '../store-suppliers.js';
import type { WindowStore } from '../window-store.js';
import type { WindowBytesLayer } from './bytes-layers.js';
import type { CachingWindowStore } from './caching-window-store.js';
import type { ExclusiveWindowWrites } from './exclusive-writes.js';
import type { FlushListenable } from './flush-listener.js';
import { parseWindowKey } from './key-schemas.js';
import { MeteredStore, type MeteredStoreOptions } from './metered-store.js';
import type { ObservedTime } from './observed-time.js';

/** What a window store adds to a store's options. */
export interface MeteredWindowStoreOptions<K> extends MeteredStoreOptions<K> {
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
}

export class MeteredWindowStore<K, V>
  extends MeteredStore<K, V, Windowed<K>, WindowBytesWrite>
  implements WindowStore<K, V>, FlushListenable<Windowed<K>, V>, ExclusiveWindowWrites<K, V>, RestorableStateStore, CachingStateStore
{
  readonly windowSizeMs: number;
  readonly retainDuplicates: boolean;
  fetchedExclusive = false;
  private seqnum = 0;
  /** The timestamp of a single write handed down, reused rather than an array per put. */
  private readonly oneTimestamp = [0];

  constructor(
    private readonly bytes: WindowBytesBackend,
    /** The change-logging layer over `backend`, or `backend` itself when the changelog is off. */
    private readonly below: WindowBytesLayer,
    private readonly cache: CachingWindowStore<K, V> | undefined,
    private readonly observed: ObservedTime,
    options: MeteredWindowStoreOptions<K>,
  ) {
    super(bytes, below, cache, options, '-window');
    this.windowSizeMs = options.windowSizeMs;
    this.retainDuplicates = options.retainDuplicates;
  }

  get retentionMs(): number {
    return this.bytes.retentionMs;
  }

  override init(context: StateStoreContext): void {
    super.init(context);
    this.observed.value = this.bytes.observedTime;
    // A persistent backend may reopen with duplicates on disk: continue after their seqnums.
    if (this.retainDuplicates) this.seqnum = this.bytes.maxSeqnum?.() ?? maxSeqnumOf(this.bytes);
  }

  put(key: K, value: V | null, windowStart: number): void {
    const start = this.startTimer();
    try {
      this.write(key, value, windowStart, false);
    } finally {
      this.stopTimer('put', start);
    }
  }

  putExclusive(key: K, value: V | null, windowStart: number): void {
    const start = this.startTimer();
    try {
      this.write(key, value, windowStart, true);
    } finally {
      this.stopTimer('put', start);
    }
  }

  fetch(key: K, windowStart: number): V | undefined {
    const start = this.startTimer();
    try {
      return this.read(key, windowStart, false);
    } finally {
      this.stopTimer('fetch', start);
    }
  }

  fetchForUpdate(key: K, windowStart: number): V | undefined {
    const start = this.startTimer();
    try {
      return this.read(key, windowStart, true);
    } finally {
      this.stopTimer('fetch', start);
    }
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): IterableIterator<KeyValue<number, V>> {
    const start = this.startTimer();
    try {
      this.checkOpen();
      this.encodeKey(key);
      const from = Math.max(timeFrom, this.observed.earliestLive);
      if (from > timeTo) return [][Symbol.iterator]();
      if (this.cache !== undefined) return this.cache.fetchRange(this.keyId, this.keyBytes, from, timeTo);
      const result: KeyValue<number, V>[] = [];
      for (const window of this.below.fetch(this.keyBytes, from, timeTo)) result.push({ key: window.windowStart, value: this.serdes.valueFrom(window.value) });
      return result[Symbol.iterator]();
    } finally {
      this.stopTimer('fetch', start);
    }
  }

  fetchAll(timeFrom: number, timeTo: number): IterableIterator<KeyValue<Windowed<K>, V>> {
    const start = this.startTimer();
    try {
      return this.windows(timeFrom, timeTo);
    } finally {
      this.stopTimer('fetch', start);
    }
  }

  all(): IterableIterator<KeyValue<Windowed<K>, V>> {
    const start = this.startTimer();
    try {
      return this.windows(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    } finally {
      this.stopTimer('all', start);
    }
  }

  private write(key: K, value: V | null, windowStart: number, exclusive: boolean): void {
    this.checkOpen();
    if (!Number.isSafeInteger(windowStart)) throw new StateStoreError(`Window store '${this.name}' got window start ${windowStart}; it must be an integer epoch-millisecond time.`);
    this.encodeKey(key);
    const newValue = value === undefined ? null : value;
    this.observed.advance(windowStart);
    const expired = this.observed.expired(windowStart);
    if (expired) this.context!.recordDropped('expired-window');
    const cache = this.cache;
    if (cache === undefined) {
      const seqnum = this.retainDuplicates ? (this.seqnum = (this.seqnum + 1) & 0x7fffffff) : 0;
      this.oneTimestamp[0] = this.timestampFor(newValue);
      const valueBytes = newValue === null ? null : this.serdes.rawValue(newValue);
      this.below.putBatch([{ key: this.keyBytes, windowStart, seqnum, value: valueBytes }], this.oneTimestamp);
      return;
    }
    if (!expired) cache.put(this.keyId, this.keyBytes, key, newValue, this.timestampFor(newValue), windowStart, exclusive);
  }

  /** A read through the cache; `forUpdate` for the writer (see `exclusive-writes.ts`). */
  private read(key: K, windowStart: number, forUpdate: boolean): V | undefined {
    this.checkOpen();
    this.encodeKey(key);
    // A value read from the backend is a fresh object: the writer's alone.
    this.fetchedExclusive = forUpdate;
    if (this.observed.expired(windowStart)) return undefined;
    const cache = this.cache;
    if (cache !== undefined) {
      const value = cache.get(this.keyId, this.keyBytes, key, windowStart, forUpdate);
      this.fetchedExclusive = cache.fetchedExclusive;
      return value;
    }
    let stored: Buffer | undefined;
    if (this.retainDuplicates) {
      // The latest duplicate.
      for (const found of this.below.fetch(this.keyBytes, windowStart, windowStart)) stored = found.value;
    } else {
      stored = this.below.get(this.keyBytes, windowStart, 0);
    }
    return stored === undefined ? undefined : this.serdes.valueFrom(stored);
  }

  private windows(timeFrom: number, timeTo: number): IterableIterator<KeyValue<Windowed<K>, V>> {
    this.checkOpen();
    const from = Math.max(timeFrom, this.observed.earliestLive);
    if (from > timeTo) return [][Symbol.iterator]();
    if (this.cache !== undefined) return this.cache.fetchAll(from, timeTo);
    const result: KeyValue<Windowed<K>, V>[] = [];
    const size = this.windowSizeMs;
    for (const window of this.below.fetchAll(from, timeTo)) {
      result.push({ key: windowed(this.serdes.keyFrom(window.key), window.windowStart, window.windowStart + size), value: this.serdes.valueFrom(window.value) });
    }
    return result[Symbol.iterator]();
  }

  protected override restored(): void {
    this.observed.advance(this.bytes.observedTime);
  }

  protected writeOfRecord(record: ChangelogRecord): WindowBytesWrite {
    const parts = parseWindowKey(record.key, this.name);
    if (parts.seqnum > this.seqnum) this.seqnum = parts.seqnum;
    return { key: parts.key, windowStart: parts.windowStart, seqnum: parts.seqnum, value: record.value };
  }

  protected storedBytesOfWrite(write: WindowBytesWrite): Buffer | undefined {
    return this.below.get(write.key, write.windowStart, write.seqnum);
  }
}

/** The largest seqnum in `backend`, by one full scan (for backends without `maxSeqnum`). */
function maxSeqnumOf(backend: WindowBytesBackend): number {
  let max = 0;
  for (const entry of backend.fetchAll(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)) if (entry.seqnum > max) max = entry.seqnum;
  return max;
}
