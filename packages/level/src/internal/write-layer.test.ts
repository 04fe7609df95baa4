import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copiedValueMaxBytes, WriteLayer } from './write-layer.js';

/** Keys of 1 to 4 bytes from a small alphabet: many share prefixes, some are prefixes of others. */
const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 4, max: 5 }).map((bytes) => Buffer.from(bytes));

/** The layer's keys and values in its order, as copies. */
function entriesOf(layer: WriteLayer): { keys: Buffer[]; values: (Buffer | null)[] } {
  const keys: Buffer[] = [];
  const values: (Buffer | null)[] = [];
  layer.forEach((key, value) => {
    keys.push(Buffer.from(key));
    values.push(value === null ? null : Buffer.from(value));
  });
  return { keys, values };
}

/** A value of `length` bytes, each its index plus `seed`. */
function valueOf(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index++) bytes[index] = (index + seed) & 0xff;
  return bytes;
}

describe('WriteLayer', () => {
  it('holds what a map of last writes would, its keys in first-write order, as it grows', () => {
    // Values of every kind the layer stores apart: deletes, small ones it copies, ones kept as
    // given (over copiedValueMaxBytes), and ones past a quarter of a chunk, copied alone.
    const valueSpec = fc.option(fc.record({ length: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 8 }, { arbitrary: fc.constantFrom(copiedValueMaxBytes, copiedValueMaxBytes + 1, 9_000), weight: 1 }), seed: fc.integer({ min: 0, max: 255 }) }), { nil: null });
    const write = fc.record({ key: keyBytes, value: valueSpec });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 600 }), fc.array(keyBytes, { maxLength: 40 }), (writes, probes) => {
        const layer = new WriteLayer();
        const oracle = new Map<string, { key: Buffer; value: Buffer | null }>();
        for (const { key, value } of writes) {
          const id = key.toString('latin1');
          const valueBytes = value === null ? null : valueOf(value.length, value.seed);
          // Copies: the layer compares bytes, not buffers.
          layer.set(Buffer.from(key), valueBytes === null ? null : Buffer.from(valueBytes));
          const previous = oracle.get(id);
          if (previous === undefined) oracle.set(id, { key, value: valueBytes });
          else previous.value = valueBytes;
        }
        expect(layer.size).toBe(oracle.size);
        const { keys, values } = entriesOf(layer);
        expect(keys.map((key) => key.toString('latin1'))).toEqual([...oracle.keys()]);
        expect(values).toEqual([...oracle.values()].map((entry) => entry.value));
        for (const key of [...writes.map((entry) => entry.key), ...probes]) {
          expect(layer.get(Buffer.from(key))).toEqual(oracle.get(key.toString('latin1'))?.value);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('absorbs a later layer as if its writes had been set after its own (a held flush merged with the next)', () => {
    const write = fc.record({ key: fc.integer({ min: 0, max: 20 }), value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 60 }), fc.array(write, { maxLength: 60 }), (earlier, later) => {
        const fill = (layer: WriteLayer, writes: typeof earlier): WriteLayer => {
          for (const { key, value } of writes) {
            const bytes = Buffer.from([0x01, key]);
            layer.set(bytes, value === null ? null : Buffer.from([value]));
          }
          return layer;
        };
        const merged = fill(new WriteLayer(), earlier);
        merged.absorb(fill(new WriteLayer(), later));
        const oneLayer = fill(new WriteLayer(), [...earlier, ...later]);
        expect(entriesOf(merged)).toEqual(entriesOf(oneLayer));
        for (let key = 0; key <= 20; key++) {
          const bytes = Buffer.from([0x01, key]);
          expect(merged.get(bytes)).toEqual(oneLayer.get(bytes));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds each of many keys, past many doublings of its table', () => {
    const layer = new WriteLayer();
    const keyOf = (index: number): Buffer => Buffer.from(`key-${index}`, 'latin1');
    for (let index = 0; index < 20_000; index++) layer.set(keyOf(index), Buffer.from([index & 0xff]));
    for (let index = 0; index < 20_000; index += 2) layer.set(keyOf(index), null);
    expect(layer.size).toBe(20_000);
    for (let index = 0; index < 20_000; index++) expect(layer.get(keyOf(index))).toEqual(index % 2 === 0 ? null : Buffer.from([index & 0xff]));
    expect(layer.get(keyOf(20_000))).toBeUndefined();
  });

  it('takes a key larger than its first chunk as its first write', () => {
    const layer = new WriteLayer();
    const key = valueOf(6_000, 7);
    layer.set(key, Buffer.from([1]));
    layer.set(Buffer.from('next', 'latin1'), valueOf(copiedValueMaxBytes, 3));
    expect(layer.get(valueOf(6_000, 7))).toEqual(Buffer.from([1]));
    expect(entriesOf(layer).keys).toEqual([key, Buffer.from('next', 'latin1')]);
  });

  it('keeps its own copy of a key and a small value: the caller may reuse its buffers', () => {
    const layer = new WriteLayer();
    const key = Buffer.from('scratch-key', 'latin1');
    const value = Buffer.from([1, 2, 3]);
    layer.set(key, value);
    key.fill(0);
    value.fill(9);
    expect(layer.get(Buffer.from('scratch-key', 'latin1'))).toEqual(Buffer.from([1, 2, 3]));
    expect(entriesOf(layer).keys).toEqual([Buffer.from('scratch-key', 'latin1')]);
  });

  it('bounds the bytes that overwrites leave behind, and the values it handed out keep their bytes', () => {
    const layer = new WriteLayer();
    const keys = Array.from({ length: 8 }, (_, index) => Buffer.from(`window-${index}`, 'latin1'));
    const handedOut: Array<{ view: Buffer; expected: Buffer }> = [];
    // 8 keys, each overwritten 2,000 times with a value of copiedValueMaxBytes: 16 MB written, 8 KB live.
    for (let round = 0; round < 2_000; round++) {
      for (const [index, key] of keys.entries()) {
        layer.set(key, valueOf(copiedValueMaxBytes, round + index));
        if (round % 500 === 0 && index === 0) handedOut.push({ view: layer.get(key)!, expected: valueOf(copiedValueMaxBytes, round) });
      }
      // A value too large to copy, overwritten as often: the layer lets the old ones go.
      layer.set(Buffer.from('sketch', 'latin1'), valueOf(copiedValueMaxBytes * 4, round));
    }
    expect(layer.size).toBe(9);
    expect(layer.chunkBytesHeld).toBeLessThan(4 * 1024 * 1024);
    for (const [index, key] of keys.entries()) expect(layer.get(key)).toEqual(valueOf(copiedValueMaxBytes, 1_999 + index));
    expect(layer.get(Buffer.from('sketch', 'latin1'))).toEqual(valueOf(copiedValueMaxBytes * 4, 1_999));
    for (const { view, expected } of handedOut) expect(view).toEqual(expected);
    expect(entriesOf(layer).keys.map((key) => key.toString('latin1'))).toEqual([...keys.map((key) => key.toString('latin1')), 'sketch']);
  });
});
