import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeKeyedEntries, type KeyedTimedEntry } from './time-keyed-entries.js';

/** The brute-force model: every live entry in a map by (key id, time, tiebreak). */
class Oracle {
  readonly entries = new Map<string, { keyId: string; time: number; tiebreak: number; value: number }>();

  private static id(keyId: string, time: number, tiebreak: number): string {
    return JSON.stringify([keyId, time, tiebreak]);
  }

  set(keyId: string, time: number, tiebreak: number, value: number): void {
    this.entries.set(Oracle.id(keyId, time, tiebreak), { keyId, time, tiebreak, value });
  }

  delete(keyId: string, time: number, tiebreak: number): void {
    this.entries.delete(Oracle.id(keyId, time, tiebreak));
  }

  get(keyId: string, time: number, tiebreak: number): number | undefined {
    return this.entries.get(Oracle.id(keyId, time, tiebreak))?.value;
  }

  removeUpTo(bound: number): void {
    for (const [id, entry] of this.entries) if (entry.time <= bound) this.entries.delete(id);
  }

  /** Sorted by time, then key bytes, then tiebreak (for one key: time, then tiebreak). */
  sorted(from: number, to: number): { keyId: string; time: number; tiebreak: number; value: number }[] {
    return [...this.entries.values()]
      .filter((entry) => entry.time >= from && entry.time <= to)
      .sort((a, b) => a.time - b.time || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0) || a.tiebreak - b.tiebreak);
  }
}

function plain(entries: readonly KeyedTimedEntry<number>[]): { keyId: string; time: number; tiebreak: number; value: number }[] {
  return entries.map((entry) => ({ keyId: entry.key.toString('latin1'), time: entry.time, tiebreak: entry.tiebreak, value: entry.value }));
}

// Few keys, times and tiebreaks, so keys collect several entries and times many keys (past the small-slot bound of 8).
const keyIds = fc.constantFrom('', 'a', 'ab', 'b', '\u00ff', 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9');
const times = fc.integer({ min: -3, max: 12 });
const tiebreaks = fc.integer({ min: 0, max: 3 });
const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), keyId: keyIds, time: times, tiebreak: tiebreaks, value: fc.integer() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), keyId: keyIds, time: times, tiebreak: tiebreaks }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeUpTo' as const), bound: times }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scanAll' as const), from: times, to: times }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scanKey' as const), keyId: keyIds, from: times, to: times }) },
);

/** V8's heap in use after a full collection. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('TimeKeyedEntries', () => {
  it('answers reads and scans as a brute-force map of entries does, between any writes', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const entries = new TimeKeyedEntries<number>();
        const oracle = new Oracle();
        for (const current of steps) {
          switch (current.kind) {
            case 'set':
              entries.set(Buffer.from(current.keyId, 'latin1'), current.keyId, current.time, current.tiebreak, current.value);
              oracle.set(current.keyId, current.time, current.tiebreak, current.value);
              break;
            case 'delete':
              entries.delete(current.keyId, current.time, current.tiebreak);
              oracle.delete(current.keyId, current.time, current.tiebreak);
              break;
            case 'removeUpTo':
              entries.removeUpTo(current.bound);
              oracle.removeUpTo(current.bound);
              break;
            case 'scanAll':
              expect(plain(entries.scanAll(current.from, current.to))).toEqual(oracle.sorted(current.from, current.to));
              break;
            case 'scanKey':
              expect(entries.scanKey(current.keyId, current.from, current.to).map(({ time, tiebreak, value }) => ({ time, tiebreak, value }))).toEqual(
                oracle
                  .sorted(current.from, current.to)
                  .filter((entry) => entry.keyId === current.keyId)
                  .map(({ time, tiebreak, value }) => ({ time, tiebreak, value })),
              );
              break;
          }
          expect(entries.size).toBe(oracle.entries.size);
        }
        for (const { keyId: id, time: at, tiebreak: tie, value } of oracle.entries.values()) {
          expect(entries.get(id, at, tie)).toBe(value);
          expect(entries.has(id, at, tie)).toBe(true);
        }
        expect(entries.get('absent', 0, 0)).toBeUndefined();
        expect(plain(entries.scanAll(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY))).toEqual(oracle.sorted(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY));
      }),
      { numRuns: 400 },
    );
  });

  it('drops emptied time slots, so later scans and expiry see nothing of them', () => {
    const entries = new TimeKeyedEntries<number>();
    for (let key = 0; key < 20; key++) entries.set(Buffer.from(`k${key}`), `k${key}`, 5, 0, key);
    for (let key = 0; key < 20; key++) entries.delete(`k${key}`, 5, 0);
    expect(entries.size).toBe(0);
    expect(entries.scanAll(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)).toEqual([]);
    entries.set(Buffer.from('x'), 'x', 5, 1, 1);
    expect(plain(entries.scanAll(5, 5))).toEqual([{ keyId: 'x', time: 5, tiebreak: 1, value: 1 }]);
  });

  // A LevelDB store's index holds up to `indexMaxEntries` (100,000) of these per store and task;
  // the flagship's de-duplication store is this shape: one entry per id, about two ids per millisecond.
  it('holds a de-duplication store of 100,000 ids in under 260 bytes of heap an entry', () => {
    const count = 100_000;
    const keys = Array.from({ length: count }, (_, index) => Buffer.from(`e-${String(index).padStart(8, '0')}`));
    const ids = keys.map((key) => key.toString('latin1'));
    const before = heapAfterGc();
    const entries = new TimeKeyedEntries<true>();
    for (let index = 0; index < count; index++) entries.set(keys[index]!, ids[index]!, 1_764_900_000_000 + (index >> 1), 0, true);
    const perEntry = (heapAfterGc() - before) / count;
    expect(entries.size).toBe(count);
    expect(perEntry).toBeLessThan(260);
  });
});
