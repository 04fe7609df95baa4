/**
 * Byte layouts of the LevelDB stores' data keys. Times are int64 big-endian with the sign bit
 * flipped, so unsigned byte order is numeric order (negative times included).
 *
 * - key-value: `0x01 | key`
 * - window:    `0x01 | segment | key | window start | seqnum (uint32)`
 * - session:   `0x01 | segment | key | end | start`
 * - directory of a window or session key in a segment: `0x02 | segment | key` (see time-directory.ts)
 *
 * A segment is `floor(time / segmentInterval)` of the window start (session end). Segment first
 * means everything expired is one contiguous range, deleted with one `db.clear`; within a segment
 * a key's entries are contiguous and ordered by time, as in Kafka's segmented RocksDB stores.
 * classic-level cannot scan synchronously, so a per-key fetch reads the key's directory in each
 * live segment (at most about three) with `getSync` instead; directories are segment-first too,
 * and expire with their segment's data.
 */
import { dataPrefix, directoryPrefix } from './level-database.js';

const twoTo32 = 4294967296;

export function writeSortableInt64(buffer: Buffer, value: number, offset: number): void {
  const high = Math.floor(value / twoTo32);
  buffer.writeUInt32BE((high ^ 0x80000000) >>> 0, offset);
  buffer.writeUInt32BE(value - high * twoTo32, offset + 4);
}

export function readSortableInt64(buffer: Buffer, offset: number): number {
  return (buffer.readUInt32BE(offset) ^ 0x80000000) * twoTo32 + buffer.readUInt32BE(offset + 4);
}

export function keyValueKey(key: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + 1);
  bytes[0] = dataPrefix;
  key.copy(bytes, 1);
  return bytes;
}

/** The data key of a time-keyed entry: `0x01 | segment | key | time | tiebreak`. */
export function timedKey(key: Buffer, segment: number, time: number, tiebreak: number, tiebreakBytes: 4 | 8): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + 17 + tiebreakBytes);
  bytes[0] = dataPrefix;
  writeSortableInt64(bytes, segment, 1);
  key.copy(bytes, 9);
  writeSortableInt64(bytes, time, 9 + key.length);
  if (tiebreakBytes === 4) bytes.writeUInt32BE(tiebreak >>> 0, 17 + key.length);
  else writeSortableInt64(bytes, tiebreak, 17 + key.length);
  return bytes;
}

/** The parts of a {@link timedKey}. */
export function parseTimedKey(bytes: Buffer, tiebreakBytes: 4 | 8): { key: Buffer; time: number; tiebreak: number } {
  const keyEnd = bytes.length - 8 - tiebreakBytes;
  return {
    key: Buffer.from(bytes.subarray(9, keyEnd)),
    time: readSortableInt64(bytes, keyEnd),
    tiebreak: tiebreakBytes === 4 ? bytes.readUInt32BE(keyEnd + 8) : readSortableInt64(bytes, keyEnd + 8),
  };
}

/** The first data key of `segment`: everything below it is in earlier segments. */
export function segmentStart(segment: number): Buffer {
  const bytes = Buffer.allocUnsafe(9);
  bytes[0] = dataPrefix;
  writeSortableInt64(bytes, segment, 1);
  return bytes;
}

/** The lowest data key. */
export const dataKeysStart = Buffer.from([dataPrefix]);

/** The directory key of `key`'s entries in `segment`: `0x02 | segment | key`. */
export function directoryKey(key: Buffer, segment: number): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + 9);
  bytes[0] = directoryPrefix;
  writeSortableInt64(bytes, segment, 1);
  key.copy(bytes, 9);
  return bytes;
}

/** The first directory key of `segment`. */
export function directorySegmentStart(segment: number): Buffer {
  const bytes = Buffer.allocUnsafe(9);
  bytes[0] = directoryPrefix;
  writeSortableInt64(bytes, segment, 1);
  return bytes;
}

/** The lowest directory key. */
export const directoryKeysStart = Buffer.from([directoryPrefix]);
