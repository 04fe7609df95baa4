/**
 * The typed session store over a session bytes backend: serdes, an optional write-back cache,
 * retention, and changelog records in Kafka's session key format. The store's observed time is
 * the largest session end put; a session is expired once `end <= observedTime - retentionMs`
 * (Kafka's `InMemorySessionStore`): puts of it are dropped and counted (with a cache, at flush and
 * not counted, after it is logged and reported), reads of the backend skip it. With a cache, as in
 * Kafka's caching session store, a session written through it stays in it after its flush, expired
 * or not, and `findSessions` and `fetchSession` still return it (a record merges with it) until it
 * is removed or evicted. Removals
 * and null puts advance the observed time too, as in Kafka: with caching, a session's put and
 * removal may reach the changelog as the tombstone alone, and a restore must still reach the time
 * the original store saw.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { windowed, type Windowed } from '../../kstream/windowed.js';
import type { KeyValue } from '../key-value-store.js';
import type { SessionStore } from '../session-store.js';
import type { StateStoreContext } from '../state-store.js';
import type { ChangelogRecord, RestorableStateStore, SessionBytesBackend, SessionBytesWrite } from '../store-suppliers.js';
import type { FlushListenable } from './flush-listener.js';
import { parseSessionKey, sessionKey } from './key-schemas.js';
import { CacheEntry } from './store-cache.js';
import { TypedStore, type TypedStoreOptions } from './typed-store.js';

export class TypedSessionStore<K, AGG> extends TypedStore<K, AGG, Windowed<K>, SessionBytesWrite> implements SessionStore<K, AGG>, FlushListenable<Windowed<K>, AGG>, RestorableStateStore {
  private observedTime = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly bytes: SessionBytesBackend,
    options: TypedStoreOptions<K>,
  ) {
    super(bytes, options, 'cached');
  }

  get retentionMs(): number {
    return this.bytes.retentionMs;
  }

  override init(context: StateStoreContext): void {
    super.init(context);
    this.observedTime = this.bytes.observedTime;
  }

  put(session: Windowed<K>, aggregate: AGG | null): void {
    this.checkOpen();
    const { start, end } = this.checkSession(session);
    this.encodeKey(session.key);
    if (aggregate === null || aggregate === undefined) {
      this.remove(session);
      return;
    }
    if (end > this.observedTime) this.observedTime = end;
    // A cache takes an expired session as Kafka's caching layer does, so the flush still logs and
    // reports it (a session aggregation accepts a session ending right at its close time, which is
    // observed time - retention by default); only the backend skips it.
    // Without a cache it is still logged, as Kafka's change-logging layer logs whatever its inner
    // store drops.
    if (this.expired(end) && this.cache === undefined) this.context!.recordDropped('expired-window');
    this.write(session.key, start, end, aggregate);
  }

  remove(session: Windowed<K>): void {
    this.checkOpen();
    const { start, end } = this.checkSession(session);
    this.encodeKey(session.key);
    if (end > this.observedTime) this.observedTime = end;
    // Without a cache an expired session is already invisible, and the backend drops it with its
    // time slot, but the removal is logged (as Kafka's change-logging layer logs it). A cache may
    // still hold it (see findSessions), so the removal goes to the cache, as Kafka's caching
    // session store turns every removal into a cached delete; its flush finds no stored session
    // and so reports nothing.
    this.write(session.key, start, end, null);
  }

  fetchSession(key: K, sessionStart: number, sessionEnd: number): AGG | undefined {
    this.checkOpen();
    this.encodeKey(key);
    // The cache answers first, expired or not, and reads do not fill it, as in Kafka's caching
    // session store: it holds only what was written through it (see findSessions).
    const entry = this.cache?.get(`${this.keyId}|${sessionEnd}|${sessionStart}`);
    if (entry !== undefined) return entry.value ?? undefined;
    if (this.expired(sessionEnd)) return undefined;
    const stored = this.bytes.get(this.keyBytes, sessionStart, sessionEnd);
    return stored === undefined ? undefined : this.deserializeValue(stored);
  }

  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    this.checkOpen();
    this.encodeKey(key);
    const result: KeyValue<Windowed<K>, AGG>[] = [];
    const earliestEnd = Math.max(earliestSessionEndTime, this.observedTime - this.retentionMs + 1);
    const stored = this.bytes.findSessions(this.keyBytes, earliestEnd, latestSessionStartTime);
    // The cache's sessions are not cut at retention, as Kafka's caching session store ranges over
    // its cache without it: a session written through the cache stays visible, once flushed and
    // expired, until it is removed or evicted, so a record can still merge with it.
    const cached = cachedSessionsInRange(this.cache?.cachedOfKey(this.keyId), earliestSessionEndTime, latestSessionStartTime);
    let next = 0;
    for (const session of stored) {
      while (next < cached.length && (cached[next]!.time < session.end || (cached[next]!.time === session.end && cached[next]!.tiebreak < session.start))) pushCachedSession(result, cached[next++]!);
      if (next < cached.length && cached[next]!.time === session.end && cached[next]!.tiebreak === session.start) {
        pushCachedSession(result, cached[next++]!);
        continue;
      }
      result.push({ key: windowed(key, session.start, session.end), value: this.deserializeValue(session.value) });
    }
    while (next < cached.length) pushCachedSession(result, cached[next++]!);
    return result[Symbol.iterator]();
  }

  fetch(key: K): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    return this.findSessions(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  }

  override restore(records: Iterable<ChangelogRecord>): void {
    super.restore(records);
    if (this.bytes.observedTime > this.observedTime) this.observedTime = this.bytes.observedTime;
  }

  protected writeOf(entry: CacheEntry<K, AGG>, valueBytes: Buffer | null): SessionBytesWrite {
    return { key: entry.keyBytes, start: entry.tiebreak, end: entry.time, value: valueBytes };
  }

  protected storedBytesOf(entry: CacheEntry<K, AGG>): Buffer | undefined {
    return this.bytes.get(entry.keyBytes, entry.tiebreak, entry.time);
  }

  /** Sessions that expired while cached are still logged and reported; only the backend skips them. */
  protected override liveInBackend(entry: CacheEntry<K, AGG>): boolean {
    return !this.expired(entry.time);
  }

  protected override keepsExpiredCached(): boolean {
    return true;
  }

  protected storedBytesOfWrite(write: SessionBytesWrite): Buffer | undefined {
    return this.bytes.get(write.key, write.start, write.end);
  }

  protected changelogKeyOf(write: SessionBytesWrite): Buffer {
    return sessionKey(write.key, write.start, write.end);
  }

  protected listenerKeyOf(entry: CacheEntry<K, AGG>): Windowed<K> {
    return windowed(entry.key, entry.tiebreak, entry.time);
  }

  protected writeOfRecord(record: ChangelogRecord): SessionBytesWrite {
    const parts = parseSessionKey(record.key, this.name);
    return { key: parts.key, start: parts.start, end: parts.end, value: record.value };
  }

  private write(key: K, start: number, end: number, aggregate: AGG | null): void {
    this.encodeKey(key);
    const timestamp = this.timestampFor(aggregate);
    const cache = this.cache;
    if (cache === undefined) {
      const valueBytes = aggregate === null ? null : this.serializeValue(aggregate);
      if (!this.expired(end)) this.bytes.putBatch([{ key: this.keyBytes, start, end, value: valueBytes }]);
      this.logChange(sessionKey(this.keyBytes, start, end), valueBytes, timestamp);
      return;
    }
    const id = `${this.keyId}|${end}|${start}`;
    let entry = cache.get(id);
    if (entry === undefined) {
      this.measureFirstValue(aggregate);
      entry = new CacheEntry<K, AGG>(id, this.keyId, key, this.keyBytes, aggregate, timestamp, end, start);
      cache.add(entry, true, 0);
    } else {
      cache.markDirty(entry, aggregate, timestamp);
    }
    this.keepRecordOrigin(entry);
    this.maybeEvict();
  }

  private expired(sessionEnd: number): boolean {
    return sessionEnd <= this.observedTime - this.retentionMs;
  }

  private checkSession(session: Windowed<K>): { start: number; end: number } {
    if (session === null || session === undefined || session.window === undefined) {
      throw new StateStoreError(`Session store '${this.name}' needs a windowed key ({ key, window: { start, end } }), got ${String(session)}.`);
    }
    const { start, end } = session.window;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
      throw new StateStoreError(`Session store '${this.name}' got a session [${start}, ${end}]; its bounds must be integer epoch-millisecond times with start <= end.`);
    }
    return { start, end };
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
