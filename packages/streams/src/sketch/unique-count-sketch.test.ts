import HyperLogLog from 'hyperloglog-lite';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { Headers } from '../processor/headers.js';
import { countDistinct, uniqueCountSketchSerde, UniqueCountSketch } from './unique-count-sketch.js';

describe('UniqueCountSketch', () => {
  it('hashes a value without a Buffer or an array per value (hyperloglog-lite made four of each)', () => {
    const sketch = UniqueCountSketch.empty(12);
    sketch.addInPlace('warm-up');
    const from = vi.spyOn(Buffer, 'from');
    try {
      for (let user = 0; user < 100; user++) sketch.addInPlace(`u${user}`);
      expect(sketch.with('u-new')).not.toBe(undefined);
      // Only the copy-on-write `with` copies its registers; hashing takes none.
      expect(from.mock.calls.filter((call) => typeof call[0] === 'string')).toEqual([]);
    } finally {
      from.mockRestore();
    }
  });

  it('has hyperloglog-lite\'s registers and estimates, value by value and after merges', () => {
    const library = HyperLogLog(12);
    let sketch = UniqueCountSketch.empty(12);
    let half = UniqueCountSketch.empty(12);
    for (let value = 0; value < 20_000; value++) {
      library.add(HyperLogLog.hash(`user-${value}`));
      sketch = sketch.with(`user-${value}`);
      if (value % 2 === 0) half = half.with(`user-${value}`);
      if (value % 997 === 0) expect(sketch.count(), `after ${value + 1} values`).toBe(library.count());
    }
    expect(sketch.count()).toBe(library.count());
    expect(sketch.toBytes().subarray(1)).toEqual(library.output().buckets);
    const merged = half.merge(sketch);
    expect(merged.count()).toBe(library.count());
    expect(UniqueCountSketch.fromBytes(sketch.toBytes()).count()).toBe(library.count());
  });

  it('counts small sets exactly and large ones within three standard errors', () => {
    for (const distinct of [0, 1, 10, 100, 1_000, 50_000]) {
      let sketch = UniqueCountSketch.empty();
      for (let index = 0; index < distinct; index++) {
        sketch = sketch.with(`user-${index}`);
        sketch = sketch.with(`user-${index}`); // a repeat never counts twice
      }
      const estimate = sketch.count();
      if (distinct <= 1_000) expect(Math.abs(estimate - distinct)).toBeLessThanOrEqual(Math.max(1, distinct * 0.01));
      else expect(Math.abs(estimate - distinct) / distinct).toBeLessThan(3 * sketch.relativeError);
    }
  });

  it('returns the same sketch for a value that changes nothing, and a new one otherwise', () => {
    const empty = UniqueCountSketch.empty();
    const one = empty.with('a');
    expect(one).not.toBe(empty);
    expect(empty.count()).toBe(0); // the original is untouched
    expect(one.with('a')).toBe(one);
  });

  it('agrees with adding every value to one sketch, whatever the order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 300 }), (values) => {
        let forward = UniqueCountSketch.empty(10);
        for (const value of values) forward = forward.with(value);
        let backward = UniqueCountSketch.empty(10);
        for (const value of [...values].reverse()) backward = backward.with(value);
        expect(forward.toBytes().equals(backward.toBytes())).toBe(true);
        const exact = new Set(values).size;
        expect(Math.abs(forward.count() - exact)).toBeLessThanOrEqual(Math.max(2, exact * 0.05));
      }),
      { numRuns: 100 },
    );
  });

  it('merges sketches into the union of their values', () => {
    let left = UniqueCountSketch.empty();
    let right = UniqueCountSketch.empty();
    for (let index = 0; index < 3_000; index++) left = left.with(index);
    for (let index = 2_000; index < 5_000; index++) right = right.with(index);
    const union = left.merge(right);
    expect(Math.abs(union.count() - 5_000) / 5_000).toBeLessThan(3 * union.relativeError);
    expect(() => left.merge(UniqueCountSketch.empty(10))).toThrow(/precision 12 and 10/);
  });

  it('round-trips through its serde and rejects bytes that are not a sketch', () => {
    const serde = uniqueCountSketchSerde();
    let sketch = UniqueCountSketch.empty(8);
    for (let index = 0; index < 500; index++) sketch = sketch.with(index);
    const bytes = serde.serialize('t', sketch, new Headers());
    expect(bytes.length).toBe(1 + 256);
    const back = serde.deserialize('t', bytes, new Headers());
    expect(back.count()).toBe(sketch.count());
    expect(back.toBytes().equals(bytes)).toBe(true);
    expect(() => serde.deserialize('t', Buffer.from([12, 1, 2]), new Headers())).toThrow(/HyperLogLog deserializer on topic 't'/);
    expect(() => UniqueCountSketch.empty(3)).toThrow(/'precision'/);
  });

  it('countDistinct skips null values and counts each distinct one once', () => {
    const { initializer, aggregator } = countDistinct<string, { user?: string }>((event) => event.user);
    let sketch = initializer();
    for (const event of [{ user: 'a' }, { user: 'b' }, {}, { user: 'a' }]) sketch = aggregator('k', event, sketch);
    expect(sketch.count()).toBe(2);
  });
});
