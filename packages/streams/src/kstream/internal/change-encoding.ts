/**
 * How a `Change<V>` travels on a repartition topic (`KTable.groupBy`), so the aggregation on the
 * other side can subtract the old row and add the new one: the layout of Kafka Streams 3.9's
 * `ChangedSerializer`, so the topic's bytes are Kafka's and either engine reads the other's. The
 * last byte is a flag saying what comes before it:
 *
 *   0  old value bytes
 *   1  new value bytes
 *   2  zigzag varint of the new value's length, new value bytes, old value bytes
 *   3, 4, 5  as 0, 1, 2, then one `isLatest` byte (0 or 1) before the flag
 *
 * Flags 3 to 5 are what Kafka writes for versioned tables' out-of-order updates; they are read
 * (the flag byte checked and dropped, as the aggregation ignores it) but never written here.
 * Values are written with the grouping's value serde (`Grouped.valueSerde`, or the default).
 * Kafka Streams 3.5+ (KIP-904) sends the pair of values in one record (flag 2) when the row keeps
 * its group, and two records (subtraction, flag 0, then addition, flag 1) when it moves.
 */
import { DeserializationError, SerializationError } from '../../errors/streams-error.js';
import type { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import { change, type Change } from './change.js';

const OLD_ONLY = 0;
const NEW_ONLY = 1;
const BOTH = 2;
const OLD_ONLY_WITH_IS_LATEST = 3;
const BOTH_WITH_IS_LATEST = 5;

/** The bytes of a change; one side may be null, not both (Kafka's serializer refuses that too). */
export function encodeChange<V>(serde: Serde<V>, topic: string, value: Change<V>, headers: Headers): Buffer {
  const newBytes = value.newValue === null ? undefined : serde.serialize(topic, value.newValue, headers);
  const oldBytes = value.oldValue === null ? undefined : serde.serialize(topic, value.oldValue, headers);
  if (newBytes !== undefined && oldBytes !== undefined) {
    const zigzag = (newBytes.length << 1) >>> 0;
    const lengthBytes = varintLength(zigzag);
    const bytes = Buffer.allocUnsafe(lengthBytes + newBytes.length + oldBytes.length + 1);
    let offset = writeUnsignedVarint(bytes, zigzag);
    offset += newBytes.copy(bytes, offset);
    offset += oldBytes.copy(bytes, offset);
    bytes[offset] = BOTH;
    return bytes;
  }
  const only = newBytes ?? oldBytes;
  if (only === undefined) {
    throw new SerializationError(`A table change for '${topic}' has neither a new nor an old value; a KTable groupBy sends only changes with at least one side.`);
  }
  const bytes = Buffer.allocUnsafe(only.length + 1);
  only.copy(bytes, 0);
  bytes[only.length] = newBytes === undefined ? OLD_ONLY : NEW_ONLY;
  return bytes;
}

/** The change in `bytes` written by {@link encodeChange} or by Kafka Streams' `ChangedSerializer`. */
export function decodeChange<V>(serde: Serde<V>, topic: string, bytes: Buffer, headers: Headers): Change<V> {
  const flag = bytes.length === 0 ? undefined : bytes[bytes.length - 1]!;
  if (flag === undefined || flag > BOTH_WITH_IS_LATEST) {
    throw new DeserializationError(
      `A record on '${topic}' is not a table change as KTable.groupBy writes it (last byte ${String(flag)}, expected a flag 0 to 5); only the groupBy's own repartition processor should write to this topic.`,
    );
  }
  let end = bytes.length - 1;
  if (flag >= OLD_ONLY_WITH_IS_LATEST) {
    const isLatest = bytes[end - 1];
    if (isLatest !== 0 && isLatest !== 1) {
      throw new DeserializationError(`A record on '${topic}' has table-change flag ${flag} but an isLatest byte of ${String(isLatest)} (expected 0 or 1); it was not written by a KTable groupBy.`);
    }
    end--;
  }
  const layout = flag % 3;
  if (layout === OLD_ONLY) return change<V>(null, serde.deserialize(topic, bytes.subarray(0, end), headers));
  if (layout === NEW_ONLY) return change<V>(serde.deserialize(topic, bytes.subarray(0, end), headers), null);
  // The zigzag varint of the new value's length (Kafka's ByteUtils.readVarint), at most 5 bytes.
  let zigzag = 0;
  let offset = 0;
  for (;;) {
    const byte = offset < 5 && offset < end ? bytes[offset]! : undefined;
    if (byte === undefined) throw new DeserializationError(`A record on '${topic}' starts with a malformed length varint; it was not written by a KTable groupBy.`);
    zigzag |= (byte & 0x7f) << (7 * offset++);
    if ((byte & 0x80) === 0) break;
  }
  zigzag >>>= 0;
  const newLength = (zigzag >>> 1) ^ -(zigzag & 1);
  if (newLength < 0 || offset + newLength > end) {
    throw new DeserializationError(`A record on '${topic}' says its new value has ${newLength} bytes, more than the ${end - offset} it holds; it was not written by a KTable groupBy.`);
  }
  const newValue = serde.deserialize(topic, bytes.subarray(offset, offset + newLength), headers);
  const oldValue = serde.deserialize(topic, bytes.subarray(offset + newLength, end), headers);
  return change(newValue, oldValue);
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value >>> 7; rest !== 0; rest >>>= 7) length++;
  return length;
}

/** Writes `value` (an unsigned 32-bit integer) as a base-128 varint at the start of `bytes`; returns its length. */
function writeUnsignedVarint(bytes: Buffer, value: number): number {
  let offset = 0;
  let rest = value;
  while (rest > 0x7f) {
    bytes[offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  bytes[offset++] = rest;
  return offset;
}
