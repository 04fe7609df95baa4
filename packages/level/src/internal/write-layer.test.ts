import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WriteLayer } from './write-layer.js';

/** Keys of 1 to 4 bytes from a small alphabet: many share prefixes, some are prefixes of others. */
const keyBytes = fc.uint8Array({ minLength: 1, maxLength: 4, max: 5 }).map((bytes) => Buffer.from(bytes));

describe('WriteLayer', () => {
  it('holds what a map of last writes would, its keys in first-write order, as it grows', () => {
    const write = fc.record({ key: keyBytes, value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 600 }), fc.array(keyBytes, { maxLength: 40 }), (writes, probes) => {
        const layer = new WriteLayer();
        const oracle = new Map<string, { key: Buffer; value: Buffer | null }>();
        for (const { key, value } of writes) {
          const id = key.toString('latin1');
          const valueBytes = value === null ? null : Buffer.from([value]);
          // A copy of the key: the layer compares bytes, not buffers.
          layer.set(Buffer.from(key), valueBytes);
          const previous = oracle.get(id);
          if (previous === undefined) oracle.set(id, { key, value: valueBytes });
          else previous.value = valueBytes;
        }
        expect(layer.size).toBe(oracle.size);
        expect(layer.keys.map((key) => key.toString('latin1'))).toEqual([...oracle.keys()]);
        expect(layer.values).toEqual([...oracle.values()].map((entry) => entry.value));
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
        expect(merged.keys).toEqual(oneLayer.keys);
        expect(merged.values).toEqual(oneLayer.values);
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
});
