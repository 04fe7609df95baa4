/**
 * The LevelDB window backend: window values in LevelDB under segmented keys (see
 * key-encoding.ts), read with `getSync`; `fetch` walks the bounded in-memory index while there
 * is one, else reads the key's directories (one per live segment) and then each value, so it
 * runs synchronously with no per-key memory. `fetchAll` needs the index. Expired segments are
 * deleted with one range delete after the batch that expired them.
 */
import type { ChangelogRecord, WindowBytesBackend, WindowBytesEntry, WindowBytesWrite } from '@tributary/streams';
import type { ResolvedLevelStoreOptions } from '../options.js';
import type { LevelDatabase } from './level-database.js';
import { basename } from 'node:path';
import { parseWindowKey, type StoreLocation } from '@tributary/streams/engine';
import { prepareStore } from './store-state.js';
import { LevelTimedBackend, segmentIntervalFor, TimedState } from './timed-state.js';

const maxSeqnumMeta = 'max-seqnum';

export class WindowState extends TimedState {
  /** The largest seqnum written (persisted with each batch), so a reopened store resumes after it. */
  maxSeqnum = 0;

  static async load(database: LevelDatabase, retentionMs: number, indexMaxEntries: number): Promise<WindowState> {
    const state = new WindowState(database, { tiebreakBytes: 4, retentionMs, segmentIntervalMs: segmentIntervalFor(retentionMs), indexMaxEntries });
    state.maxSeqnum = database.metaNumber(maxSeqnumMeta) ?? 0;
    await state.loadIndex();
    return state;
  }

  putBatch(writes: readonly WindowBytesWrite[]): void {
    const previous = this.observedTime;
    // A write is judged against the observed time at the batch's end: one the batch itself
    // expires (a window that expired in a store's cache before its flush) is skipped rather than
    // written and then dropped, so it never grows the index or a directory.
    const observed = batchObservedTime(writes, previous);
    this.observedTime = observed;
    const expiredUpTo = observed - this.rules.retentionMs;
    for (let index = 0; index < writes.length; index++) {
      const write = writes[index]!;
      const windowStart = write.windowStart;
      if (windowStart <= expiredUpTo) continue;
      if (write.value === null) {
        this.remove(write.key, windowStart, write.seqnum);
        continue;
      }
      this.set(write.key, windowStart, write.seqnum, write.value);
      if (write.seqnum > this.maxSeqnum) {
        this.maxSeqnum = write.seqnum;
        this.database.setMetaNumber(maxSeqnumMeta, write.seqnum);
      }
    }
    this.expire(previous);
  }

  protected applyChangelog(records: readonly ChangelogRecord[]): void {
    const store = basename(this.database.path);
    const writes: WindowBytesWrite[] = new Array(records.length);
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      const { key, windowStart, seqnum } = parseWindowKey(record.key, store);
      writes[index] = { key, windowStart, seqnum, value: record.value };
    }
    this.putBatch(writes);
  }
}

/** The largest window start among `writes` and `observedTime`. */
function batchObservedTime(writes: readonly WindowBytesWrite[], observedTime: number): number {
  let observed = observedTime;
  for (let index = 0; index < writes.length; index++) if (writes[index]!.windowStart > observed) observed = writes[index]!.windowStart;
  return observed;
}

export function prepareWindowStore(context: StoreLocation, store: string, retentionMs: number, options: ResolvedLevelStoreOptions): Promise<WindowState> {
  return prepareStore(context, store, 'window:2', options, (database) => WindowState.load(database, retentionMs, options.indexMaxEntries));
}

export class LevelWindowBackend extends LevelTimedBackend<WindowState> implements WindowBytesBackend {
  get(key: Buffer, windowStart: number, seqnum: number): Buffer | undefined {
    return this.read(key, windowStart, seqnum);
  }

  fetch(key: Buffer, timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry> {
    const state = this.state!;
    const found = state.scanKey(key, timeFrom, timeTo);
    const result: WindowBytesEntry[] = [];
    for (let index = 0; index < found.length; index++) {
      const entry = found[index]!;
      const value = state.readListed(key, entry.time, entry.tiebreak);
      if (value !== undefined) result.push({ key, windowStart: entry.time, seqnum: entry.tiebreak, value });
    }
    return result[Symbol.iterator]();
  }

  fetchAll(timeFrom: number, timeTo: number): IterableIterator<WindowBytesEntry> {
    const state = this.state!;
    const found = state.scanAll(timeFrom, timeTo, 'fetchAll()');
    const result: WindowBytesEntry[] = [];
    for (let index = 0; index < found.length; index++) {
      const entry = found[index]!;
      const value = state.readListed(entry.key, entry.time, entry.tiebreak);
      if (value !== undefined) result.push({ key: entry.key, windowStart: entry.time, seqnum: entry.tiebreak, value });
    }
    return result[Symbol.iterator]();
  }

  putBatch(writes: readonly WindowBytesWrite[]): void {
    this.state!.putBatch(writes);
  }

  /** The largest seqnum ever written, kept as metadata (it may belong to an expired window: new ones only need to be larger). */
  maxSeqnum(): number {
    return this.state!.maxSeqnum;
  }
}
