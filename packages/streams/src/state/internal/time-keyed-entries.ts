/**
 * The in-memory structure under the window and session backends: values by (key bytes, time,
 * tiebreak). Persistent backends reuse it (through `@tributary/streams/engine`) as an index of
 * which entries exist, with `true` as the value and the bytes on disk. Each key's entries sit in one array sorted by time then tiebreak, so a per-key time
 * range (`fetch(key, from, to)`, `findSessions`) is a binary search and a contiguous scan. A time
 * index (distinct times, sorted, each with the keys that have an entry there) serves cross-key
 * scans in time order and drops expired data a whole time slot at a time, oldest first.
 *
 * For windows the time is the window start and the tiebreak the seqnum; for sessions the time is
 * the end and the tiebreak the start (Kafka's session key order).
 */

/** One stored value. */
export interface TimedEntry<V = Buffer> {
  /** The window start (windows) or the session end (sessions). */
  readonly time: number;
  /** The seqnum (windows) or the session start (sessions). */
  readonly tiebreak: number;
  value: V;
}

/** A stored value with its key, as cross-key scans return it. */
export interface KeyedTimedEntry<V = Buffer> {
  /** The key bytes, without the time and tiebreak. */
  readonly key: Buffer;
  readonly time: number;
  readonly tiebreak: number;
  readonly value: V;
}

interface KeyEntries<V> {
  readonly key: Buffer;
  readonly entries: TimedEntry<V>[];
}

/**
 * Values by key bytes, time and tiebreak, for backends. `keyId` is the key bytes as a latin1
 * string (it orders as the bytes do); callers compute it once per record.
 */
export class TimeKeyedEntries<V = Buffer> {
  private readonly byKey = new Map<string, KeyEntries<V>>();
  /** Distinct times with at least one entry, ascending. */
  private readonly times: number[] = [];
  private readonly keysByTime = new Map<number, Set<string>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Whether an entry exists at exactly (key, time, tiebreak). */
  has(keyId: string, time: number, tiebreak: number): boolean {
    const entries = this.byKey.get(keyId)?.entries;
    if (entries === undefined) return false;
    const entry = entries[entryIndex(entries, time, tiebreak)];
    return entry !== undefined && entry.time === time && entry.tiebreak === tiebreak;
  }

  /** The value at exactly (key, time, tiebreak), or `undefined`. */
  get(keyId: string, time: number, tiebreak: number): V | undefined {
    const entries = this.byKey.get(keyId)?.entries;
    if (entries === undefined) return undefined;
    const index = entryIndex(entries, time, tiebreak);
    const entry = entries[index];
    return entry !== undefined && entry.time === time && entry.tiebreak === tiebreak ? entry.value : undefined;
  }

  /** Stores `value` at (key, time, tiebreak), replacing what was there. */
  set(key: Buffer, keyId: string, time: number, tiebreak: number, value: V): void {
    let forKey = this.byKey.get(keyId);
    if (forKey === undefined) {
      forKey = { key, entries: [] };
      this.byKey.set(keyId, forKey);
    }
    const entries = forKey.entries;
    const last = entries[entries.length - 1];
    // Time mostly moves forward, so most writes append.
    const index = last === undefined || last.time < time || (last.time === time && last.tiebreak < tiebreak) ? entries.length : entryIndex(entries, time, tiebreak);
    const existing = entries[index];
    if (existing !== undefined && existing.time === time && existing.tiebreak === tiebreak) {
      existing.value = value;
      return;
    }
    if (index === entries.length) entries.push({ time, tiebreak, value });
    else entries.splice(index, 0, { time, tiebreak, value });
    this.count++;
    let keys = this.keysByTime.get(time);
    if (keys === undefined) {
      keys = new Set();
      this.keysByTime.set(time, keys);
      const times = this.times;
      if (times.length === 0 || times[times.length - 1]! < time) times.push(time);
      else times.splice(numberLowerBound(times, time), 0, time);
    }
    keys.add(keyId);
  }

  delete(keyId: string, time: number, tiebreak: number): void {
    const forKey = this.byKey.get(keyId);
    if (forKey === undefined) return;
    const entries = forKey.entries;
    const index = entryIndex(entries, time, tiebreak);
    const entry = entries[index];
    if (entry === undefined || entry.time !== time || entry.tiebreak !== tiebreak) return;
    entries.splice(index, 1);
    this.count--;
    if (entries.length === 0) this.byKey.delete(keyId);
    // The key leaves the time slot only when it has no other entry at that time.
    if (entries[index]?.time === time || entries[index - 1]?.time === time) return;
    const keys = this.keysByTime.get(time)!;
    keys.delete(keyId);
    if (keys.size === 0) {
      this.keysByTime.delete(time);
      this.times.splice(numberLowerBound(this.times, time), 1);
    }
  }

  /** `keyId`'s entries with `timeFrom <= time <= timeTo`, by time then tiebreak. */
  scanKey(keyId: string, timeFrom: number, timeTo: number): TimedEntry<V>[] {
    const entries = this.byKey.get(keyId)?.entries;
    if (entries === undefined || timeFrom > timeTo) return [];
    const result: TimedEntry<V>[] = [];
    for (let index = entryIndex(entries, timeFrom, Number.NEGATIVE_INFINITY); index < entries.length; index++) {
      const entry = entries[index]!;
      if (entry.time > timeTo) break;
      result.push(entry);
    }
    return result;
  }

  /** Every key's entries with `timeFrom <= time <= timeTo`, by time, then key bytes, then tiebreak. */
  scanAll(timeFrom: number, timeTo: number): KeyedTimedEntry<V>[] {
    const result: KeyedTimedEntry<V>[] = [];
    if (timeFrom > timeTo) return result;
    const times = this.times;
    for (let index = numberLowerBound(times, timeFrom); index < times.length; index++) {
      const time = times[index]!;
      if (time > timeTo) break;
      // Latin1 key ids compare as the key bytes do.
      const keyIds = [...this.keysByTime.get(time)!].sort();
      for (const keyId of keyIds) {
        const forKey = this.byKey.get(keyId)!;
        const entries = forKey.entries;
        for (let at = entryIndex(entries, time, Number.NEGATIVE_INFINITY); at < entries.length && entries[at]!.time === time; at++) {
          const entry = entries[at]!;
          result.push({ key: forKey.key, time, tiebreak: entry.tiebreak, value: entry.value });
        }
      }
    }
    return result;
  }

  /** Calls `visit` with each key's bytes and its entries, by time then tiebreak (keys in no particular order); `visit` must not change them. */
  forEachKey(visit: (key: Buffer, entries: readonly TimedEntry<V>[]) => void): void {
    for (const forKey of this.byKey.values()) visit(forKey.key, forKey.entries);
  }

  /** Drops every entry with `time <= bound`, a time slot at a time from the oldest. */
  removeUpTo(bound: number): void {
    const times = this.times;
    let expired = 0;
    while (expired < times.length && times[expired]! <= bound) {
      const time = times[expired]!;
      for (const keyId of this.keysByTime.get(time)!) {
        const forKey = this.byKey.get(keyId);
        if (forKey === undefined) continue;
        const entries = forKey.entries;
        let drop = 0;
        while (drop < entries.length && entries[drop]!.time <= bound) drop++;
        if (drop === entries.length) this.byKey.delete(keyId);
        else entries.splice(0, drop);
        this.count -= drop;
      }
      this.keysByTime.delete(time);
      expired++;
    }
    if (expired > 0) times.splice(0, expired);
  }

  clear(): void {
    this.byKey.clear();
    this.keysByTime.clear();
    this.times.length = 0;
    this.count = 0;
  }
}

/** The index of the first entry at or after (time, tiebreak). */
function entryIndex(entries: readonly TimedEntry<unknown>[], time: number, tiebreak: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const entry = entries[middle]!;
    if (entry.time < time || (entry.time === time && entry.tiebreak < tiebreak)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose number is `>= target`. */
function numberLowerBound(numbers: readonly number[], target: number): number {
  let low = 0;
  let high = numbers.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (numbers[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
