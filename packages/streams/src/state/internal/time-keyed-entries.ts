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
 *
 * Memory is per entry, and a LevelDB store's index holds up to `indexMaxEntries` of them per
 * task, so the layout is lean: a key's entries are the map's value itself (the key bytes are
 * rebuilt from the latin1 key id for cross-key scans), a key's first entry gets an array of
 * exactly one slot, and a time slot with a single key holds its id as a string, not a `Set`.
 * About 180 bytes an entry where every key has one entry at a time of its own (a de-duplication
 * store), against 560 before (`time-keyed-entries.test.ts` pins a bound).
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

/**
 * A key's entries: the entry itself while it has one (most keys of a de-duplication or session
 * store), else an array sorted by time then tiebreak.
 */
type KeySlot<V> = TimedEntry<V> | TimedEntry<V>[];

/**
 * The keys with an entry at one time: the key id itself while there is one, a small array of ids
 * up to {@link smallTimeSlot}, then a `Set` (a window start every key of a window shares).
 */
type TimeSlot = string | string[] | Set<string>;

/** The most key ids a time slot holds in an array before it turns into a `Set`. */
const smallTimeSlot = 8;

/**
 * Values by key bytes, time and tiebreak, for backends. `keyId` is the key bytes as a latin1
 * string (it orders as the bytes do); callers compute it once per record.
 */
export class TimeKeyedEntries<V = Buffer> {
  private readonly byKey = new Map<string, KeySlot<V>>();
  /** Distinct times with at least one entry, ascending. */
  private readonly times: number[] = [];
  private readonly keysByTime = new Map<number, TimeSlot>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Whether an entry exists at exactly (key, time, tiebreak). */
  has(keyId: string, time: number, tiebreak: number): boolean {
    return this.find(keyId, time, tiebreak) !== undefined;
  }

  /** The value at exactly (key, time, tiebreak), or `undefined`. */
  get(keyId: string, time: number, tiebreak: number): V | undefined {
    return this.find(keyId, time, tiebreak)?.value;
  }

  /**
   * Stores `value` at (key, time, tiebreak), replacing what was there. `key` is the key's bytes,
   * whose latin1 string is `keyId`; only the id is kept.
   */
  set(_key: Buffer, keyId: string, time: number, tiebreak: number, value: V): void {
    const slot = this.byKey.get(keyId);
    if (slot === undefined) {
      this.byKey.set(keyId, { time, tiebreak, value });
    } else if (!Array.isArray(slot)) {
      if (slot.time === time && slot.tiebreak === tiebreak) {
        slot.value = value;
        return;
      }
      const entry = { time, tiebreak, value };
      this.byKey.set(keyId, before(slot, time, tiebreak) ? [slot, entry] : [entry, slot]);
    } else {
      const last = slot[slot.length - 1]!;
      // Time mostly moves forward, so most writes append.
      const index = before(last, time, tiebreak) ? slot.length : entryIndex(slot, time, tiebreak);
      const existing = slot[index];
      if (existing !== undefined && existing.time === time && existing.tiebreak === tiebreak) {
        existing.value = value;
        return;
      }
      if (index === slot.length) slot.push({ time, tiebreak, value });
      else slot.splice(index, 0, { time, tiebreak, value });
    }
    this.count++;
    this.addToTime(time, keyId);
  }

  delete(keyId: string, time: number, tiebreak: number): void {
    const slot = this.byKey.get(keyId);
    if (slot === undefined) return;
    if (!Array.isArray(slot)) {
      if (slot.time !== time || slot.tiebreak !== tiebreak) return;
      this.byKey.delete(keyId);
    } else {
      const index = entryIndex(slot, time, tiebreak);
      const entry = slot[index];
      if (entry === undefined || entry.time !== time || entry.tiebreak !== tiebreak) return;
      slot.splice(index, 1);
      if (slot.length === 1) this.byKey.set(keyId, slot[0]!);
      // The key leaves the time slot only when it has no other entry at that time.
      if (slot[index]?.time === time || slot[index - 1]?.time === time) {
        this.count--;
        return;
      }
    }
    this.count--;
    this.removeFromTime(time, keyId);
  }

  /** `keyId`'s entries with `timeFrom <= time <= timeTo`, by time then tiebreak. */
  scanKey(keyId: string, timeFrom: number, timeTo: number): TimedEntry<V>[] {
    const slot = this.byKey.get(keyId);
    if (slot === undefined || timeFrom > timeTo) return [];
    if (!Array.isArray(slot)) return slot.time >= timeFrom && slot.time <= timeTo ? [slot] : [];
    const result: TimedEntry<V>[] = [];
    for (let index = entryIndex(slot, timeFrom, Number.NEGATIVE_INFINITY); index < slot.length; index++) {
      const entry = slot[index]!;
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
      const timeSlot = this.keysByTime.get(time)!;
      // Latin1 key ids compare as the key bytes do.
      const keyIds = typeof timeSlot === 'string' ? [timeSlot] : [...timeSlot].sort();
      for (const keyId of keyIds) {
        const slot = this.byKey.get(keyId)!;
        const key = Buffer.from(keyId, 'latin1');
        if (!Array.isArray(slot)) {
          result.push({ key, time, tiebreak: slot.tiebreak, value: slot.value });
          continue;
        }
        for (let at = entryIndex(slot, time, Number.NEGATIVE_INFINITY); at < slot.length && slot[at]!.time === time; at++) {
          const entry = slot[at]!;
          result.push({ key, time, tiebreak: entry.tiebreak, value: entry.value });
        }
      }
    }
    return result;
  }

  /** Calls `visit` with each key's bytes and its entries, by time then tiebreak (keys in no particular order); `visit` must not change them. */
  forEachKey(visit: (key: Buffer, entries: readonly TimedEntry<V>[]) => void): void {
    for (const [keyId, slot] of this.byKey) visit(Buffer.from(keyId, 'latin1'), Array.isArray(slot) ? slot : [slot]);
  }

  /** Drops every entry with `time <= bound`, a time slot at a time from the oldest. */
  removeUpTo(bound: number): void {
    const times = this.times;
    let expired = 0;
    while (expired < times.length && times[expired]! <= bound) {
      const time = times[expired]!;
      const timeSlot = this.keysByTime.get(time)!;
      if (typeof timeSlot === 'string') this.dropKeyUpTo(timeSlot, bound);
      else for (const keyId of timeSlot) this.dropKeyUpTo(keyId, bound);
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

  private find(keyId: string, time: number, tiebreak: number): TimedEntry<V> | undefined {
    const slot = this.byKey.get(keyId);
    if (slot === undefined) return undefined;
    const entry = Array.isArray(slot) ? slot[entryIndex(slot, time, tiebreak)] : slot;
    return entry !== undefined && entry.time === time && entry.tiebreak === tiebreak ? entry : undefined;
  }

  /** Drops `keyId`'s entries with `time <= bound` (its time slots are the caller's to drop). */
  private dropKeyUpTo(keyId: string, bound: number): void {
    const slot = this.byKey.get(keyId);
    if (slot === undefined) return;
    if (!Array.isArray(slot)) {
      if (slot.time > bound) return;
      this.byKey.delete(keyId);
      this.count--;
      return;
    }
    let drop = 0;
    while (drop < slot.length && slot[drop]!.time <= bound) drop++;
    if (drop === slot.length) this.byKey.delete(keyId);
    else if (drop === slot.length - 1) this.byKey.set(keyId, slot[drop]!);
    else slot.splice(0, drop);
    this.count -= drop;
  }

  private addToTime(time: number, keyId: string): void {
    const timeSlot = this.keysByTime.get(time);
    if (timeSlot === undefined) {
      this.keysByTime.set(time, keyId);
      const times = this.times;
      if (times.length === 0 || times[times.length - 1]! < time) times.push(time);
      else times.splice(numberLowerBound(times, time), 0, time);
    } else if (typeof timeSlot === 'string') {
      if (timeSlot !== keyId) this.keysByTime.set(time, [timeSlot, keyId]);
    } else if (Array.isArray(timeSlot)) {
      if (timeSlot.includes(keyId)) return;
      if (timeSlot.length < smallTimeSlot) timeSlot.push(keyId);
      else this.keysByTime.set(time, new Set([...timeSlot, keyId]));
    } else {
      timeSlot.add(keyId);
    }
  }

  private removeFromTime(time: number, keyId: string): void {
    const timeSlot = this.keysByTime.get(time)!;
    if (typeof timeSlot !== 'string') {
      if (Array.isArray(timeSlot)) {
        const at = timeSlot.indexOf(keyId);
        if (at >= 0) timeSlot.splice(at, 1);
      } else {
        timeSlot.delete(keyId);
      }
      const remaining = Array.isArray(timeSlot) ? timeSlot.length : timeSlot.size;
      if (remaining === 1) {
        // Back to one key: the slot holds its id again.
        const [only] = timeSlot;
        this.keysByTime.set(time, only!);
      }
      if (remaining > 0) return;
    }
    this.keysByTime.delete(time);
    this.times.splice(numberLowerBound(this.times, time), 1);
  }
}

/** Whether `entry` sorts before (time, tiebreak). */
function before(entry: TimedEntry<unknown>, time: number, tiebreak: number): boolean {
  return entry.time < time || (entry.time === time && entry.tiebreak < tiebreak);
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
