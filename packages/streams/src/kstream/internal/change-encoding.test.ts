/**
 * The repartition layout of a KTable groupBy's changes, against the bytes Kafka Streams 3.9's
 * `ChangedSerializer` writes (its layout comment: old value then flag 0, new value then flag 1,
 * zigzag varint length + new + old then flag 2; flags 3 to 5 add an `isLatest` byte).
 */
import { describe, expect, it } from 'vitest';
import { DeserializationError, SerializationError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';
import { Serdes } from '../../serde/serdes.js';
import { change } from './change.js';
import { decodeChange, encodeChange } from './change-encoding.js';

const strings = Serdes.String();
const headers = new Headers();

function encode(newValue: string | null, oldValue: string | null): string {
  return encodeChange(strings, 't', change(newValue, oldValue), headers).toString('hex');
}

function decode(hex: string) {
  return decodeChange(strings, 't', Buffer.from(hex, 'hex'), headers);
}

describe('table change encoding (Kafka 3.9 ChangedSerializer layout)', () => {
  it('writes an addition as the new value and flag 1, a subtraction as the old value and flag 0', () => {
    expect(encode('80', null)).toBe('383001');
    expect(encode(null, '7')).toBe('3700');
    expect(encode('', null)).toBe('01');
  });

  it('writes both values as the zigzag varint of the new length, new, old and flag 2', () => {
    // "12" has 2 bytes: zigzag 4.
    expect(encode('12', '9')).toBe('04' + '3132' + '39' + '02');
    // 70 bytes: zigzag 140 = 0x8c 0x01 as a varint.
    const long = 'x'.repeat(70);
    const bytes = encodeChange(strings, 't', change(long, 'o'), headers);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('8c01');
    expect(bytes.length).toBe(2 + 70 + 1 + 1);
    expect(decodeChange(strings, 't', bytes, headers)).toEqual(change(long, 'o'));
  });

  it('reads back what it writes', () => {
    for (const [newValue, oldValue] of [['a', null], [null, 'b'], ['a', 'b'], ['', ''], ['', null]] as const) {
      expect(decodeChange(strings, 't', encodeChange(strings, 't', change(newValue, oldValue), headers), headers)).toEqual(change(newValue, oldValue));
    }
  });

  it('reads the versioned layouts (flags 3 to 5, an isLatest byte before the flag)', () => {
    expect(decode('37' + '00' + '03')).toEqual(change(null, '7'));
    expect(decode('3830' + '01' + '04')).toEqual(change('80', null));
    expect(decode('04' + '3132' + '39' + '01' + '05')).toEqual(change('12', '9'));
  });

  it('refuses a change with neither value, and bytes it did not write', () => {
    expect(() => encode(null, null)).toThrow(SerializationError);
    expect(() => decode('')).toThrow(DeserializationError);
    expect(() => decode('3806')).toThrow(/flag 0 to 5/);
    expect(() => decode('38' + '07' + '03')).toThrow(/isLatest byte of 7/);
    expect(() => decode('20' + '31' + '02')).toThrow(/says its new value has 16 bytes/);
  });
});
