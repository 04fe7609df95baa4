/**
 * How a held update of `KTable.suppress` is kept in its buffer store and logged to the store's
 * changelog: Kafka Streams 3.9's layout (`InMemoryTimeOrderedKeyValueChangeBuffer`, changelog
 * version 3, records with the header `v` = 3), one value per buffered key, the key being the
 * table key's serialized bytes:
 *
 *   the record context   timestamp (int64), offset (int64), source topic (int32 length, UTF-8),
 *                        partition (int32), header count (int32), then per header: key (int32
 *                        length, UTF-8), value (int32 length, -1 for null, bytes)
 *   the prior value      what downstream last saw: int32 length (-1 for null), bytes
 *   the old value        the latest update's old value: int32 length (-1 for null, -2 when its
 *                        bytes equal the prior value's, which are then not repeated), bytes
 *   the new value        the latest update's value: int32 length (-1 for null, a deleted window), bytes
 *   the buffer time      when the entry is due (window end, or first-buffered time), int64
 *
 * All big-endian. Values are the table's value bytes, written with its value serde.
 *
 * Tributary before wrote its own layout, with no header; a store or changelog may still hold it,
 * so {@link decodeBufferEntry} reads it too: `time (int64), timestamp (int64), size (int64),
 * header count (uint32), headers (uint32 length + UTF-8 key, uint32 length + value), prior value,
 * new value` (values as above). The two are told apart by content: that layout's size is below
 * 2^32, so its bytes 16..19 are 0, where Kafka's layout has the source topic's length; and a record
 * in Kafka's layout never reads as one in the earlier layout to the last byte (it has two more fields).
 */
import { StreamsError } from '../../errors/streams-error.js';
import { Headers } from '../../processor/headers.js';

/** Where the update a buffered entry holds came from: Kafka's `ProcessorRecordContext`. */
interface BufferRecordContext {
  readonly timestamp: number;
  readonly offset: number;
  /** The source topic; empty when unknown (a record forwarded by a punctuator, or an entry restored from the earlier layout). */
  readonly topic: string;
  readonly partition: number;
  readonly headers: Headers;
}

/** A held update with its values still serialized. */
export interface EncodedBufferEntry {
  /** When the entry is due. */
  readonly time: number;
  readonly context: BufferRecordContext;
  readonly priorBytes: Buffer | null;
  readonly oldBytes: Buffer | null;
  readonly newBytes: Buffer | null;
  /** The size an entry of the earlier layout counted against `maxBytes` (0 when it was not kept); `undefined` in Kafka's layout. */
  readonly legacySize?: number;
}

/** The changelog header of Kafka's buffer layout version 3. */
const BUFFER_VERSION_HEADER = 'v';
const version3 = Buffer.from([3]);

/** The headers of a changelog record of a buffered entry (Kafka's `v` = 3). Shared: never mutate. */
export const bufferChangelogHeaders: Headers = new Headers().add(BUFFER_VERSION_HEADER, version3);

const nullLength = -1;
const sameAsPriorLength = -2;

export function encodeBufferEntry(entry: EncodedBufferEntry): Buffer {
  const { context } = entry;
  const topic = Buffer.from(context.topic, 'utf8');
  const headers = context.headers.toArray();
  const headerKeys: Buffer[] = [];
  let length = 8 + 8 + 4 + topic.length + 4 + 4;
  for (const header of headers) {
    const key = Buffer.from(header.key, 'utf8');
    headerKeys.push(key);
    length += 8 + key.length + header.value.length;
  }
  const oldSameAsPrior = entry.oldBytes !== null && entry.priorBytes !== null && entry.oldBytes.equals(entry.priorBytes);
  length += 4 + (entry.priorBytes?.length ?? 0) + 4 + (oldSameAsPrior ? 0 : (entry.oldBytes?.length ?? 0)) + 4 + (entry.newBytes?.length ?? 0) + 8;
  const bytes = Buffer.allocUnsafe(length);
  let offset = bytes.writeBigInt64BE(BigInt(context.timestamp), 0);
  offset = bytes.writeBigInt64BE(BigInt(context.offset), offset);
  offset = bytes.writeInt32BE(topic.length, offset);
  offset += topic.copy(bytes, offset);
  offset = bytes.writeInt32BE(context.partition, offset);
  offset = bytes.writeInt32BE(headers.length, offset);
  for (let index = 0; index < headers.length; index++) {
    const key = headerKeys[index]!;
    const value = headers[index]!.value;
    offset = bytes.writeInt32BE(key.length, offset);
    offset += key.copy(bytes, offset);
    offset = bytes.writeInt32BE(value.length, offset);
    offset += value.copy(bytes, offset);
  }
  offset = writeOptional(bytes, offset, entry.priorBytes);
  offset = oldSameAsPrior ? bytes.writeInt32BE(sameAsPriorLength, offset) : writeOptional(bytes, offset, entry.oldBytes);
  offset = writeOptional(bytes, offset, entry.newBytes);
  bytes.writeBigInt64BE(BigInt(entry.time), offset);
  return bytes;
}

/** Reads an entry in Kafka's layout, or in Tributary's earlier one (see the module comment). */
export function decodeBufferEntry(storeName: string, bytes: Buffer): EncodedBufferEntry {
  if (bytes.length >= 28 && bytes.readInt32BE(16) === 0) {
    const earlier = decodeEarlierLayout(bytes);
    if (earlier !== undefined) return earlier;
  }
  return decodeKafkaLayout(storeName, bytes);
}

function decodeKafkaLayout(storeName: string, bytes: Buffer): EncodedBufferEntry {
  const reader = new Reader(storeName, bytes);
  const timestamp = reader.int64();
  const recordOffset = reader.int64();
  const topic = reader.sized() ?? Buffer.alloc(0);
  const partition = reader.int32();
  const headerCount = reader.int32();
  const headers = new Headers();
  for (let index = 0; index < headerCount; index++) {
    const key = reader.sized();
    if (key === null) throw corrupt(storeName, 'a header key is null');
    // Kafka's headers may hold a null value; Tributary's hold bytes, so it reads as empty.
    headers.add(key.toString('utf8'), Buffer.from(reader.sized() ?? Buffer.alloc(0)));
  }
  const priorBytes = reader.sized();
  const oldLength = reader.int32();
  const oldBytes = oldLength === sameAsPriorLength ? priorBytes : reader.bytesOf(oldLength);
  const newBytes = reader.sized();
  const time = reader.int64();
  if (reader.offset !== bytes.length) throw corrupt(storeName, `${bytes.length - reader.offset} bytes left over`);
  return { time, context: { timestamp, offset: recordOffset, topic: topic.toString('utf8'), partition, headers }, priorBytes, oldBytes, newBytes };
}

/** An entry of Tributary's earlier layout, or `undefined` when `bytes` do not read as one to the last byte. */
function decodeEarlierLayout(bytes: Buffer): EncodedBufferEntry | undefined {
  try {
    const reader = new Reader('', bytes);
    const time = reader.int64();
    const timestamp = reader.int64();
    const size = reader.int64();
    const headerCount = reader.int32();
    if (headerCount < 0) return undefined;
    const headers = new Headers();
    for (let index = 0; index < headerCount; index++) {
      const key = reader.sized();
      const value = reader.sized();
      if (key === null || value === null) return undefined;
      headers.add(key.toString('utf8'), Buffer.from(value));
    }
    const priorBytes = reader.sized();
    const newBytes = reader.sized();
    if (reader.offset !== bytes.length) return undefined;
    // The old value was not kept: the prior value stands in for it, as for a key's first update.
    return { time, context: { timestamp, offset: -1, topic: '', partition: -1, headers }, priorBytes, oldBytes: priorBytes, newBytes, legacySize: size };
  } catch {
    return undefined;
  }
}

function writeOptional(bytes: Buffer, offset: number, value: Buffer | null): number {
  if (value === null) return bytes.writeInt32BE(nullLength, offset);
  const next = bytes.writeInt32BE(value.length, offset);
  return next + value.copy(bytes, next);
}

class Reader {
  offset = 0;

  constructor(
    private readonly storeName: string,
    private readonly bytes: Buffer,
  ) {}

  int64(): number {
    this.need(8);
    const value = Number(this.bytes.readBigInt64BE(this.offset));
    this.offset += 8;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** An int32 length (-1 for null), then that many bytes. */
  sized(): Buffer | null {
    return this.bytesOf(this.int32());
  }

  bytesOf(length: number): Buffer | null {
    if (length === nullLength) return null;
    if (length < 0) throw corrupt(this.storeName, `a value length of ${length}`);
    this.need(length);
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) throw corrupt(this.storeName, `a field of ${count} bytes overruns the record`);
  }
}

function corrupt(storeName: string, detail: string): StreamsError {
  return new StreamsError('SUPPRESSION_BUFFER_CORRUPT', `A record of suppression buffer store '${storeName}' is not an encoded buffer entry (${detail}); was its changelog written by another operator?`);
}
