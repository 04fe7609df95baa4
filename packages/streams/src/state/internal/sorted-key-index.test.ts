import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeyIndex } from './sorted-key-index.js';

/** An owner as the backends are: a Set of live keys, telling the index of each change. */
class Owner {
  readonly keys = new Set<string>();
  readonly index = new SortedKeyIndex(this.keys);

  put(id: string): void {
    if (this.keys.has(id)) return;
    this.keys.add(id);
    this.index.added(id);
  }

  delete(id: string): void {
    if (this.keys.delete(id)) this.index.removed();
  }
}

/** The brute-force answer: every live key, sorted, filtered by the bounds. */
function oracle(keys: ReadonlySet<string>, lower: string | undefined, upper: string | undefined): string[] {
  return [...keys].sort().filter((id) => (lower === undefined || id >= lower) && (upper === undefined || id <= upper));
}

const id = fc.string({ unit: fc.constantFrom('\u0000', 'a', 'b', '\u00ff'), maxLength: 3 });
const step = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), id }),
  fc.record({ kind: fc.constant('delete' as const), id }),
  fc.record({ kind: fc.constant('range' as const), lower: fc.option(id, { nil: undefined }), upper: fc.option(id, { nil: undefined }) }),
);

describe('SortedKeyIndex', () => {
  it('answers every range as sorting the live keys would, between any writes', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const owner = new Owner();
        for (const current of steps) {
          if (current.kind === 'put') owner.put(current.id);
          else if (current.kind === 'delete') owner.delete(current.id);
          else expect(owner.index.between(current.lower, current.upper)).toEqual(oracle(owner.keys, current.lower, current.upper));
        }
        expect(owner.index.sorted()).toEqual(oracle(owner.keys, undefined, undefined));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a snapshot it handed out unchanged by later writes', () => {
    const owner = new Owner();
    for (const key of ['b', 'a', 'c']) owner.put(key);
    const snapshot = owner.index.sorted();
    owner.put('0');
    owner.delete('b');
    expect(snapshot).toEqual(['a', 'b', 'c']);
    expect(owner.index.sorted()).toEqual(['0', 'a', 'c']);
  });

  it('stays bounded under delete-and-reinsert cycles with no range in between, and still orders correctly', () => {
    const owner = new Owner();
    for (let cycle = 0; cycle < 10_000; cycle++) {
      owner.delete(`k${cycle % 3}`);
      owner.put(`k${cycle % 3}`);
    }
    // The pending list is dropped for one sort from scratch once it outgrows the live keys.
    expect((owner.index as unknown as { addedKeys: string[] }).addedKeys.length).toBeLessThanOrEqual(1025);
    expect(owner.index.between(undefined, undefined)).toEqual(['k0', 'k1', 'k2']);
  });

  it('finds the lower bound of a sorted array', () => {
    expect(SortedKeyIndex.lowerBound(['a', 'c', 'e'], 'c')).toBe(1);
    expect(SortedKeyIndex.lowerBound(['a', 'c', 'e'], 'd')).toBe(2);
    expect(SortedKeyIndex.lowerBound(['a', 'c', 'e'], 'f')).toBe(3);
    expect(SortedKeyIndex.lowerBound([], 'a')).toBe(0);
  });
});
