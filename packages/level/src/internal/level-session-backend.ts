/**
 * The LevelDB session backend: session values in LevelDB under segmented keys (segment of the
 * session end, key, end, start; see key-encoding.ts), read with `getSync`; `findSessions` walks
 * the bounded in-memory index while there is one, else reads the key's directories (one per live
 * segment, entries by end then start, Kafka's order) and then each value, so it runs
 * synchronously with no per-key memory.
 */
import type { ChangelogRecord, SessionBytesBackend, SessionBytesEntry, SessionBytesWrite } from '@tributary/streams';
import type { ResolvedLevelStoreOptions } from '../options.js';
import type { LevelDatabase } from './level-database.js';
import { basename } from 'node:path';
import { parseSessionKey, type StoreLocation } from '@tributary/streams/engine';
import { prepareStore } from './store-state.js';
import { LevelTimedBackend, segmentIntervalFor, TimedState } from './timed-state.js';

export class SessionState extends TimedState {
  static async load(database: LevelDatabase, retentionMs: number, indexMaxEntries: number): Promise<SessionState> {
    const state = new SessionState(database, { tiebreakBytes: 8, retentionMs, segmentIntervalMs: segmentIntervalFor(retentionMs), indexMaxEntries });
    await state.loadIndex();
    return state;
  }

  putBatch(writes: readonly SessionBytesWrite[]): void {
    const previous = this.observedTime;
    // Tombstones advance observed time too, as in the in-memory backend and in Kafka. A session
    // is judged against the observed time at the batch's end: one the batch itself expires (a
    // session that expired in a store's cache before its flush) is skipped rather than written
    // and then dropped.
    let observed = previous;
    for (let index = 0; index < writes.length; index++) if (writes[index]!.end > observed) observed = writes[index]!.end;
    this.observedTime = observed;
    const expiredUpTo = observed - this.rules.retentionMs;
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      if (write.value === null) {
        this.remove(write.key, write.end, write.start);
        continue;
      }
      if (write.end <= expiredUpTo) continue;
      this.set(write.key, write.end, write.start, write.value);
    }
    this.expire(previous);
  }

  protected applyChangelog(records: readonly ChangelogRecord[]): void {
    const store = basename(this.database.path);
    const writes: SessionBytesWrite[] = new Array(records.length);
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      const { key, start, end } = parseSessionKey(record.key, store);
      writes[index] = { key, start, end, value: record.value };
    }
    this.putBatch(writes);
  }
}

export function prepareSessionStore(context: StoreLocation, store: string, retentionMs: number, options: ResolvedLevelStoreOptions): Promise<SessionState> {
  return prepareStore(context, store, 'session:2', options, (database) => SessionState.load(database, retentionMs, options.indexMaxEntries));
}

export class LevelSessionBackend extends LevelTimedBackend<SessionState> implements SessionBytesBackend {
  get(key: Buffer, start: number, end: number): Buffer | undefined {
    return this.read(key, end, start);
  }

  findSessions(key: Buffer, earliestSessionEnd: number, latestSessionStart: number): IterableIterator<SessionBytesEntry> {
    const state = this.state!;
    const result: SessionBytesEntry[] = [];
    for (const entry of state.scanKey(key, earliestSessionEnd, Number.POSITIVE_INFINITY)) {
      if (entry.tiebreak > latestSessionStart) continue;
      const value = state.readListed(key, entry.time, entry.tiebreak);
      if (value !== undefined) result.push({ key, start: entry.tiebreak, end: entry.time, value });
    }
    return result[Symbol.iterator]();
  }

  putBatch(writes: readonly SessionBytesWrite[]): void {
    this.state!.putBatch(writes);
  }
}
