/**
 * The state of a LevelDB window or session store: the database, the in-memory index of its live
 * entries (the engine's `TimeKeyedEntries`, holding `true` where the value is on disk), the
 * observed time (persisted with each batch) and the segment below which everything has been
 * range-deleted. Window and session backends differ only in their rules,
 * passed in as a {@link TimedRules}.
 */
import type { LevelDatabase } from './level-database.js';
import { parseTimedKey, segmentStart, dataKeysStart, timedKey } from './key-encoding.js';
import { LevelBackend, StoreState } from './store-state.js';
import { TimeKeyedEntries } from '@tributary/streams/engine';

export interface TimedRules {
  readonly tiebreakBytes: 4 | 8;
  readonly retentionMs: number;
  /** For a new store; a store on disk keeps the interval it was written with. */
  readonly segmentIntervalMs: number;
}

const observedTimeMeta = 'observed-time';
const segmentIntervalMeta = 'segment-interval';

export abstract class TimedState extends StoreState {
  /**
   * Which (key, time, tiebreak) entries exist, without their values (those stay on disk, read with
   * `getSync`): window and session fetches are synchronous and classic-level iterators are not, so
   * fetches walk this index; retention bounds its size.
   */
  readonly index = new TimeKeyedEntries<true>();
  observedTime = Number.NEGATIVE_INFINITY;
  /** Segments below this one are deleted (or being deleted). */
  private firstLiveSegment = Number.NEGATIVE_INFINITY;
  private segmentIntervalMs: number;

  constructor(
    database: LevelDatabase,
    readonly rules: TimedRules,
  ) {
    super(database);
    this.segmentIntervalMs = rules.segmentIntervalMs;
  }

  /** Loads the index from the keys on disk, skipping what expired (it may linger until its segment goes). */
  protected async loadIndex(): Promise<void> {
    this.observedTime = this.database.metaNumber(observedTimeMeta) ?? Number.NEGATIVE_INFINITY;
    const storedInterval = this.database.metaNumber(segmentIntervalMeta);
    if (storedInterval === undefined) this.database.setMetaNumber(segmentIntervalMeta, this.segmentIntervalMs);
    else this.segmentIntervalMs = storedInterval;
    this.firstLiveSegment = this.liveSegment();
    const bound = this.observedTime - this.rules.retentionMs;
    for await (const dataKey of this.database.dataKeys()) {
      const parts = parseTimedKey(dataKey, this.rules.tiebreakBytes);
      if (parts.time <= bound) continue;
      this.index.set(parts.key, parts.key.toString('latin1'), parts.time, parts.tiebreak, true);
    }
  }

  dataKey(key: Buffer, time: number, tiebreak: number): Buffer {
    return timedKey(key, Math.floor(time / this.segmentIntervalMs), time, tiebreak, this.rules.tiebreakBytes);
  }

  read(key: Buffer, time: number, tiebreak: number): Buffer | undefined {
    const dataKey = this.dataKey(key, time, tiebreak);
    return this.database.read(dataKey, dataKey.toString('latin1'));
  }

  set(key: Buffer, keyId: string, time: number, tiebreak: number, value: Buffer): void {
    this.index.set(key, keyId, time, tiebreak, true);
    const dataKey = this.dataKey(key, time, tiebreak);
    this.database.write(dataKey, dataKey.toString('latin1'), value);
  }

  remove(key: Buffer, keyId: string, time: number, tiebreak: number): void {
    if (!this.index.has(keyId, time, tiebreak)) return;
    this.index.delete(keyId, time, tiebreak);
    const dataKey = this.dataKey(key, time, tiebreak);
    this.database.write(dataKey, dataKey.toString('latin1'), null);
  }

  /** After writes that may have advanced the observed time: persists it and drops what expired. */
  expire(previousObservedTime: number): void {
    if (this.observedTime === previousObservedTime) return;
    this.database.setMetaNumber(observedTimeMeta, this.observedTime);
    this.index.removeUpTo(this.observedTime - this.rules.retentionMs);
    const live = this.liveSegment();
    if (live > this.firstLiveSegment) {
      this.database.clearRange(dataKeysStart, segmentStart(live));
      this.firstLiveSegment = live;
    }
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
    const state = this.state!;
    if (!state.index.has(key.toString('latin1'), time, tiebreak)) return undefined;
    return state.read(key, time, tiebreak);
  }
}
