/**
 * Kafka's `Murmur3.hash128`, pinned by vectors that Kafka Streams 3.9.2's own class printed
 * (org.apache.kafka.streams.state.internals.Murmur3, run once from a small Java program): every
 * tail length, whole blocks, and bytes with the high bit set (negative in Java).
 */
import { describe, expect, it } from 'vitest';
import { murmur3Hash128 } from './murmur3.js';

/** The Java program's input of length n: byte i is (i * 37 + 200) mod 256. */
function pattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 37 + 200) & 0xff;
  return bytes;
}

const byLength: Array<[number, string]> = [
  [0, '9d2764a018e329428c3cf3b035938518'],
  [1, 'bff2166f25d4e3caad76f90042c32eb7'],
  [2, 'bcd4482b54b21ae4ff522487ce044fc6'],
  [3, 'b02c9dcb0b188cb7261d276514956649'],
  [4, '846a0800ef7c20fecd9d9b8b3a3e1bbb'],
  [7, 'e2c12aaa37615c8d78e8fff449acd2e3'],
  [8, '5376fe5d8752a4802bcfb922970c534c'],
  [9, 'b79cc91e67eb164f7285936d18b5c4c8'],
  [12, '77cb9c85e6102be497b3ef548224d05b'],
  [15, '8541440932df88a8133781906f758397'],
  [16, '3b1ca826ba2a8ab100ff368af7e15570'],
  [17, '14606ec89b0c68c720e38f08a941bbdf'],
  [24, '51113554edd27de75501bcf9acda8270'],
  [31, '0fc8bff6b4d635a2db8b6c0ce90a3cd8'],
  [32, '271fc7adca25c66d69f499a2c53fd088'],
  [33, 'c811ac0257c06b43de4815d1c281354e'],
  [100, 'ac5e6f34f01858a4773258770366c397'],
];

const byText: Array<[string, string]> = [
  ['hello', '30bfb4f39919e764566aea857401d1c6'],
  ['{"id":"p1","category":"shoes"}', '0bf80aea9d2dc57069d7b49cd6015006'],
  ['Kafka Streams', '349b8774ccc32b05ff30342042f10c80'],
];

describe('murmur3Hash128', () => {
  it.each(byLength)('matches Kafka for %i bytes', (length, expected) => {
    expect(murmur3Hash128(pattern(length)).toString('hex')).toBe(expected);
  });

  it.each(byText)('matches Kafka for the UTF-8 of %s', (text, expected) => {
    expect(murmur3Hash128(Buffer.from(text, 'utf8')).toString('hex')).toBe(expected);
  });

  it('hashes a view into a larger buffer by its own bytes only', () => {
    const larger = Buffer.concat([Buffer.from('xx'), Buffer.from('hello'), Buffer.from('yy')]);
    expect(murmur3Hash128(larger.subarray(2, 7)).toString('hex')).toBe('30bfb4f39919e764566aea857401d1c6');
  });
});
