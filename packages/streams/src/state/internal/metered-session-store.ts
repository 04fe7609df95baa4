/**
 * The metered layer of a session store (Kafka's `MeteredSessionStore`): the typed `SessionStore`
 * a processor holds. Besides serdes and timing, it owns the store's retention: its observed time
 * is the largest session end put or removed (removals too, as in Kafka: with caching, a session's
 * put and removal may reach the changelog as the tombstone alone, and a restore must still reach
 * the time the original store saw), and a session is expired once `end <= observedTime -
 * retentionMs` (Kafka's `InMemorySessionStore`). Without a cache, a put of an expired session is
 * counted as dropped and still goes down, so the change-logging layer logs it (the backend drops
 * it). With a cache, as in Kafka's caching session store, it goes into the cache, so the flush
 * still logs and reports it (a session aggregation accepts a session ending right at its close
 * time, which is observed time - retention by default), and `findSessions` and `fetchSession`
 * still return it until it is removed or evicted.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import { windowed, type Windowed } from '../../kstream/windowed.js';
import type { KeyValue } from '../key-value-store.js';
import type { SessionStore } from '../session-store.js';
import type { StateStoreContext } from '../state-store.js';
import type { CachingStateStore, ChangelogRecord, RestorableStateStore, SessionBytesBackend, SessionBytesWrite } from '../store-suppliers.js';
import type { SessionBytesLayer } from './bytes-layers.js';
import type { CachingSessionStore } from './caching-session-store.js';
import type { FlushListenable } from './flush-listener.js';
import { parseSessionKey } from './key-schemas.js';
import { MeteredStore, type MeteredStoreOptions } from './metered-store.js';
import type { ObservedTime } from './observed-time.js';

export class MeteredSessionStore<K, AGG>
  extends MeteredStore<K, AGG, Windowed<K>, SessionBytesWrite>
  implements SessionStore<K, AGG>, FlushListenable<Windowed<K>, AGG>, RestorableStateStore, CachingStateStore
{
  /** The timestamp of a single write handed down, reused rather than an array per put. */
  private readonly oneTimestamp = [0];

  constructor(
    private readonly bytes: SessionBytesBackend,
    /** The change-logging layer over `bytes`, or `bytes` itself when the changelog is off. */
    private readonly below: SessionBytesLayer,
    private readonly cache: CachingSessionStore<K, AGG> | undefined,
    private readonly observed: ObservedTime,
    options: MeteredStoreOptions<K>,
  ) {
    super(bytes, below, cache, options, '-session');
  }

  get retentionMs(): number {
    return this.bytes.retentionMs;
  }

  override init(context: StateStoreContext): void {
    super.init(context);
    this.observed.value = this.bytes.observedTime;
  }

  put(session: Windowed<K>, aggregate: AGG | null): void {
    const begin = this.startTimer();
    try {
      this.checkOpen();
      const { start, end } = this.checkSession(session);
      this.encodeKey(session.key);
      this.observed.advance(end);
      if (aggregate === null || aggregate === undefined) {
        this.write(session.key, start, end, null);
        return;
      }
      if (this.cache === undefined && this.observed.expired(end)) this.context!.recordDropped('expired-window');
      this.write(session.key, start, end, aggregate);
    } finally {
      this.stopTimer('put', begin);
    }
  }

  remove(session: Windowed<K>): void {
    const begin = this.startTimer();
    try {
      this.checkOpen();
      const { start, end } = this.checkSession(session);
      this.encodeKey(session.key);
      this.observed.advance(end);
      // A cache may still hold an expired session (see above), so the removal goes to the cache,
      // as Kafka's caching session store turns every removal into a cached delete; its flush
      // finds no stored session and so reports nothing.
      this.write(session.key, start, end, null);
    } finally {
      this.stopTimer('remove', begin);
    }
  }

  fetchSession(key: K, sessionStart: number, sessionEnd: number): AGG | undefined {
    const begin = this.startTimer();
    try {
      this.checkOpen();
      this.encodeKey(key);
      // The cache answers first, expired or not (see above).
      const entry = this.cache?.session(this.keyId, sessionStart, sessionEnd);
      if (entry !== undefined) return entry.value ?? undefined;
      if (this.observed.expired(sessionEnd)) return undefined;
      const stored = this.below.get(this.keyBytes, sessionStart, sessionEnd);
      return stored === undefined ? undefined : this.serdes.valueFrom(stored);
    } finally {
      this.stopTimer('fetch', begin);
    }
  }

  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    const begin = this.startTimer();
    try {
      return this.sessions(key, earliestSessionEndTime, latestSessionStartTime);
    } finally {
      this.stopTimer('fetch', begin);
    }
  }

  fetch(key: K): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    const begin = this.startTimer();
    try {
      return this.sessions(key, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    } finally {
      this.stopTimer('fetch', begin);
    }
  }

  private sessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): IterableIterator<KeyValue<Windowed<K>, AGG>> {
    this.checkOpen();
    this.encodeKey(key);
    const earliestEnd = Math.max(earliestSessionEndTime, this.observed.earliestLive);
    if (this.cache !== undefined) return this.cache.findSessions(this.keyId, this.keyBytes, key, earliestEnd, earliestSessionEndTime, latestSessionStartTime)[Symbol.iterator]();
    const result: KeyValue<Windowed<K>, AGG>[] = [];
    for (const session of this.below.findSessions(this.keyBytes, earliestEnd, latestSessionStartTime)) {
      result.push({ key: windowed(key, session.start, session.end), value: this.serdes.valueFrom(session.value) });
    }
    return result[Symbol.iterator]();
  }

  private write(key: K, start: number, end: number, aggregate: AGG | null): void {
    const timestamp = this.timestampFor(aggregate);
    const cache = this.cache;
    if (cache !== undefined) {
      cache.put(this.keyId, this.keyBytes, key, aggregate, timestamp, start, end);
      return;
    }
    this.oneTimestamp[0] = timestamp;
    this.below.putBatch([{ key: this.keyBytes, start, end, value: aggregate === null ? null : this.serdes.rawValue(aggregate) }], this.oneTimestamp);
  }

  protected override restored(): void {
    this.observed.advance(this.bytes.observedTime);
  }

  protected writeOfRecord(record: ChangelogRecord): SessionBytesWrite {
    const parts = parseSessionKey(record.key, this.name);
    return { key: parts.key, start: parts.start, end: parts.end, value: record.value };
  }

  protected storedBytesOfWrite(write: SessionBytesWrite): Buffer | undefined {
    return this.below.get(write.key, write.start, write.end);
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
