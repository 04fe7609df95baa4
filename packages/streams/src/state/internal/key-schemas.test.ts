import { describe, expect, it } from 'vitest';
import { Headers } from '../../processor/headers.js';
import { Serdes } from '../../serde/serdes.js';
import { parseSessionKey, parseWindowKey, readInt64, sessionKey, valueAndTimestampSerde, windowKey, writeInt64 } from './key-schemas.js';

describe('key schemas', () => {
  it('writes int64s as big-endian two’s complement, like writeBigInt64BE', () => {
    for (const value of [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_123]) {
      const ours = Buffer.alloc(8);
      writeInt64(ours, value, 0);
      const reference = Buffer.alloc(8);
      reference.writeBigInt64BE(BigInt(value));
      expect(ours).toEqual(reference);
      expect(readInt64(ours, 0)).toBe(value);
    }
  });

  it('round-trips window and session keys', () => {
    expect(parseWindowKey(windowKey(Buffer.from('key'), -5, 7), 's')).toEqual({ key: Buffer.from('key'), windowStart: -5, seqnum: 7 });
    expect(parseSessionKey(sessionKey(Buffer.from(''), 3, 9), 's')).toEqual({ key: Buffer.from(''), start: 3, end: 9 });
    expect(() => parseWindowKey(Buffer.alloc(11), 'w')).toThrow(/window store 'w'/);
  });

  it('serializes values with their timestamp first', () => {
    const serde = valueAndTimestampSerde(Serdes.String());
    const bytes = serde.serialize('t', { value: 'hi', timestamp: 258 }, new Headers());
    expect(bytes).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 1, 2, 0x68, 0x69]));
    expect(serde.deserialize('t', bytes, new Headers())).toEqual({ value: 'hi', timestamp: 258 });
  });
});
