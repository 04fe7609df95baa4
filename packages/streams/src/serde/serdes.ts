/**
 * The built-in serdes, written byte for byte like Kafka's Java serdes (`StringSerializer`,
 * `IntegerSerializer`, `LongSerializer`, `DoubleSerializer`, `BytesSerializer`) so a Tributary app
 * and a Java app can share a topic. Every serde here is stateless, so {@link Serdes} hands out
 * one shared instance of each.
 */
import type { Headers } from '../processor/headers.js';
import { DeserializationError, SerializationError } from '../errors/streams-error.js';
import type { Serde } from './serde.js';
import { JsonSchemaSerde } from './json-schema-serde.js';
import type { JsonSchemaFor, JsonSchemaSerdeOptions } from './json-schema-serde.js';

const int32Minimum = -(2 ** 31);
const int32Maximum = 2 ** 31 - 1;
const int64Minimum = -(2n ** 63n);
const int64Maximum = 2n ** 63n - 1n;

/**
 * Names a bad input in an error message without dumping it whole: a wrong value can be a
 * megabyte-long string or an object graph.
 */
function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    case 'number':
      return `the number ${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
      if (Array.isArray(value)) return 'an array';
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  }
}

function wrongLength(serde: string, topic: string, data: Buffer, expected: number, hint: string): DeserializationError {
  return new DeserializationError(
    `${serde} deserializer on topic '${topic}' got ${data.length} bytes, expected ${expected}; ${hint}`,
  );
}

function wrongInput(serde: string, topic: string, value: unknown, expected: string): SerializationError {
  return new SerializationError(`${serde} serializer on topic '${topic}' got ${describeValue(value)}, expected ${expected}`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** UTF-8 text, like Kafka's `StringSerializer`; the usual serde for keys. */
export class StringSerde implements Serde<string> {
  /**
   * Rejects strings with unpaired surrogates: Java would write them as `?` and Node as U+FFFD,
   * so no byte layout both sides agree on exists, and silently changing the text is worse.
   */
  serialize(topic: string, data: string, _headers: Headers): Buffer {
    if (typeof data !== 'string') throw wrongInput('String', topic, data, 'a string');
    if (data.length <= asciiCopyMaxLength) {
      // Keys are mostly short ASCII ids, serialized several times per record (stores, sinks,
      // changelogs): copying their char codes beats Buffer.from's two native calls.
      const bytes = Buffer.allocUnsafe(data.length);
      let index = 0;
      for (; index < data.length; index++) {
        const code = data.charCodeAt(index);
        if (code >= 0x80) break;
        bytes[index] = code;
      }
      if (index === data.length) return bytes;
    }
    if (!(data as unknown as WellFormedString).isWellFormed()) {
      throw wrongInput('String', topic, data, 'well-formed UTF-16 (it has an unpaired surrogate, which UTF-8 cannot encode)');
    }
    return Buffer.from(data, 'utf8');
  }

  /** Malformed UTF-8 becomes U+FFFD, as it does in Java's `new String(bytes, UTF_8)`. */
  deserialize(_topic: string, data: Buffer, _headers: Headers): string {
    return data.toString('utf8');
  }
}

/** Strings up to this length are tried as ASCII, copied char by char; longer ones are faster through `Buffer.from`. */
const asciiCopyMaxLength = 64;

/** `String.prototype.isWellFormed` is in Node 20 but not in the ES2022 lib this project targets. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/** A 4-byte big-endian signed integer, like Kafka's `IntegerSerializer`. */
export class Int32Serde implements Serde<number> {
  serialize(topic: string, data: number, _headers: Headers): Buffer {
    if (typeof data !== 'number' || !Number.isInteger(data) || data < int32Minimum || data > int32Maximum) {
      throw wrongInput('Int32', topic, data, `an integer from ${int32Minimum} to ${int32Maximum}`);
    }
    const buffer = Buffer.allocUnsafe(4);
    buffer.writeInt32BE(data, 0);
    return buffer;
  }

  deserialize(topic: string, data: Buffer, _headers: Headers): number {
    if (data.length !== 4) {
      throw wrongLength('Int32', topic, data, 4, 'check that the producer writes Kafka IntegerSerializer values');
    }
    return data.readInt32BE(0);
  }
}

/**
 * An 8-byte big-endian signed integer, like Kafka's `LongSerializer`. Typed as `bigint` because a
 * Java long does not fit in a JavaScript number past 2^53.
 */
export class Int64Serde implements Serde<bigint> {
  serialize(topic: string, data: bigint, _headers: Headers): Buffer {
    if (typeof data !== 'bigint') {
      throw wrongInput('Int64', topic, data, 'a bigint (convert a number with BigInt(value))');
    }
    if (data < int64Minimum || data > int64Maximum) {
      throw wrongInput('Int64', topic, data, `a bigint from ${int64Minimum}n to ${int64Maximum}n`);
    }
    const buffer = Buffer.allocUnsafe(8);
    buffer.writeBigInt64BE(data, 0);
    return buffer;
  }

  deserialize(topic: string, data: Buffer, _headers: Headers): bigint {
    if (data.length !== 8) {
      throw wrongLength('Int64', topic, data, 8, 'check that the producer writes Kafka LongSerializer values');
    }
    return data.readBigInt64BE(0);
  }
}

/** An 8-byte big-endian IEEE 754 double, like Kafka's `DoubleSerializer`. */
export class Float64Serde implements Serde<number> {
  /** Writes every NaN as 7ff8000000000000, as Java's `doubleToLongBits` does, whatever its payload. */
  serialize(topic: string, data: number, _headers: Headers): Buffer {
    if (typeof data !== 'number') throw wrongInput('Float64', topic, data, 'a number');
    const buffer = Buffer.allocUnsafe(8);
    if (data !== data) {
      buffer.writeUInt32BE(0x7ff80000, 0);
      buffer.writeUInt32BE(0, 4);
    } else {
      buffer.writeDoubleBE(data, 0);
    }
    return buffer;
  }

  deserialize(topic: string, data: Buffer, _headers: Headers): number {
    if (data.length !== 8) {
      throw wrongLength('Float64', topic, data, 8, 'check that the producer writes Kafka DoubleSerializer values');
    }
    return data.readDoubleBE(0);
  }
}

/**
 * Raw bytes, passed through without a copy, like Kafka's `BytesSerializer`. The deserializer
 * returns the record's own buffer, so copy it before changing it.
 */
export class BytesSerde implements Serde<Buffer> {
  /** Also takes a plain `Uint8Array`, viewed as a Buffer without copying. */
  serialize(topic: string, data: Buffer, _headers: Headers): Buffer {
    if (Buffer.isBuffer(data)) return data;
    const bytes: unknown = data;
    if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    throw wrongInput('Bytes', topic, data, 'a Buffer or Uint8Array');
  }

  deserialize(_topic: string, data: Buffer, _headers: Headers): Buffer {
    return data;
  }
}

/**
 * JSON as UTF-8 text, for values whose shape is trusted; use {@link Serdes.JsonSchema} to check
 * it. Follows `JSON.stringify`: inside objects, `undefined` and function properties are left out,
 * and `NaN` and `Infinity` become `null`. Numbers past 2^53 lose precision on the way back.
 */
export class JsonSerde<T> implements Serde<T> {
  serialize(topic: string, data: T, _headers: Headers): Buffer {
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (error) {
      // BigInt and cycles land here, with the path to the problem in the message.
      throw new SerializationError(
        `Json serializer on topic '${topic}' could not serialize the value: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    // JSON.stringify answers undefined, not a string, for undefined, functions and symbols.
    if (json === undefined) throw wrongInput('Json', topic, data, 'a value JSON can represent');
    return Buffer.from(json, 'utf8');
  }

  deserialize(topic: string, data: Buffer, _headers: Headers): T {
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (error) {
      throw new DeserializationError(
        `Json deserializer on topic '${topic}' got malformed JSON (${data.length} bytes): ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
}

const stringSerde = new StringSerde();
const int32Serde = new Int32Serde();
const int64Serde = new Int64Serde();
const float64Serde = new Float64Serde();
const bytesSerde = new BytesSerde();
const jsonSerde = new JsonSerde<unknown>();

/**
 * The built-in serdes by name, as Kafka Streams users know them (`Serdes.String()`). Each call
 * returns a shared, stateless instance, except `JsonSchema`, which compiles its schema.
 */
export const Serdes = {
  /** UTF-8 text, byte-compatible with Kafka's `Serdes.String()`. */
  String(): Serde<string> {
    return stringSerde;
  },
  /** 4-byte big-endian signed integers, byte-compatible with Kafka's `Serdes.Integer()`. */
  Int32(): Serde<number> {
    return int32Serde;
  },
  /** 8-byte big-endian signed integers as `bigint`, byte-compatible with Kafka's `Serdes.Long()`. */
  Int64(): Serde<bigint> {
    return int64Serde;
  },
  /** 8-byte big-endian doubles, byte-compatible with Kafka's `Serdes.Double()`. */
  Float64(): Serde<number> {
    return float64Serde;
  },
  /** Raw bytes, unchanged, like Kafka's `Serdes.Bytes()`. */
  Bytes(): Serde<Buffer> {
    return bytesSerde;
  },
  /** Untyped JSON: `T` is trusted, not checked. See {@link JsonSerde}. */
  Json<T = unknown>(): Serde<T> {
    return jsonSerde as Serde<T>;
  },
  /**
   * JSON checked against a schema on the way in and written by a compiled serializer on the way
   * out. Name `T` yourself (`Serdes.JsonSchema<ProductEvent>(schema)`); the schema is then
   * checked against `T`'s property names. See {@link JsonSchemaSerde} for what the writer drops.
   */
  JsonSchema<T = unknown>(schema: JsonSchemaFor<NoInfer<T>>, options?: JsonSchemaSerdeOptions): Serde<T> {
    return new JsonSchemaSerde<T>(schema, options);
  },
} as const;
