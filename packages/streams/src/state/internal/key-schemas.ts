/**
 * The byte layouts of Kafka Streams' changelogs, so a Tributary changelog and a Java one can be
 * read by either: window keys (`WindowKeySchema`: key bytes, 8-byte big-endian window start,
 * 4-byte big-endian seqnum), session keys (`SessionKeySchema`: key bytes, 8-byte end, 8-byte
 * start) and timestamped values (`ValueAndTimestampSerializer`: 8-byte timestamp, value bytes).
 */
import { DeserializationError } from '../../errors/streams-error.js';
import type { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import type { ValueAndTimestamp } from '../value-and-timestamp.js';

const twoTo32 = 4294967296;

/** Writes a safe integer as a big-endian two's-complement int64, without a BigInt. */
export function writeInt64(buffer: Buffer, value: number, offset: number): void {
  const high = Math.floor(value / twoTo32);
  buffer.writeInt32BE(high, offset);
  buffer.writeUInt32BE(value - high * twoTo32, offset + 4);
}

/** Reads a big-endian int64 written by {@link writeInt64} (exact within the safe-integer range). */
export function readInt64(buffer: Buffer, offset: number): number {
  return buffer.readInt32BE(offset) * twoTo32 + buffer.readUInt32BE(offset + 4);
}

/** Bytes a window key adds to the record key. */
export const windowKeySuffixBytes = 12;
/** Bytes a session key adds to the record key. */
export const sessionKeySuffixBytes = 16;

/** A window store's changelog key: the record key's bytes, the window start (int64) and the seqnum (int32), big-endian. */
export function windowKey(key: Buffer, windowStart: number, seqnum: number): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + windowKeySuffixBytes);
  key.copy(bytes, 0);
  writeInt64(bytes, windowStart, key.length);
  bytes.writeInt32BE(seqnum, key.length + 8);
  return bytes;
}

/** The parts of a window store's changelog key. */
export interface WindowKeyParts {
  /** The record key's bytes: a view into the changelog key, not a copy. */
  readonly key: Buffer;
  /** The window's start, epoch ms. */
  readonly windowStart: number;
  /** Which duplicate of the key and window (stores retaining duplicates); else 0. */
  readonly seqnum: number;
}

/**
 * Splits a window store's changelog key ({@link windowKey}) into its parts.
 *
 * @param storeName - The store whose changelog it is, for the error.
 * @throws DeserializationError when the key is too short to hold a window start and seqnum.
 */
export function parseWindowKey(bytes: Buffer, storeName: string): WindowKeyParts {
  if (bytes.length < windowKeySuffixBytes) {
    throw new DeserializationError(`A changelog key of window store '${storeName}' has ${bytes.length} bytes; it needs at least ${windowKeySuffixBytes} (window start and seqnum).`);
  }
  const keyLength = bytes.length - windowKeySuffixBytes;
  return { key: bytes.subarray(0, keyLength), windowStart: readInt64(bytes, keyLength), seqnum: bytes.readInt32BE(keyLength + 8) };
}

/** A session store's changelog key: the record key's bytes, the session's end and then its start (int64s), big-endian. */
export function sessionKey(key: Buffer, start: number, end: number): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + sessionKeySuffixBytes);
  key.copy(bytes, 0);
  writeInt64(bytes, end, key.length);
  writeInt64(bytes, start, key.length + 8);
  return bytes;
}

/** The parts of a session store's changelog key. */
export interface SessionKeyParts {
  /** The record key's bytes: a view into the changelog key, not a copy. */
  readonly key: Buffer;
  /** Timestamp of the session's first record, epoch ms. */
  readonly start: number;
  /** Timestamp of the session's last record, epoch ms. */
  readonly end: number;
}

/**
 * Splits a session store's changelog key ({@link sessionKey}) into its parts.
 *
 * @param storeName - The store whose changelog it is, for the error.
 * @throws DeserializationError when the key is too short to hold the session's end and start.
 */
export function parseSessionKey(bytes: Buffer, storeName: string): SessionKeyParts {
  if (bytes.length < sessionKeySuffixBytes) {
    throw new DeserializationError(`A changelog key of session store '${storeName}' has ${bytes.length} bytes; it needs at least ${sessionKeySuffixBytes} (session end and start).`);
  }
  const keyLength = bytes.length - sessionKeySuffixBytes;
  return { key: bytes.subarray(0, keyLength), end: readInt64(bytes, keyLength), start: readInt64(bytes, keyLength + 8) };
}

/** Serdes of `ValueAndTimestamp<V>` in Kafka's layout: the timestamp, then the value's bytes. */
class ValueAndTimestampSerde<V> implements Serde<ValueAndTimestamp<V>> {
  constructor(private readonly inner: Serde<V>) {}

  serialize(topic: string, data: ValueAndTimestamp<V>, headers: Headers): Buffer {
    const value = this.inner.serialize(topic, data.value, headers);
    const bytes = Buffer.allocUnsafe(value.length + 8);
    writeInt64(bytes, data.timestamp, 0);
    value.copy(bytes, 8);
    return bytes;
  }

  deserialize(topic: string, data: Buffer, headers: Headers): ValueAndTimestamp<V> {
    if (data.length < 8) throw new DeserializationError(`A timestamped value on '${topic}' has ${data.length} bytes; it needs at least 8 for the timestamp.`);
    return { value: this.inner.deserialize(topic, data.subarray(8), headers), timestamp: readInt64(data, 0) };
  }
}

/** A serde of `ValueAndTimestamp<V>` in Kafka's layout (8-byte timestamp, then `inner`'s bytes). */
export function valueAndTimestampSerde<V>(inner: Serde<V>): Serde<ValueAndTimestamp<V>> {
  return new ValueAndTimestampSerde(inner);
}
