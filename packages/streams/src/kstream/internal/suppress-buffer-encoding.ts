/**
 * How a held update of `KTable.suppress` is kept in its buffer store (and so on the store's
 * changelog), so a restarted task holds exactly what the failed one held (Kafka Streams'
 * changelogged suppression buffer). One value per buffered key, the key being the table key's
 * serialized bytes:
 *
 *   bytes 0..7    the buffer time (when the entry is due: window end, or first-buffered time), int64 BE
 *   bytes 8..15   the latest update's record timestamp, int64 BE
 *   bytes 16..23  the entry's size as counted against `maxBytes` (Kafka's estimate, see `suppress.ts`),
 *                 int64 BE, kept so a restored buffer counts exactly what the failed one counted (the
 *                 estimate includes the source topic and the update's old value, not stored here);
 *                 0 in entries written before it was kept (these bytes once held an arrival sequence)
 *   bytes 24..27  the number of headers, then per header: key length (uint32), UTF-8 key, value length (uint32), value
 *   then          the prior value (what downstream last saw): length (int32, -1 for null), bytes
 *   then          the latest value: length (int32, -1 for null, a deleted window), bytes
 *
 * Values are the table's value bytes, written with its value serde by the processor.
 */
import { StreamsError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';

/** A held update with its values still serialized. */
export interface EncodedBufferEntry {
  readonly time: number;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly priorBytes: Buffer | null;
  readonly newBytes: Buffer | null;
  /** The size counted against `maxBytes`; 0 when unknown (an entry written by an older version). */
  readonly size: number;
}

const fixedLength = 28;

export function encodeBufferEntry(entry: EncodedBufferEntry): Buffer {
  const headers = entry.headers.toArray();
  let length = fixedLength + 8 + (entry.priorBytes?.length ?? 0) + (entry.newBytes?.length ?? 0);
  const headerKeys: Buffer[] = [];
  for (const header of headers) {
    const key = Buffer.from(header.key, 'utf8');
    headerKeys.push(key);
    length += 8 + key.length + header.value.length;
  }
  const bytes = Buffer.allocUnsafe(length);
  bytes.writeBigInt64BE(BigInt(entry.time), 0);
  bytes.writeBigInt64BE(BigInt(entry.timestamp), 8);
  bytes.writeBigInt64BE(BigInt(entry.size), 16);
  bytes.writeUInt32BE(headers.length, 24);
  let offset = fixedLength;
  for (let index = 0; index < headers.length; index++) {
    const key = headerKeys[index]!;
    const value = headers[index]!.value;
    offset = bytes.writeUInt32BE(key.length, offset);
    offset += key.copy(bytes, offset);
    offset = bytes.writeUInt32BE(value.length, offset);
    offset += value.copy(bytes, offset);
  }
  offset = writeOptional(bytes, offset, entry.priorBytes);
  writeOptional(bytes, offset, entry.newBytes);
  return bytes;
}

export function decodeBufferEntry(storeName: string, bytes: Buffer): EncodedBufferEntry {
  if (bytes.length < fixedLength + 8) throw corrupt(storeName, `${bytes.length} bytes`);
  const time = Number(bytes.readBigInt64BE(0));
  const timestamp = Number(bytes.readBigInt64BE(8));
  const size = Number(bytes.readBigInt64BE(16));
  const headerCount = bytes.readUInt32BE(24);
  const headers = new Headers();
  let offset = fixedLength;
  for (let index = 0; index < headerCount; index++) {
    const keyLength = bytes.readUInt32BE(offset);
    const key = bytes.toString('utf8', offset + 4, offset + 4 + keyLength);
    offset += 4 + keyLength;
    const valueLength = bytes.readUInt32BE(offset);
    headers.add(key, Buffer.from(bytes.subarray(offset + 4, offset + 4 + valueLength)));
    offset += 4 + valueLength;
  }
  const prior = readOptional(storeName, bytes, offset);
  const latest = readOptional(storeName, bytes, prior.next);
  if (latest.next !== bytes.length) throw corrupt(storeName, `${bytes.length - latest.next} bytes left over`);
  return { time, timestamp, headers, priorBytes: prior.value, newBytes: latest.value, size };
}

function writeOptional(bytes: Buffer, offset: number, value: Buffer | null): number {
  if (value === null) return bytes.writeInt32BE(-1, offset);
  const next = bytes.writeInt32BE(value.length, offset);
  return next + value.copy(bytes, next);
}

function readOptional(storeName: string, bytes: Buffer, offset: number): { value: Buffer | null; next: number } {
  if (offset + 4 > bytes.length) throw corrupt(storeName, 'a value length is missing');
  const length = bytes.readInt32BE(offset);
  if (length === -1) return { value: null, next: offset + 4 };
  if (length < 0 || offset + 4 + length > bytes.length) throw corrupt(storeName, `a value of ${length} bytes overruns the record`);
  return { value: bytes.subarray(offset + 4, offset + 4 + length), next: offset + 4 + length };
}

function corrupt(storeName: string, detail: string): StreamsError {
  return new StreamsError('SUPPRESSION_BUFFER_CORRUPT', `A record of suppression buffer store '${storeName}' is not an encoded buffer entry (${detail}); was its changelog written by another operator?`);
}
