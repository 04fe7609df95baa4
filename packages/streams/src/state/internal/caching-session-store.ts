/**
 * The caching layer of a session store (Kafka's `CachingSessionStore`): one entry per key and
 * session, holding only what was written through it (reads do not fill it). Look-ups read it
 * first and over its whole extent, clean entries and expired ones included, as Kafka's caching
 * session store ranges over its cache without the retention cut: a session written through the
 * cache stays visible, once flushed and expired, until it is removed or evicted, so a record can
 * still merge with it.
 */
import { windowed, type Windowed } from '../../kstream/windowed.js';
import type { KeyValue } from '../key-value-store.js';
import type { SessionBytesWrite } from '../store-suppliers.js';
import type { SessionBytesLayer } from './bytes-layers.js';
import { CachingStore } from './caching-store.js';
import type { ObservedTime } from './observed-time.js';
import { CacheEntry } from './store-cache.js';

export class CachingSessionStore<K, AGG> extends CachingStore<K, AGG, Windowed<K>, SessionBytesWrite> {
  constructor(
    private readonly below: SessionBytesLayer,
    maxBytes: number,
    /** The store's observed time, which its metered layer advances. */
    private readonly observed: ObservedTime,
  ) {
    super(below, maxBytes, 'cached');
  }

  /** The cache's entry of exactly this session, if it holds one (its value `null` for a pending removal). */
  session(keyId: string, start: number, end: number): CacheEntry<K, AGG> | undefined {
    return this.cache.get(`${keyId}|${end}|${start}`);
  }

  /** Writes a session's aggregate (`null` removes it) into the cache, dirty. */
  put(keyId: string, keyBytes: Buffer, key: K, aggregate: AGG | null, timestamp: number, start: number, end: number): void {
    const cache = this.cache;
    const id = `${keyId}|${end}|${start}`;
    let entry = cache.get(id);
    if (entry === undefined) {
      this.measureFirstValue(aggregate);
      entry = new CacheEntry<K, AGG>(id, keyId, key, keyBytes, aggregate, timestamp, end, start);
      cache.add(entry, true, 0);
    } else {
      cache.markDirty(entry, aggregate, timestamp);
    }
    this.keepRecordOrigin(entry);
    this.maybeEvict();
  }

  /**
   * `key`'s sessions with `end >= earliestEnd` and `start <= latestStart`, by end then start: those
   * below from `storedEarliestEnd` (the retention cut), with the cached ones, uncut, laid over them.
   */
  findSessions(keyId: string, keyBytes: Buffer, key: K, storedEarliestEnd: number, earliestEnd: number, latestStart: number): KeyValue<Windowed<K>, AGG>[] {
    const result: KeyValue<Windowed<K>, AGG>[] = [];
    const cached = cachedSessionsInRange(this.cache.cachedOfKey(keyId), earliestEnd, latestStart);
    let next = 0;
    for (const session of this.below.findSessions(keyBytes, storedEarliestEnd, latestStart)) {
      while (next < cached.length && (cached[next]!.time < session.end || (cached[next]!.time === session.end && cached[next]!.tiebreak < session.start))) pushCachedSession(result, cached[next++]!);
      if (next < cached.length && cached[next]!.time === session.end && cached[next]!.tiebreak === session.start) {
        pushCachedSession(result, cached[next++]!);
        continue;
      }
      result.push({ key: windowed(key, session.start, session.end), value: this.serdes.valueFrom(session.value) });
    }
    while (next < cached.length) pushCachedSession(result, cached[next++]!);
    return result;
  }

  protected writeOf(entry: CacheEntry<K, AGG>, valueBytes: Buffer | null): SessionBytesWrite {
    return { key: entry.keyBytes, start: entry.tiebreak, end: entry.time, value: valueBytes };
  }

  protected storedBytesOf(entry: CacheEntry<K, AGG>): Buffer | undefined {
    return this.below.get(entry.keyBytes, entry.tiebreak, entry.time);
  }

  protected listenerKeyOf(entry: CacheEntry<K, AGG>): Windowed<K> {
    return windowed(entry.key, entry.tiebreak, entry.time);
  }

  protected override expired(entry: CacheEntry<K, AGG>): boolean {
    return this.observed.expired(entry.time);
  }

  protected override keepsExpiredCached(): boolean {
    return true;
  }
}

const noCachedSessions: readonly CacheEntry<never, never>[] = [];

/**
 * Cached sessions (clean or dirty) with `end >= earliestEnd` and `start <= latestStart`, by end
 * then start. Per record on the session aggregation's path, so a plain loop, and no array when
 * none match.
 */
function cachedSessionsInRange<K, AGG>(entries: readonly CacheEntry<K, AGG>[] | undefined, earliestEnd: number, latestStart: number): readonly CacheEntry<K, AGG>[] {
  if (entries === undefined) return noCachedSessions;
  let selected: CacheEntry<K, AGG>[] | undefined;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    if (entry.time >= earliestEnd && entry.tiebreak <= latestStart) (selected ??= []).push(entry);
  }
  if (selected === undefined) return noCachedSessions;
  if (selected.length > 1) selected.sort(compareSessionEntries);
  return selected;
}

function compareSessionEntries(left: CacheEntry<unknown, unknown>, right: CacheEntry<unknown, unknown>): number {
  return left.time - right.time || left.tiebreak - right.tiebreak;
}

/** Adds a cached session to a `findSessions` result, unless it is a pending removal. */
function pushCachedSession<K, AGG>(result: KeyValue<Windowed<K>, AGG>[], entry: CacheEntry<K, AGG>): void {
  if (entry.value !== null) result.push({ key: windowed(entry.key, entry.tiebreak, entry.time), value: entry.value });
}
