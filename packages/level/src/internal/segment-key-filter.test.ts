import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyHash, SegmentKeyFilter } from './segment-key-filter.js';

describe('SegmentKeyFilter', () => {
  it('holds every key added, through any number of layers (no false negatives)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ minLength: 0, maxLength: 24 }), { maxLength: 400 }), fc.integer({ min: 0, max: 300 }), (keys, expected) => {
        // Sized for fewer keys than it gets, so it grows.
        const filter = new SegmentKeyFilter(expected);
        for (const key of keys) filter.add(keyHash(Buffer.from(key)));
        for (const key of keys) expect(filter.mightContain(keyHash(Buffer.from(key)))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('answers about 1% of absent keys wrongly, also after growing past its first layer', () => {
    const filter = new SegmentKeyFilter(0);
    const added = 100_000; // the first layer takes 13,107 keys: this fills four layers
    for (let index = 0; index < added; index++) filter.add(keyHash(Buffer.from(`event-${index}`)));
    expect(filter.count).toBe(added);
    let falsePositives = 0;
    const probes = 20_000;
    for (let index = 0; index < probes; index++) if (filter.mightContain(keyHash(Buffer.from(`other-${index}`)))) falsePositives++;
    // Four layers at about 1% each.
    expect(falsePositives / probes).toBeLessThan(0.06);
    const one = new SegmentKeyFilter(added);
    for (let index = 0; index < added; index++) one.add(keyHash(Buffer.from(`event-${index}`)));
    let oneFalsePositives = 0;
    for (let index = 0; index < probes; index++) if (one.mightContain(keyHash(Buffer.from(`other-${index}`)))) oneFalsePositives++;
    expect(oneFalsePositives / probes).toBeLessThan(0.02);
  });

  it('hashes the key bytes, not their text', () => {
    expect(keyHash(Buffer.from('a'))).not.toBe(keyHash(Buffer.from('b')));
    expect(keyHash(Buffer.from([0xc3, 0xa9]))).toBe(keyHash(Buffer.from('é', 'utf8')));
    expect(keyHash(Buffer.alloc(0))).toBe(0x811c9dc5);
  });
});
