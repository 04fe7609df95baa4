import fc from 'fast-check';
import HyperLogLog from 'hyperloglog-lite';
import { describe, expect, it } from 'vitest';
import { hashValue } from './value-hash.js';

/** The register index (at precision 32) and rank hyperloglog-lite gives a value. */
function libraryHash(value: string): { first: number; rank: number } {
  const words = HyperLogLog.hash(value);
  const low = words[3]! | 0;
  const high = words[2]! | 0;
  const rank = low !== 0 ? 32 - Math.clz32(low & -low) : high !== 0 ? 64 - Math.clz32(high & -high) : 65;
  return { first: words[0]!, rank };
}

describe('hashValue', () => {
  it("gives hyperloglog-lite's register word and rank for any string: ASCII, any Unicode, lone surrogates, long ones", () => {
    const strings = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)) }),
      fc.string({ minLength: 200, maxLength: 2_000 }),
      fc.string({ unit: 'binary', minLength: 300, maxLength: 1_000 }),
    );
    fc.assert(
      fc.property(strings, (value) => {
        expect({ ...hashValue(value) }).toEqual(libraryHash(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('matches on the values the flagship counts, and on the empty string', () => {
    for (const value of ['', 'u00001', 'u12345', 'ë', '😀', 'user-42', String(1234567)]) expect({ ...hashValue(value) }).toEqual(libraryHash(value));
  });
});
