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
});
