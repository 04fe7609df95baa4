/**
 * How a `Change<V>` travels on a repartition topic (`KTable.groupBy`), so the aggregation on the
 * other side can subtract the old row and add the new one. Layout, one record per change:
 *
 *   byte 0      flags: bit 0 = a new value follows, bit 1 = an old value follows
 *   bytes 1..4  length of the new value's bytes, big-endian (present only with bit 0)
 *   then        the new value's bytes, then the old value's bytes (the rest of the record)
 *
 * Values are written with the grouping's value serde (`Grouped.valueSerde`, or the default).
 * Kafka Streams 3.5+ (KIP-904) sends the same pair of values in one record when the row keeps
 * its group, and two records (subtraction, then addition) when it moves; so does `groupBy` here.
 */
import { StreamsError } from '../../errors/streams-error.js';
import type { Headers } from '../../processor/headers.js';
import type { Serde } from '../../serde/serde.js';
import { change, type Change } from './change.js';

const hasNew = 1;
const hasOld = 2;

export function encodeChange<V>(serde: Serde<V>, topic: string, value: Change<V>, headers: Headers): Buffer {
  const newBytes = value.newValue === null ? undefined : serde.serialize(topic, value.newValue, headers);
  const oldBytes = value.oldValue === null ? undefined : serde.serialize(topic, value.oldValue, headers);
  const prefix = Buffer.alloc(newBytes === undefined ? 1 : 5);
  prefix[0] = (newBytes === undefined ? 0 : hasNew) | (oldBytes === undefined ? 0 : hasOld);
  if (newBytes !== undefined) prefix.writeUInt32BE(newBytes.length, 1);
  return Buffer.concat([prefix, newBytes ?? Buffer.alloc(0), oldBytes ?? Buffer.alloc(0)]);
}

export function decodeChange<V>(serde: Serde<V>, topic: string, bytes: Buffer, headers: Headers): Change<V> {
  const flags = bytes[0];
  if (flags === undefined || flags > (hasNew | hasOld)) throw new StreamsError('CHANGE_ENCODING', `A record on '${topic}' is not an encoded table change (flags ${String(flags)}).`);
  let offset = 1;
  let newValue: V | null = null;
  if ((flags & hasNew) !== 0) {
    const length = bytes.readUInt32BE(1);
    offset = 5 + length;
    newValue = serde.deserialize(topic, bytes.subarray(5, offset), headers);
  }
  const oldValue = (flags & hasOld) !== 0 ? serde.deserialize(topic, bytes.subarray(offset), headers) : null;
  return change(newValue, oldValue);
}
