/**
 * Sparse sketches against brute-force oracles: hyperloglog-lite itself (its registers and
 * estimate for the same values), the sketch of all values added one by one (for merges), and
 * the bytes the dense-only version wrote (fixtures/dense-sketches-before-sparse.json).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import HyperLogLog from 'hyperloglog-lite';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeserializationError } from '../errors/streams-error.js';
import { Headers } from '../processor/headers.js';
import { sparseLimit } from './internal/sparse-registers.js';
import { uniqueCountSketchSerde, UniqueCountSketch } from './unique-count-sketch.js';

/** The registers of encoded sketch bytes, read the slow way: an oracle for both formats. */
function registersOf(bytes: Buffer): Buffer {
  if (bytes[0] !== 0x81) return Buffer.from(bytes.subarray(1));
  const registers = Buffer.alloc(2 ** bytes[1]!);
  let offset = 2;
  let next = 0;
  while (offset < bytes.length) {
    let gap = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++]!;
      gap += (byte % 128) * 2 ** shift;
      if (byte < 128) break;
    }
    registers[next + gap] = bytes[offset++]!;
    next += gap + 1;
  }
  return registers;
}

function nonZero(registers: Buffer): number {
  return registers.filter((register) => register !== 0).length;
}

function sketchOf(values: readonly string[], precision: number): UniqueCountSketch {
  let sketch = UniqueCountSketch.empty(precision);
  for (const value of values) sketch = sketch.with(value);
  return sketch;
}

/** Values, many of them repeated, and a precision small enough that a few hundred values turn a sketch dense. */
const values = fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.nat(3_000).map(String)), { maxLength: 700 });
const precision = fc.integer({ min: 4, max: 10 });

describe('sparse UniqueCountSketch', () => {
  it('holds hyperloglog-lite\'s registers and gives its estimate after every value, sparse or dense (property)', () => {
    fc.assert(
      fc.property(values, precision, (stream, p) => {
        const library = HyperLogLog(p);
        let sketch = UniqueCountSketch.empty(p);
        const owned = UniqueCountSketch.empty(p);
        for (const value of stream) {
          library.add(HyperLogLog.hash(value));
          sketch = sketch.with(value);
          owned.addInPlace(value);
          expect(sketch.count()).toBe(library.count());
          expect(owned.count()).toBe(library.count());
        }
        const registers = library.output().buckets;
        expect(registersOf(sketch.toBytes()).equals(registers)).toBe(true);
        expect(owned.toBytes().equals(sketch.toBytes())).toBe(true);
        // Sparse exactly while a quarter or fewer of the registers are set.
        expect(sketch.isSparse).toBe(nonZero(registers) <= sparseLimit(p));
      }),
      { numRuns: 150 },
    );
  });

  it('counts small sets of the default precision as hyperloglog-lite does, on the sparse list', () => {
    const library = HyperLogLog(12);
    let sketch = UniqueCountSketch.empty();
    for (let value = 0; value < 1_500; value++) {
      library.add(HyperLogLog.hash(`user-${value}`));
      sketch = sketch.with(`user-${value}`);
      expect(sketch.count()).toBe(library.count());
      expect(sketch.isSparse).toBe(nonZero(library.output().buckets) <= 1_024);
    }
    expect(sketch.isSparse).toBe(false);
  });

  it('merges sparse and dense sketches commutatively and associatively into the sketch of all values (property)', () => {
    fc.assert(
      fc.property(values, values, values, precision, (a, b, c, p) => {
        const [left, middle, right] = [sketchOf(a, p), sketchOf(b, p), sketchOf(c, p)];
        const all = sketchOf([...a, ...b, ...c], p).toBytes();
        expect(left.merge(middle).toBytes().equals(middle.merge(left).toBytes())).toBe(true);
        expect(left.merge(middle).merge(right).toBytes().equals(all)).toBe(true);
        expect(left.merge(middle.merge(right)).toBytes().equals(all)).toBe(true);
        expect(left.merge(middle).merge(right).count()).toBe(sketchOf([...a, ...b, ...c], p).count());
        const owned = right.copy();
        owned.mergeInPlace(left);
        owned.mergeInPlace(middle);
        expect(owned.toBytes().equals(all)).toBe(true);
        // Merging never changes its operands.
        expect(left.toBytes().equals(sketchOf(a, p).toBytes())).toBe(true);
        expect(right.toBytes().equals(sketchOf(c, p).toBytes())).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips through its bytes in either form, keeping its form and its estimate (property)', () => {
    fc.assert(
      fc.property(values, precision, (stream, p) => {
        const sketch = sketchOf(stream, p);
        const bytes = sketch.toBytes();
        const back = UniqueCountSketch.fromBytes(bytes);
        expect(back.toBytes().equals(bytes)).toBe(true);
        expect(back.count()).toBe(sketch.count());
        expect(back.isSparse).toBe(sketch.isSparse);
        expect(bytes.length).toBeLessThanOrEqual(1 + 2 ** p);
        // The restored sketch goes on as the original would.
        expect(back.with('one more').toBytes().equals(sketch.with('one more').toBytes())).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('turns dense past a quarter of its registers, where neither form of a sparse sketch is larger than the dense one', () => {
    for (let p = 4; p <= 18; p++) {
      const registers = 2 ** p;
      const limit = sparseLimit(p);
      // Set registers spread as far apart as they go (the longest gaps take the most varint bytes), at the highest rank.
      const dense = Buffer.alloc(1 + registers);
      dense[0] = p;
      const stride = Math.floor(registers / (limit + 1));
      for (let entry = 0; entry < limit; entry++) dense[1 + (entry + 1) * stride] = 65;
      const atLimit = UniqueCountSketch.fromBytes(dense);
      expect(atLimit.isSparse, `precision ${p}`).toBe(true);
      expect(atLimit.toBytes().length, `precision ${p}`).toBeLessThanOrEqual(1 + registers);
      expect(limit * 4, `precision ${p}: the sparse list in memory`).toBeLessThanOrEqual(registers);
      expect(registersOf(atLimit.toBytes()).equals(dense.subarray(1))).toBe(true);
      // One register more, by a merge and in place: dense.
      const extra = Buffer.alloc(1 + registers);
      extra[0] = p;
      extra[1] = 1;
      const beyond = atLimit.merge(UniqueCountSketch.fromBytes(extra));
      expect(beyond.isSparse, `precision ${p}`).toBe(false);
      expect(beyond.toBytes()[0]).toBe(p);
      const owned = atLimit.copy();
      owned.mergeInPlace(UniqueCountSketch.fromBytes(extra));
      expect(owned.isSparse).toBe(false);
      expect(owned.toBytes().equals(beyond.toBytes())).toBe(true);
      expect(atLimit.isSparse).toBe(true);
    }
    expect(sparseLimit(12)).toBe(1_024);
  });

  it('reads the dense bytes written before sparse sketches, as the estimates it gave then', () => {
    const fixtures = JSON.parse(readFileSync(new URL('./fixtures/dense-sketches-before-sparse.json', import.meta.url), 'utf8')) as {
      sketches: { name: string; precision: number; values: number; count: number; length: number; gzipBase64: string }[];
    };
    expect(fixtures.sketches.length).toBe(5);
    for (const fixture of fixtures.sketches) {
      const bytes = gunzipSync(Buffer.from(fixture.gzipBase64, 'base64'));
      expect(bytes.length, fixture.name).toBe(fixture.length);
      const library = HyperLogLog(fixture.precision);
      for (let value = 0; value < fixture.values; value++) library.add(HyperLogLog.hash(`user-${value}`));
      // The fixture is what the dense sketch wrote: a precision byte, then hyperloglog-lite's registers.
      expect(bytes.subarray(1).equals(library.output().buckets), fixture.name).toBe(true);
      const sketch = UniqueCountSketch.fromBytes(bytes);
      expect(sketch.count(), fixture.name).toBe(fixture.count);
      expect(sketch.isSparse, fixture.name).toBe(nonZero(bytes.subarray(1)) <= sparseLimit(fixture.precision));
      expect(registersOf(sketch.toBytes()).equals(bytes.subarray(1)), fixture.name).toBe(true);
      // Every value it counted is already in it, and the same values from scratch give the same sketch.
      let again = sketch;
      for (let value = 0; value < fixture.values; value++) again = again.with(`user-${value}`);
      expect(again, fixture.name).toBe(sketch);
      expect(sketchOf(Array.from({ length: fixture.values }, (_, value) => `user-${value}`), fixture.precision).toBytes().equals(sketch.toBytes())).toBe(true);
    }
  });

  it('is small while sparse: 2 bytes of header and 2 or 3 a register at the default precision', () => {
    const sizes = [0, 1, 10, 100, 1_000].map((count) => sketchOf(Array.from({ length: count }, (_, value) => `user-${value}`), 12).toBytes().length);
    expect(sizes[0]).toBe(2);
    expect(sizes[1]).toBeLessThanOrEqual(2 + 3);
    expect(sizes[2]).toBeLessThanOrEqual(2 + 10 * 3);
    expect(sizes[3]).toBeLessThanOrEqual(2 + 100 * 3);
    expect(sizes[4]).toBeLessThanOrEqual(2 + 1_000 * 2.5);
  });

  it('updates in place only through addInPlace and mergeInPlace, and never a sketch it was copied from', () => {
    const shared = sketchOf(['a', 'b'], 12);
    const before = shared.toBytes();
    const owned = shared.copy();
    expect(owned.addInPlace('c')).toBe(true);
    expect(owned.addInPlace('c')).toBe(false);
    expect(owned.mergeInPlace(sketchOf(['a'], 12))).toBe(false);
    expect(shared.toBytes().equals(before)).toBe(true);
    expect(owned.count()).toBe(3);
    const next = shared.with('c');
    expect(next).not.toBe(shared);
    expect(shared.toBytes().equals(before)).toBe(true);
    expect(next.toBytes().equals(owned.toBytes())).toBe(true);
    // A sketch made dense in place, and a copy of it.
    const dense = UniqueCountSketch.empty(6);
    for (let value = 0; value < 200; value++) dense.addInPlace(value);
    expect(dense.isSparse).toBe(false);
    const copy = dense.copy();
    copy.addInPlace('more and more');
    copy.addInPlace('and more');
    expect(dense.toBytes().equals(sketchOf(Array.from({ length: 200 }, (_, value) => String(value)), 6).toBytes())).toBe(true);
  });

  it("reads any dense registers with hyperloglog-lite's estimate, high ranks included (property)", () => {
    // Mostly the small ranks real sketches hold, some above 31 (where the sum is taken one register at a time) and up to 65.
    const rank = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 65 }) }, { weight: 1, arbitrary: fc.constant(0) });
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 14 }).chain((p) => fc.tuple(fc.constant(p), fc.array(rank, { minLength: 2 ** p, maxLength: 2 ** p }))),
        ([p, ranks]) => {
          const registers = Buffer.from(ranks);
          const library = HyperLogLog(p);
          library.merge({ n: p, buckets: Buffer.from(registers) });
          const sketch = UniqueCountSketch.fromBytes(Buffer.concat([Buffer.from([p]), registers]));
          expect(sketch.count()).toBe(library.count());
          expect(registersOf(sketch.toBytes()).equals(registers)).toBe(true);
          expect(sketch.isSparse).toBe(nonZero(registers) <= sparseLimit(p));
        },
      ),
      { numRuns: 300 },
    );
    // Past 31 at the last register only, and a register out of range anywhere, named.
    const high = Buffer.alloc(1 + 4096, 3);
    high[0] = 12;
    high[4096] = 65;
    const library = HyperLogLog(12);
    library.merge({ n: 12, buckets: Buffer.from(high.subarray(1)) });
    expect(UniqueCountSketch.fromBytes(high).count()).toBe(library.count());
    for (const at of [1, 2, 3, 4, 4096]) {
      const bad = Buffer.from(high);
      bad[at] = 200;
      expect(() => UniqueCountSketch.fromBytes(bad)).toThrow(new RegExp(`register ${at - 1} of the dense format is 200`));
    }
  });

  it('rejects bytes that are not a sketch, naming what is wrong', () => {
    const reject = (bytes: number[], pattern: RegExp) => {
      expect(() => UniqueCountSketch.fromBytes(Buffer.from(bytes))).toThrow(DeserializationError);
      expect(() => UniqueCountSketch.fromBytes(Buffer.from(bytes))).toThrow(pattern);
    };
    reject([], /0 bytes starting with byte undefined/);
    reject([0x82, 12], /starting with byte 130.*sparse format \(first byte 0x81\)/);
    reject([0x81], /precision byte undefined/);
    reject([0x81, 3], /precision byte 3/);
    reject([0x81, 4, 16, 1], /register index 16 is past the 16 registers/);
    reject([0x81, 4, 3, 0], /register 3 has rank 0/);
    reject([0x81, 4, 3, 66], /register 3 has rank 66/);
    reject([0x81, 4, 3], /register 3 has rank undefined/);
    reject([0x81, 12, 0x80], /cut short or too long at byte 3/);
    reject([4, ...new Array<number>(15).fill(0), 66], /register 15 of the dense format is 66/);
    reject([0x81, 12, 0x80, 0x80, 0x80, 0x01, 1], /cut short or too long/);
    expect(() => uniqueCountSketchSerde().deserialize('views', Buffer.from([0x81, 4, 3, 0]), new Headers())).toThrow(/HyperLogLog deserializer on topic 'views'.*rank 0/);
  });
});
