/**
 * Session stores: aggregates by key and session window, where a session's bounds are the times
 * of its first and last record. Merging sessions means finding the ones a new record touches.
 */
import type { Windowed } from '../kstream/windowed.js';
import type { KeyValue } from './key-value-store.js';
import type { StateStore } from './state-store.js';

/** Reads of a session store. */
export interface ReadOnlySessionStore<K, AGG> {
  /**
   * `key`'s sessions that end at or after `earliestSessionEndTime` and start at or before
   * `latestSessionStartTime`, oldest first: the sessions a record at time t with gap g
   * overlaps are `findSessions(key, t - g, t + g)`.
   */
  findSessions(key: K, earliestSessionEndTime: number, latestSessionStartTime: number): IterableIterator<KeyValue<Windowed<K>, AGG>>;
  /** Every session of `key`, oldest first. */
  fetch(key: K): IterableIterator<KeyValue<Windowed<K>, AGG>>;
  /** The aggregate of exactly this session, or `undefined`. */
  fetchSession(key: K, sessionStart: number, sessionEnd: number): AGG | undefined;
}

/** A session store a processor reads and writes. */
export interface SessionStore<K, AGG> extends StateStore, ReadOnlySessionStore<K, AGG> {
  /** How long sessions are kept after their end, measured against the store's observed time. */
  readonly retentionMs: number;
  /** Writes a session's aggregate; `null` removes it. */
  put(session: Windowed<K>, aggregate: AGG | null): void;
  /** Removes a session (after it was merged into another). */
  remove(session: Windowed<K>): void;
}
