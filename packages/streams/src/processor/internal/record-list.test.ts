import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordList } from './record-list.js';

type Operation = { readonly kind: 'push'; readonly item: number } | { readonly kind: 'clear' } | { readonly kind: 'removeFirst'; readonly fraction: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.integer().map((item) => ({ kind: 'push' as const, item })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ kind: 'removeFirst' as const, fraction })) },
);

/** Every record the list holds, by index. */
function contents(list: RecordList<number>): number[] {
  const items: number[] = [];
  for (let index = 0; index < list.length; index++) items.push(list.at(index));
  return items;
}

describe('RecordList', () => {
  it('holds what an array would after any pushes, clears and removals from the front', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const list = new RecordList<number>();
        let oracle: number[] = [];
        for (const step of operations) {
          if (step.kind === 'push') {
            list.push(step.item);
            oracle.push(step.item);
          } else if (step.kind === 'clear') {
            list.clear();
            oracle = [];
          } else {
            const removed = Math.floor(step.fraction * oracle.length);
            list.removeFirst(removed);
            oracle = oracle.slice(removed);
          }
          expect(list.length).toBe(oracle.length);
          expect(contents(list)).toEqual(oracle);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps no record once cleared or removed (the array it reuses would otherwise keep them alive)', () => {
    const list = new RecordList<object>();
    for (let index = 0; index < 10; index++) list.push({ index });
    list.removeFirst(4);
    const items = (list as unknown as { items: unknown[] }).items;
    expect(items.slice(6).every((item) => item === undefined)).toBe(true);
    list.clear();
    expect(items.every((item) => item === undefined)).toBe(true);
    expect(list.length).toBe(0);
  });
});
