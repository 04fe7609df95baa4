import { describe, expect, it } from 'vitest';
import { murmur2 } from './murmur2.js';

describe('murmur2', () => {
  it("gives Kafka's Utils.murmur2 values (clients' UtilsTest vectors)", () => {
    const cases: [Uint8Array, number][] = [
      [Buffer.from('21'), -973932308],
      [Buffer.from('foobar'), -790332482],
      [Buffer.from('a-little-bit-long-string'), -985981536],
      [Buffer.from('a-little-bit-longer-string'), -1486304829],
      [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [Buffer.from('abc'), 479470107],
    ];
    for (const [bytes, expected] of cases) expect(murmur2(bytes)).toBe(expected);
  });
});
