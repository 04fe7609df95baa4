/**
 * The state of a LevelDB window or session store: the database; a bounded in-memory index of
 * every live entry (the engine's `TimeKeyedEntries`, holding `true` where the value is on disk),
 * which serves per-key and cross-key scans while the store has at most `indexMaxEntries` entries;
 * past that, per-key directories on disk (time-directory.ts) that make a per-key fetch a few
 * `getSync` reads with no memory per key; the observed time (persisted with each batch) and the
 * segment below which everything has been range-deleted. Window and session backends differ
 * only in their rules, passed in as a {@link TimedRules}.
 */
import type { LevelDatabase } from './level-database.js';
import { indexFullError } from './index-bound.js';
import { dataKeysStart, directoryKey, directoryKeysStart, directorySegmentStart, parseTimedKey, segmentStart, timedKey } from './key-encoding.js';
import { LevelBackend, StoreState } from './store-state.js';
import { DirectoryLayout } from './time-directory.js';
import { keyHash, SegmentKeyFilter } from './segment-key-filter.js';
import { TimeKeyedEntries, type KeyedTimedEntry, type TimedEntry } from '@tributary/streams/engine';

export interface TimedRules {
  readonly tiebreakBytes: 4 | 8;
  readonly retentionMs: number;
  /** For a new store; a store on disk keeps the interval it was written with. */
  readonly segmentIntervalMs: number;
  /** The most entries the in-memory index holds before it is dropped. */
  readonly indexMaxEntries: number;
}

const observedTimeMeta = 'observed-time';
const segmentIntervalMeta = 'segment-interval';
/** 1 while every live entry is listed in its directory (always, once the index is dropped). */
const directoriesMeta = 'directories-kept';

export abstract class TimedState extends StoreState {
  /**
   * Which (key, time, tiebreak) entries exist, without their values, for `fetchAll` (a cross-key
   * scan in time order, which classic-level cannot do synchronously); `undefined` once the store
   * outgrew `indexMaxEntries`. While it exists it also spares per-key reads their LevelDB reads
   * of directories and of missing entries; the directories are kept either way, so dropping it
   * loses nothing.
   */
  index: TimeKeyedEntries<true> | undefined = new TimeKeyedEntries<true>();
  observedTime = Number.NEGATIVE_INFINITY;
  /** Segments below this one are deleted (or being deleted). */
  private firstLiveSegment = Number.NEGATIVE_INFINITY;
  private segmentIntervalMs: number;
  private readonly directories: DirectoryLayout;
  /** Whether the directories list every live entry; needed once the index is gone. */
  private directoriesKept = false;
  /**
   * Once the index is gone: the keys written to each segment from {@link filteredFrom} on, so a
   * read of a key a segment never held skips that segment's LevelDB reads. A filtered segment
   * without a filter holds no keys.
   */
  private filters: Map<number, SegmentKeyFilter> | undefined;
  /**
   * The first segment whose filter lists every key it holds: all of them when the index was
   * dropped while running (the filters are built from it), the segments after the observed time's
   * when the store opened too large for its index (earlier ones hold keys no filter saw; they
   * expire within one retention period).
   */
  private filteredFrom = Number.POSITIVE_INFINITY;
  /** The most keys a segment's filter has taken: a new segment's filter is sized for as many. */
  private keysPerSegment = 0;

  constructor(
    database: LevelDatabase,
    readonly rules: TimedRules,
  ) {
    super(database);
    this.segmentIntervalMs = rules.segmentIntervalMs;
    this.directories = new DirectoryLayout(rules.tiebreakBytes);
  }

  /**
   * Loads the index from the keys of live segments on disk, skipping what expired (it may linger
   * until its segment goes), and stops (dropping it) past the bound. A store too large for its
   * index whose directories were not kept (it last ran with its index) gets them rebuilt here.
   */
  protected async loadIndex(): Promise<void> {
    this.observedTime = this.database.metaNumber(observedTimeMeta) ?? Number.NEGATIVE_INFINITY;
    const storedInterval = this.database.metaNumber(segmentIntervalMeta);
    if (storedInterval === undefined) this.database.setMetaNumber(segmentIntervalMeta, this.segmentIntervalMs);
    else this.segmentIntervalMs = storedInterval;
    this.directoriesKept = this.database.metaNumber(directoriesMeta) === 1;
    this.firstLiveSegment = this.liveSegment();
    for await (const parts of this.liveEntries()) {
      const index = this.index!;
      index.set(parts.key, parts.key.toString('latin1'), parts.time, parts.tiebreak, true);
      if (index.size > this.rules.indexMaxEntries) {
        this.index = undefined;
        // Nothing is stored after the observed time, so later segments start empty and filtered.
        this.startFilters(this.segmentOf(this.observedTime) + 1);
        break;
      }
    }
    if (this.index === undefined && !this.directoriesKept) await this.rebuildDirectories();
  }

  /** The live entries on disk, in data key order (segment, key, time, tiebreak). */
  private async *liveEntries(): AsyncGenerator<{ key: Buffer; time: number; tiebreak: number }> {
    const bound = this.observedTime - this.rules.retentionMs;
    const from = this.firstLiveSegment === Number.NEGATIVE_INFINITY ? dataKeysStart : segmentStart(this.firstLiveSegment);
    for await (const dataKey of this.database.dataKeys(from)) {
      const parts = parseTimedKey(dataKey, this.rules.tiebreakBytes);
      if (parts.time > bound) yield parts;
    }
  }

  /**
   * Writes every live key's directories from the data on disk, a (segment, key) group at a time
   * (data keys are in that order), committing every few thousand so the write buffer stays small.
   */
  private async rebuildDirectories(): Promise<void> {
    let group: { key: Buffer; segment: number; entries: { time: number; tiebreak: number }[] } | undefined;
    let written = 0;
    const writeGroup = async (): Promise<void> => {
      if (group === undefined) return;
      const directoryId = directoryKey(group.key, group.segment);
      this.database.write(directoryId, this.directories.of(group.entries));
      if (++written % 4096 === 0) {
        this.database.flush(false);
        await this.database.commit();
      }
    };
    for await (const parts of this.liveEntries()) {
      const segment = this.segmentOf(parts.time);
      if (group === undefined || group.segment !== segment || !group.key.equals(parts.key)) {
        await writeGroup();
        group = { key: parts.key, segment, entries: [] };
      }
      group.entries.push({ time: parts.time, tiebreak: parts.tiebreak });
    }
    await writeGroup();
    this.markDirectoriesKept(true);
    this.database.flush();
    // Directories are derived from the data the checkpoint vouches for: the checkpoint still holds.
    if (this.database.checkpoint === undefined) await this.database.commit();
    else await this.database.writeCheckpoint(this.database.checkpoint);
  }

  dataKey(key: Buffer, time: number, tiebreak: number): Buffer {
    return timedKey(key, this.segmentOf(time), time, tiebreak, this.rules.tiebreakBytes);
  }

  /** The stored value at exactly (key, time, tiebreak), or `undefined` (also when expired). */
  read(key: Buffer, time: number, tiebreak: number): Buffer | undefined {
    if (this.expired(time)) return undefined;
    // While the index holds every entry, it answers misses without a LevelDB read; then the filters answer most.
    if (this.index === undefined ? !this.mayHold(this.segmentOf(time), keyHash(key)) : !this.index.has(key.toString('latin1'), time, tiebreak)) return undefined;
    return this.readListed(key, time, tiebreak);
  }

  /** The value of an entry the index or a directory lists (a `scanKey` or `scanAll` result). */
  readListed(key: Buffer, time: number, tiebreak: number): Buffer | undefined {
    const dataKey = this.dataKey(key, time, tiebreak);
    return this.database.read(dataKey);
  }

  /** Writes the entry at (key, time, tiebreak). */
  set(key: Buffer, time: number, tiebreak: number, value: Buffer): void {
    const index = this.index;
    if (index === undefined) {
      const segment = this.segmentOf(time);
      const hash = keyHash(key);
      const directoryId = directoryKey(key, segment);
      const held = this.mayHold(segment, hash);
      const grown = this.directories.insert(held ? this.database.read(directoryId) : undefined, time, tiebreak);
      if (grown !== undefined) this.database.write(directoryId, grown);
      // A key the filter may hold has its bits set already.
      if (!held) this.remember(segment, hash);
    } else {
      // The key's latin1 id only while the index needs it: after the drop, no string per write.
      const keyId = key.toString('latin1');
      if (!index.has(keyId, time, tiebreak)) {
        // While the index holds every entry, directories are not kept: they are written from it
        // the moment it is dropped.
        this.markDirectoriesKept(false);
        index.set(key, keyId, time, tiebreak, true);
        if (index.size > this.rules.indexMaxEntries) this.dropIndex();
      }
    }
    const dataKey = this.dataKey(key, time, tiebreak);
    this.database.write(dataKey, value);
  }

  /** Deletes the entry at (key, time, tiebreak), if there is one. */
  remove(key: Buffer, time: number, tiebreak: number): void {
    const index = this.index;
    if (index === undefined) {
      const segment = this.segmentOf(time);
      if (!this.mayHold(segment, keyHash(key))) return;
      const directoryId = directoryKey(key, segment);
      const shrunk = this.directories.remove(this.database.read(directoryId), time, tiebreak);
      if (shrunk === undefined) return;
      this.database.write(directoryId, shrunk);
    } else {
      const keyId = key.toString('latin1');
      if (!index.has(keyId, time, tiebreak)) return;
      this.markDirectoriesKept(false);
      index.delete(keyId, time, tiebreak);
    }
    const dataKey = this.dataKey(key, time, tiebreak);
    this.database.write(dataKey, null);
  }

  /**
   * Drops the index after writing every key's directories from it (at most `indexMaxEntries`
   * entries, once). A directory it does not rewrite lists only entries since deleted, which
   * reads skip; expired entries it no longer holds are never read.
   */
  private dropIndex(): void {
    const index = this.index!;
    this.index = undefined;
    // The index lists every entry, so the filters built from it are complete for every segment.
    this.startFilters(Number.NEGATIVE_INFINITY);
    // Each key's entries are in time order, so a directory is a run of them in one segment.
    index.forEachKey((key, entries) => {
      const hash = keyHash(key);
      for (let from = 0; from < entries.length; ) {
        const segment = this.segmentOf(entries[from]!.time);
        let to = from + 1;
        while (to < entries.length && this.segmentOf(entries[to]!.time) === segment) to++;
        const directoryId = directoryKey(key, segment);
        this.database.write(directoryId, this.directories.of(from === 0 && to === entries.length ? entries : entries.slice(from, to)));
        this.remember(segment, hash);
        from = to;
      }
    });
    this.markDirectoriesKept(true);
  }

  /** Records (with the next batch) whether every live entry is listed in its directory. */
  private markDirectoriesKept(kept: boolean): void {
    if (this.directoriesKept === kept) return;
    this.directoriesKept = kept;
    this.database.setMetaNumber(directoriesMeta, kept ? 1 : 0);
  }

  /**
   * `key`'s live entries with `timeFrom <= time <= timeTo`, by time then tiebreak: from the index
   * while it holds every entry, else from the key's directories (one `getSync` per live segment
   * the range touches).
   */
  scanKey(key: Buffer, timeFrom: number, timeTo: number): TimedEntry<true>[] {
    if (this.index !== undefined) return this.index.scanKey(key.toString('latin1'), timeFrom, timeTo);
    const found: TimedEntry<true>[] = [];
    if (this.observedTime === Number.NEGATIVE_INFINITY) return found;
    // Nothing is stored after the observed time (it is the largest time written).
    const from = Math.max(timeFrom, this.observedTime - this.rules.retentionMs + 1);
    const to = Math.min(timeTo, this.observedTime);
    if (from > to) return found;
    const layout = this.directories;
    const hash = keyHash(key);
    const lastSegment = this.segmentOf(to);
    for (let segment = this.segmentOf(from); segment <= lastSegment; segment++) {
      if (!this.mayHold(segment, hash)) continue;
      const directoryId = directoryKey(key, segment);
      const directory = this.database.read(directoryId);
      if (directory === undefined) continue;
      const count = layout.count(directory);
      for (let index = layout.firstAtOrAfter(directory, from); index < count; index++) {
        const time = layout.time(directory, index);
        if (time > to) break;
        found.push({ time, tiebreak: layout.tiebreak(directory, index), value: true });
      }
    }
    return found;
  }

  /** Every key's live entries with `timeFrom <= time <= timeTo`, from the index (or a {@link StoreIndexFullError}). */
  scanAll(timeFrom: number, timeTo: number, iteration: string): KeyedTimedEntry<true>[] {
    if (this.index === undefined) throw indexFullError(this.path, this.rules.indexMaxEntries, iteration);
    return this.index.scanAll(timeFrom, timeTo);
  }

  /** After writes that may have advanced the observed time: persists it and drops what expired. */
  expire(previousObservedTime: number): void {
    if (this.observedTime === previousObservedTime) return;
    this.database.setMetaNumber(observedTimeMeta, this.observedTime);
    this.index?.removeUpTo(this.observedTime - this.rules.retentionMs);
    const live = this.liveSegment();
    if (live > this.firstLiveSegment) {
      this.database.clearRange(dataKeysStart, segmentStart(live));
      this.database.clearRange(directoryKeysStart, directorySegmentStart(live));
      this.firstLiveSegment = live;
      if (this.filters !== undefined) for (const segment of this.filters.keys()) if (segment < live) this.filters.delete(segment);
    }
  }

  /** Starts filtering keys per segment (the index is gone), from segment `from` on. */
  private startFilters(from: number): void {
    this.filters = new Map();
    this.filteredFrom = from;
  }

  /** Whether the key whose {@link keyHash} is `hash` may have entries in `segment` (only once the index is gone). */
  private mayHold(segment: number, hash: number): boolean {
    if (segment < this.filteredFrom) return true;
    const filter = this.filters!.get(segment);
    return filter !== undefined && filter.mightContain(hash);
  }

  /** Adds a key written to `segment` to its filter (only once the index is gone; only keys it does not hold yet). */
  private remember(segment: number, hash: number): void {
    if (segment < this.filteredFrom) return;
    const filters = this.filters!;
    let filter = filters.get(segment);
    if (filter === undefined) {
      filter = new SegmentKeyFilter(this.keysPerSegment);
      filters.set(segment, filter);
    }
    filter.add(hash);
    if (filter.count > this.keysPerSegment) this.keysPerSegment = filter.count;
  }

  private expired(time: number): boolean {
    return time <= this.observedTime - this.rules.retentionMs;
  }

  private segmentOf(time: number): number {
    return Math.floor(time / this.segmentIntervalMs);
  }

  /** The first segment holding a time that has not expired. */
  private liveSegment(): number {
    if (this.observedTime === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY;
    // Expired: time <= observed - retention; the first live time is one more.
    return Math.floor((this.observedTime - this.rules.retentionMs + 1) / this.segmentIntervalMs);
  }
}

/** Kafka's segment interval: half the retention (so about three segments live), at least 1 ms. */
export function segmentIntervalFor(retentionMs: number): number {
  return Math.max(Math.floor(retentionMs / 2), 1);
}

/** What the window and session backends share: retention and the observed time of their state. */
export abstract class LevelTimedBackend<S extends TimedState> extends LevelBackend<S> {
  constructor(
    name: string,
    readonly retentionMs: number,
  ) {
    super(name);
  }

  get observedTime(): number {
    return this.state?.observedTime ?? Number.NEGATIVE_INFINITY;
  }

  /** The stored value at exactly (key, time, tiebreak), or `undefined`. */
  protected read(key: Buffer, time: number, tiebreak: number): Buffer | undefined {
    return this.state!.read(key, time, tiebreak);
  }
}
