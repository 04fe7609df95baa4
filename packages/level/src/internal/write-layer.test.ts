import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WriteLayer } from './write-layer.js';

describe('WriteLayer', () => {
  it('holds what a map of last writes would, its keys in first-write order', () => {
    const write = fc.record({ key: fc.integer({ min: 0, max: 30 }), value: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 120 }), (writes) => {
        const layer = new WriteLayer();
        const oracle = new Map<string, { key: Buffer; value: Buffer | null }>();
        for (const { key, value } of writes) {
          const keyBytes = Buffer.from([0x01, key, key >> 8]);
          const id = keyBytes.toString('latin1');
          const valueBytes = value === null ? null : Buffer.from([value]);
          layer.set(keyBytes, id, valueBytes);
          const previous = oracle.get(id);
          if (previous === undefined) oracle.set(id, { key: keyBytes, value: valueBytes });
          else previous.value = valueBytes;
        }
        expect(layer.size).toBe(oracle.size);
        expect(layer.keys.map((key) => key.toString('latin1'))).toEqual([...oracle.keys()]);
        expect(layer.values).toEqual([...oracle.values()].map((entry) => entry.value));
        for (let key = 0; key <= 30; key++) {
          const id = Buffer.from([0x01, key, key >> 8]).toString('latin1');
          expect(layer.get(id)).toEqual(oracle.get(id)?.value);
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
            const keyBytes = Buffer.from([0x01, key]);
            layer.set(keyBytes, keyBytes.toString('latin1'), value === null ? null : Buffer.from([value]));
          }
          return layer;
        };
        const merged = fill(new WriteLayer(), earlier);
        merged.absorb(fill(new WriteLayer(), later));
        const oneLayer = fill(new WriteLayer(), [...earlier, ...later]);
        expect(merged.keys).toEqual(oneLayer.keys);
        expect(merged.values).toEqual(oneLayer.values);
        for (let key = 0; key <= 20; key++) {
          const id = Buffer.from([0x01, key]).toString('latin1');
          expect(merged.get(id)).toEqual(oneLayer.get(id));
        }
      }),
      { numRuns: 300 },
    );
  });
});
