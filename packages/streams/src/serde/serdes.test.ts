import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Headers } from '../processor/headers.js';
import { DeserializationError, SerializationError, StreamsError } from '../errors/streams-error.js';
import type { Serde } from './serde.js';
import { Serdes } from './serdes.js';

const topic = 'orders';

function bytes(hexDigits: string): Buffer {
  return Buffer.from(hexDigits.replace(/ /g, ''), 'hex');
}

function hex(buffer: Buffer): string {
  return buffer.toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

function roundTrip<T>(serde: Serde<T>, value: T): T {
  return serde.deserialize(topic, serde.serialize(topic, value, new Headers()), new Headers());
}

/** Runs `action` and returns what it threw, so a test can check the class, code and message together. */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

function expectSerializationError(action: () => unknown, message: RegExp | string): void {
  const error = thrown(action);
  expect(error).toBeInstanceOf(SerializationError);
  expect(StreamsError.isInstance(error)).toBe(true);
  expect((error as SerializationError).code).toBe('SERIALIZATION_FAILED');
  expect((error as Error).message).toMatch(message);
}

function expectDeserializationError(action: () => unknown, message: RegExp | string): void {
  const error = thrown(action);
  expect(error).toBeInstanceOf(DeserializationError);
  expect((error as DeserializationError).code).toBe('DESERIALIZATION_FAILED');
  expect((error as Error).message).toMatch(message);
}

describe('Serdes.String', () => {
  const serde = Serdes.String();

  it('round-trips any well-formed unicode string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (value) => roundTrip(serde, value) === value));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (value) => roundTrip(serde, value) === value));
  });

  it('writes the bytes Buffer.from writes, into a buffer of its own, for ASCII and other strings of any length', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '-', '0', '\u007f', 'é', '€', '😀'), maxLength: 80 });
    fc.assert(
      fc.property(text, (value) => {
        const first = serde.serialize(topic, value, new Headers());
        expect(first.equals(Buffer.from(value, 'utf8'))).toBe(true);
        const second = serde.serialize(topic, value, new Headers());
        if (second.length > 0) {
          second[0] = second[0]! ^ 0xff;
          expect(first.equals(Buffer.from(value, 'utf8'))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('writes UTF-8 as Java StringSerializer does', () => {
    expect(hex(serde.serialize(topic, '', new Headers()))).toBe('');
    expect(hex(serde.serialize(topic, 'héllo', new Headers()))).toBe('68 c3 a9 6c 6c 6f');
    expect(hex(serde.serialize(topic, '€', new Headers()))).toBe('e2 82 ac');
    expect(hex(serde.serialize(topic, '😀', new Headers()))).toBe('f0 9f 98 80');
    expect(serde.deserialize(topic, bytes('f0 9f 98 80'), new Headers())).toBe('😀');
  });

  it('reads malformed UTF-8 as U+FFFD, as Java does', () => {
    expect(serde.deserialize(topic, bytes('61 ff 62'), new Headers())).toBe('a\ufffdb');
  });

  it('rejects a non-string and a string with an unpaired surrogate', () => {
    expectSerializationError(
      () => serde.serialize(topic, 42 as unknown as string, new Headers()),
      "String serializer on topic 'orders' got the number 42, expected a string",
    );
    expectSerializationError(() => serde.serialize(topic, 'a\ud800b', new Headers()), /unpaired surrogate/);
  });

  it('returns one shared instance', () => {
    expect(Serdes.String()).toBe(serde);
  });
});

describe('Serdes.Int32', () => {
  const serde = Serdes.Int32();

  it('round-trips the full int32 range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => roundTrip(serde, value) === value),
    );
  });

  it('writes 4 big-endian bytes as Java IntegerSerializer does', () => {
    const cases: Array<[number, string]> = [
      [0, '00 00 00 00'],
      [1, '00 00 00 01'],
      [-1, 'ff ff ff ff'],
      [-2, 'ff ff ff fe'],
      [256, '00 00 01 00'],
      [2 ** 31 - 1, '7f ff ff ff'],
      [-(2 ** 31), '80 00 00 00'],
    ];
    for (const [value, expected] of cases) {
      expect(hex(serde.serialize(topic, value, new Headers()))).toBe(expected);
      expect(serde.deserialize(topic, bytes(expected), new Headers())).toBe(value);
    }
  });

  it('rejects out-of-range, fractional and non-number input', () => {
    const range = 'expected an integer from -2147483648 to 2147483647';
    expectSerializationError(
      () => serde.serialize(topic, 2 ** 31, new Headers()),
      `Int32 serializer on topic 'orders' got the number 2147483648, ${range}`,
    );
    expectSerializationError(() => serde.serialize(topic, -(2 ** 31) - 1, new Headers()), /-2147483649/);
    expectSerializationError(() => serde.serialize(topic, 1.5, new Headers()), /got the number 1.5/);
    expectSerializationError(() => serde.serialize(topic, Number.NaN, new Headers()), /got the number NaN/);
    expectSerializationError(() => serde.serialize(topic, Infinity, new Headers()), /got the number Infinity/);
    expectSerializationError(() => serde.serialize(topic, '5' as unknown as number, new Headers()), /got the string "5"/);
    expectSerializationError(() => serde.serialize(topic, 5n as unknown as number, new Headers()), /got the bigint 5n/);
    expectSerializationError(() => serde.serialize(topic, undefined as unknown as number, new Headers()), /got undefined/);
  });

  it('rejects a record that is not 4 bytes long', () => {
    expectDeserializationError(
      () => serde.deserialize('x', bytes('00 00 01'), new Headers()),
      /^Int32 deserializer on topic 'x' got 3 bytes, expected 4/,
    );
    expectDeserializationError(() => serde.deserialize('x', Buffer.alloc(0), new Headers()), /got 0 bytes, expected 4/);
    expectDeserializationError(() => serde.deserialize('x', Buffer.alloc(8), new Headers()), /got 8 bytes, expected 4/);
  });
});

describe('Serdes.Int64', () => {
  const serde = Serdes.Int64();
  const minimum = -(2n ** 63n);
  const maximum = 2n ** 63n - 1n;

  it('round-trips the full int64 range as bigint', () => {
    fc.assert(fc.property(fc.bigInt({ min: minimum, max: maximum }), (value) => roundTrip(serde, value) === value));
  });

  it('writes 8 big-endian bytes as Java LongSerializer does', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '00 00 00 00 00 00 00 00'],
      [1n, '00 00 00 00 00 00 00 01'],
      [-2n, 'ff ff ff ff ff ff ff fe'],
      [2n ** 32n, '00 00 00 01 00 00 00 00'],
      [2n ** 53n + 1n, '00 20 00 00 00 00 00 01'],
      [maximum, '7f ff ff ff ff ff ff ff'],
      [minimum, '80 00 00 00 00 00 00 00'],
    ];
    for (const [value, expected] of cases) {
      expect(hex(serde.serialize(topic, value, new Headers()))).toBe(expected);
      expect(serde.deserialize(topic, bytes(expected), new Headers())).toBe(value);
    }
  });

  it('rejects out-of-range bigints and numbers', () => {
    expectSerializationError(() => serde.serialize(topic, maximum + 1n, new Headers()), /got the bigint 9223372036854775808n/);
    expectSerializationError(() => serde.serialize(topic, minimum - 1n, new Headers()), /expected a bigint from/);
    expectSerializationError(
      () => serde.serialize(topic, 5 as unknown as bigint, new Headers()),
      "Int64 serializer on topic 'orders' got the number 5, expected a bigint (convert a number with BigInt(value))",
    );
  });

  it('rejects a record that is not 8 bytes long', () => {
    expectDeserializationError(
      () => serde.deserialize(topic, bytes('00 00 00 01'), new Headers()),
      "Int64 deserializer on topic 'orders' got 4 bytes, expected 8",
    );
  });
});

describe('Serdes.Float64', () => {
  const serde = Serdes.Float64();

  it('round-trips every double, including -0, NaN, infinities and subnormals', () => {
    fc.assert(fc.property(fc.double(), (value) => Object.is(roundTrip(serde, value), value)));
    fc.assert(
      fc.property(fc.double({ min: -Number.MIN_VALUE * 2 ** 52, max: Number.MIN_VALUE * 2 ** 52 }), (value) =>
        Object.is(roundTrip(serde, value), value),
      ),
    );
  });

  it('writes 8 big-endian IEEE 754 bytes as Java DoubleSerializer does', () => {
    const cases: Array<[number, string]> = [
      [0, '00 00 00 00 00 00 00 00'],
      [-0, '80 00 00 00 00 00 00 00'],
      [1, '3f f0 00 00 00 00 00 00'],
      [-2, 'c0 00 00 00 00 00 00 00'],
      [0.1, '3f b9 99 99 99 99 99 9a'],
      [Infinity, '7f f0 00 00 00 00 00 00'],
      [-Infinity, 'ff f0 00 00 00 00 00 00'],
      [Number.MIN_VALUE, '00 00 00 00 00 00 00 01'],
      [Number.MAX_VALUE, '7f ef ff ff ff ff ff ff'],
      [Number.NaN, '7f f8 00 00 00 00 00 00'],
    ];
    for (const [value, expected] of cases) {
      expect(hex(serde.serialize(topic, value, new Headers()))).toBe(expected);
      expect(Object.is(serde.deserialize(topic, bytes(expected), new Headers()), value)).toBe(true);
    }
  });

  it('writes any NaN as the canonical NaN, as Java doubleToLongBits does', () => {
    const oddNaN = bytes('ff f0 00 00 00 00 00 01').readDoubleBE(0);
    expect(oddNaN).toBeNaN();
    expect(hex(serde.serialize(topic, oddNaN, new Headers()))).toBe('7f f8 00 00 00 00 00 00');
  });

  it('rejects non-numbers and records that are not 8 bytes long', () => {
    expectSerializationError(
      () => serde.serialize(topic, '1.5' as unknown as number, new Headers()),
      "Float64 serializer on topic 'orders' got the string \"1.5\", expected a number",
    );
    expectDeserializationError(
      () => serde.deserialize(topic, bytes('3f f0 00 00'), new Headers()),
      "Float64 deserializer on topic 'orders' got 4 bytes, expected 8",
    );
  });
});

describe('Serdes.Bytes', () => {
  const serde = Serdes.Bytes();

  it('passes the buffer through without copying', () => {
    const buffer = bytes('00 01 fe ff');
    expect(serde.serialize(topic, buffer, new Headers())).toBe(buffer);
    expect(serde.deserialize(topic, buffer, new Headers())).toBe(buffer);
    fc.assert(fc.property(fc.uint8Array(), (array) => roundTrip(serde, Buffer.from(array)).equals(Buffer.from(array))));
  });

  it('views a plain Uint8Array as a Buffer over the same memory', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const written = serde.serialize(topic, view as Buffer, new Headers());
    expect(Buffer.isBuffer(written)).toBe(true);
    expect(hex(written)).toBe('01 02 03');
    backing[2] = 7;
    expect(written[1]).toBe(7);
  });

  it('rejects anything else', () => {
    expectSerializationError(
      () => serde.serialize(topic, 'abc' as unknown as Buffer, new Headers()),
      "Bytes serializer on topic 'orders' got the string \"abc\", expected a Buffer or Uint8Array",
    );
    expectSerializationError(() => serde.serialize(topic, [1, 2] as unknown as Buffer, new Headers()), /got an array/);
  });
});

describe('Serdes.Json', () => {
  const serde = Serdes.Json<unknown>();

  it('round-trips any JSON value', () => {
    // toEqual, not toStrictEqual: fast-check builds some objects without a prototype, JSON.parse never does.
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // JSON has no negative zero: -0 is written as 0 and reads back as 0.
        expect(roundTrip(serde, value)).toEqual(withoutNegativeZero(value));
      }),
    );
  });

  it('writes -0 as 0, since JSON cannot represent negative zero', () => {
    expect(Object.is(roundTrip(serde, -0), 0)).toBe(true);
  });

  it('writes compact UTF-8 JSON', () => {
    expect(serde.serialize(topic, { id: 'é', n: [1, null, true] }, new Headers()).toString('latin1')).toBe(
      '{"id":"\u00c3\u00a9","n":[1,null,true]}',
    );
    expect(Serdes.Json<{ id: number }>().deserialize(topic, Buffer.from('{"id":7}'), new Headers())).toEqual({ id: 7 });
  });

  it('follows JSON.stringify for nested values it cannot represent', () => {
    const value = { kept: 1, missing: undefined, method: () => 1, ratio: Number.NaN, list: [undefined] };
    expect(serde.serialize(topic, value, new Headers()).toString()).toBe('{"kept":1,"ratio":null,"list":[null]}');
  });

  it('rejects values JSON cannot represent', () => {
    expectSerializationError(
      () => serde.serialize(topic, undefined, new Headers()),
      "Json serializer on topic 'orders' got undefined, expected a value JSON can represent",
    );
    expectSerializationError(() => serde.serialize(topic, () => 1, new Headers()), /got a function/);
    expectSerializationError(() => serde.serialize(topic, Symbol('s'), new Headers()), /got a symbol/);
    expectSerializationError(() => serde.serialize(topic, { id: 1n }, new Headers()), /could not serialize the value: .*BigInt/);
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle['self'] = cycle;
    const error = thrown(() => serde.serialize(topic, cycle, new Headers()));
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toMatch(/circular/);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('rejects malformed JSON with the parse error as cause', () => {
    for (const text of ['{"id":', '', 'undefined', "{'a':1}"]) {
      const error = thrown(() => serde.deserialize(topic, Buffer.from(text), new Headers()));
      expect(error).toBeInstanceOf(DeserializationError);
      expect((error as Error).message).toMatch(
        new RegExp(`^Json deserializer on topic 'orders' got malformed JSON \\(${text.length} bytes\\): `),
      );
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
    }
  });
});

describe('every built-in serde', () => {
  const samples: Array<[string, Serde<unknown>, unknown]> = [
    ['String', Serdes.String() as Serde<unknown>, 'text'],
    ['Int32', Serdes.Int32() as Serde<unknown>, 7],
    ['Int64', Serdes.Int64() as Serde<unknown>, 7n],
    ['Float64', Serdes.Float64() as Serde<unknown>, 7.5],
    ['Bytes', Serdes.Bytes() as Serde<unknown>, bytes('07')],
    ['Json', Serdes.Json(), { id: 7 }],
  ];

  it.each(samples)('%s leaves the headers untouched', (_name, serde, value) => {
    const headers = new Headers().add('trace', 'abc').add('trace', 'def');
    const before = headers.toArray();
    const written = serde.serialize(topic, value, headers);
    serde.deserialize(topic, written, headers);
    expect(headers.toArray()).toEqual(before);
  });
});

function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutNegativeZero(inner)]));
  }
  return value;
}
