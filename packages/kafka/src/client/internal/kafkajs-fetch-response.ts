/**
 * kafkajs' fetch response (version 11, what it speaks to Kafka 2.3 and later) read here in one
 * pass over its bytes, into the objects kafkajs' own decoder makes.
 *
 * kafkajs reads every record through a `Decoder` of its own (an object per record, on a slice of
 * the record's bytes), adds each record's offset and timestamp delta to its batch's through its
 * `Long` (a `BigInt` per addition, then its string), and merges the headers with an object
 * spread per header: about a twelfth of the kafkajs flagship's busy samples, and garbage that
 * lives until the fetch's last batch is processed (benchmarks/PROFILE.md, "kafkajs' fetch
 * response"). Here offsets and timestamps are plain numbers while they are safe integers (every
 * offset and millisecond timestamp Kafka writes), turned into the same strings.
 *
 * What comes out is what kafkajs' decoder gives, field for field and in its order: a process's
 * responses read here are also decoded by kafkajs and compared until one with records has
 * matched, and should one differ (a kafkajs whose objects changed), kafkajs decodes every response from then on.
 * A response with anything this reader does not take (compressed or legacy batches, an integer
 * past 2^53, a length that does not fit) is kafkajs' to decode, so malformed bytes fail as they
 * always did.
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

interface FetchResponseModule {
  decode(rawData: Buffer): Promise<unknown>;
  parse(data: unknown): Promise<unknown>;
}

interface BuiltFetch {
  response: FetchResponseModule;
}

type FetchFactory = (args: unknown) => BuiltFetch;

interface FetchDefinition {
  protocol: (selection: { version: number }) => FetchFactory;
  [INSTALLED]?: true;
}

const INSTALLED = Symbol.for('tributary.kafka.fetchResponseReader');
/** The record batch format this reader takes (magic 2); older message sets are kafkajs'. */
const MAGIC = 2;
/** kafkajs' `RECORD_BATCH_OVERHEAD`: a batch shorter than this ends the partition's records. */
const BATCH_OVERHEAD = 49;
/** Where a record set's magic byte is, for every format. */
const MAGIC_OFFSET = 16;
const COMPRESSION_MASK = 0x7;
const TIMESTAMP_TYPE_FLAG = 0x8;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
/** The high half of an int64 whose value is a safe integer lies in [-2^21, 2^21). */
const SAFE_HIGH = 2 ** 21;

const require = createRequire(import.meta.url);
let createTime = 0;
let logAppendTime = 1;
/** Whether a response read here has matched kafkajs' decoding of it; `false` once one did not. */
let verified: boolean | undefined;

/** Thrown inside the reader for anything it does not take; caught at the top, where kafkajs takes over. */
class NotTaken extends Error {}
const notTaken = new NotTaken('not taken');

/** A reader over one buffer: the fetch response, or a record batch's bytes within it. */
class Reader {
  offset: number;

  constructor(
    readonly bytes: Buffer,
    start: number,
    /** Where what is being read ends: a record's end while reading it, else the buffer's or the batch's. */
    public end: number,
  ) {
    this.offset = start;
  }

  need(count: number): void {
    if (count < 0 || this.offset + count > this.end) throw notTaken;
  }

  int8(): number {
    this.need(1);
    return this.bytes.readInt8(this.offset++);
  }

  int16(): number {
    this.need(2);
    const value = this.bytes.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** An int64 that is a safe integer. */
  int64(): number {
    this.need(8);
    const high = this.bytes.readInt32BE(this.offset);
    const low = this.bytes.readUInt32BE(this.offset + 4);
    this.offset += 8;
    if (high < -SAFE_HIGH || high >= SAFE_HIGH) throw notTaken;
    return high * 4294967296 + low;
  }

  /** A zigzag varint of at most four bytes (kafkajs' 32-bit varint reads these exactly). */
  varint(): number {
    return this.zigzag(4);
  }

  /** A zigzag varlong of at most seven bytes (49 bits: exact as a number). */
  varlong(): number {
    return this.zigzag(7);
  }

  private zigzag(maxBytes: number): number {
    let unsigned = 0;
    let scale = 1;
    for (let count = 0; count < maxBytes; count++) {
      this.need(1);
      const byte = this.bytes[this.offset++]!;
      unsigned += (byte & 0x7f) * scale;
      if (byte < 0x80) return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      scale *= 128;
    }
    throw notTaken;
  }

  /** A slice of `length` bytes, `null` for -1, as kafkajs' `readBytes` and `readVarIntBytes` give it. */
  slice(length: number): Buffer | null {
    if (length === -1) return null;
    this.need(length);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  string(length: number): string | null {
    if (length === -1) return null;
    this.need(length);
    const text = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return text;
  }
}

/** A record's headers as kafkajs merges them: a key seen again becomes an array of its values. */
function readHeaders(reader: Reader): Record<string, Buffer | null | (Buffer | null)[]> {
  const count = reader.varint();
  let headers: Record<string, Buffer | null | (Buffer | null)[]> = {};
  if (count <= 0) {
    if (count < -1) throw notTaken;
    return headers;
  }
  for (let index = 0; index < count; index++) {
    const key = String(reader.string(reader.varint()));
    const value = reader.slice(reader.varint());
    const previous = headers[key];
    // An object spread per header, as kafkajs' reduce does: a key such as `__proto__` stays an own property.
    headers = { ...headers, [key]: previous === undefined ? value : Array.isArray(previous) ? previous.concat([value]) : [previous, value] };
  }
  return headers;
}

/** The records of one batch at the reader's offset, appended to `records`; false when the batch is cut short (the end of the fetch). */
function readBatch(reader: Reader, records: unknown[]): boolean {
  const firstOffset = reader.int64();
  const length = reader.int32();
  if (length < 0) throw notTaken;
  if (reader.end - reader.offset < length) return false;
  const batch = new Reader(reader.bytes, reader.offset, reader.offset + length);
  reader.offset += length;
  const partitionLeaderEpoch = batch.int32();
  const magicByte = batch.int8();
  batch.int32(); // the CRC, which kafkajs does not check
  const attributes = batch.int16();
  if ((attributes & COMPRESSION_MASK) !== 0) throw notTaken;
  const lastOffsetDelta = batch.int32();
  const firstTimestamp = batch.int64();
  const maxTimestamp = batch.int64();
  const producerId = batch.int64();
  const producerEpoch = batch.int16();
  const firstSequence = batch.int32();
  const logAppend = (attributes & TIMESTAMP_TYPE_FLAG) > 0;
  const batchContext = {
    firstOffset: String(firstOffset),
    firstTimestamp: String(firstTimestamp),
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG) > 0,
    isControlBatch: (attributes & CONTROL_FLAG) > 0,
    lastOffsetDelta,
    producerId: String(producerId),
    producerEpoch,
    firstSequence,
    maxTimestamp: String(maxTimestamp),
    timestampType: logAppend ? logAppendTime : createTime,
    magicByte,
  };
  const isControlRecord = batchContext.isControlBatch;
  const count = batch.int32();
  if (count < -1) throw notTaken;
  const batchEnd = batch.end;
  for (let index = 0; index < count; index++) {
    const recordLength = batch.varint();
    if (recordLength < 0) throw notTaken;
    batch.need(recordLength);
    // The batch's reader reads the record, bounded by the record's end; bytes of it left unread are skipped, as kafkajs does.
    const recordEnd = batch.offset + recordLength;
    batch.end = recordEnd;
    const recordAttributes = batch.int8();
    const timestampDelta = batch.varlong();
    const timestamp = logAppend ? batchContext.maxTimestamp : String(firstTimestamp + timestampDelta);
    const offset = firstOffset + batch.varint();
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(firstTimestamp + timestampDelta)) throw notTaken;
    const key = batch.slice(batch.varint());
    const value = batch.slice(batch.varint());
    const headers = readHeaders(batch);
    batch.offset = recordEnd;
    batch.end = batchEnd;
    records.push({ magicByte, attributes: recordAttributes, timestamp, offset: String(offset), key, value, headers, isControlRecord, batchContext });
  }
  return true;
}

/** A partition's records, as kafkajs' `decodeMessages` gives them. */
function readMessages(reader: Reader): unknown[] {
  const size = reader.int32();
  if (size <= 0) return [];
  reader.need(size);
  if (size <= MAGIC_OFFSET || reader.bytes.readInt8(reader.offset + MAGIC_OFFSET) !== MAGIC) throw notTaken;
  const records: unknown[] = [];
  const set = new Reader(reader.bytes, reader.offset, reader.offset + size);
  reader.offset += size;
  while (set.end - set.offset >= BATCH_OVERHEAD) {
    if (!readBatch(set, records)) break;
  }
  return records;
}

/** The response's decoded form, as kafkajs' version 11 `decode` gives it; undefined when kafkajs should decode it. */
export function readFetchResponse(rawData: Buffer): { responses: unknown[] } | undefined {
  try {
    const reader = new Reader(rawData, 0, rawData.length);
    const clientSideThrottleTime = reader.int32();
    const errorCode = reader.int16();
    const sessionId = reader.int32();
    const topicCount = reader.int32();
    if (topicCount < -1) return undefined;
    const responses: unknown[] = [];
    for (let topicIndex = 0; topicIndex < topicCount; topicIndex++) {
      const topicName = reader.string(reader.int16());
      const partitionCount = reader.int32();
      if (partitionCount < -1) return undefined;
      const partitions: unknown[] = [];
      for (let index = 0; index < partitionCount; index++) {
        const partition = reader.int32();
        const partitionErrorCode = reader.int16();
        const highWatermark = String(reader.int64());
        const lastStableOffset = String(reader.int64());
        const lastStartOffset = String(reader.int64());
        const abortedCount = reader.int32();
        if (abortedCount < -1) return undefined;
        const abortedTransactions: { producerId: string; firstOffset: string }[] = [];
        for (let aborted = 0; aborted < abortedCount; aborted++) abortedTransactions.push({ producerId: String(reader.int64()), firstOffset: String(reader.int64()) });
        const preferredReadReplica = reader.int32();
        const messages = readMessages(reader);
        partitions.push({ partition, errorCode: partitionErrorCode, highWatermark, lastStableOffset, lastStartOffset, abortedTransactions, preferredReadReplica, messages });
      }
      responses.push({ topicName, partitions });
    }
    return { throttleTime: 0, clientSideThrottleTime, errorCode, sessionId, responses } as { responses: unknown[] };
  } catch (error) {
    if (error instanceof NotTaken) return undefined;
    throw error;
  }
}

function hasRecords(response: { responses: unknown[] }): boolean {
  return response.responses.some((topic) => (topic as { partitions: { messages: unknown[] }[] }).partitions.some((partition) => partition.messages.length > 0));
}

/** The response decoded here, the first one with records also by kafkajs and compared. */
async function decodeResponse(rawData: Buffer, kafkajsDecode: (rawData: Buffer) => Promise<unknown>): Promise<unknown> {
  const read = verified === false ? undefined : readFetchResponse(rawData);
  if (read === undefined) return kafkajsDecode(rawData);
  if (verified === true) return read;
  // Every response is compared until one with records has matched.
  const theirs = await kafkajsDecode(rawData);
  if (!isDeepStrictEqual(read, theirs)) verified = false;
  else if (hasRecords(read)) verified = true;
  return theirs;
}

/**
 * Has kafkajs' fetch responses of version 11 read by {@link readFetchResponse} when they can be,
 * once per process (or worker thread). A kafkajs not laid out as 2.x is left as it is: this is
 * speed, not correctness.
 */
export function installFetchResponseReader(): void {
  let definition: FetchDefinition | undefined;
  try {
    definition = require('kafkajs/src/protocol/requests/fetch/index.js') as FetchDefinition;
    const types = require('kafkajs/src/protocol/timestampTypes.js') as { CREATE_TIME?: unknown; LOG_APPEND_TIME?: unknown };
    if (typeof types.CREATE_TIME !== 'number' || typeof types.LOG_APPEND_TIME !== 'number') return;
    createTime = types.CREATE_TIME;
    logAppendTime = types.LOG_APPEND_TIME;
  } catch {
    return;
  }
  if (typeof definition?.protocol !== 'function' || definition[INSTALLED] === true) return;
  const protocol = definition.protocol;
  definition.protocol = (selection) => {
    const factory = protocol(selection);
    if (typeof factory !== 'function' || selection.version !== 11) return factory;
    return (args) => {
      const built = factory(args);
      const response = built.response;
      if (typeof response?.decode !== 'function') return built;
      const kafkajsDecode = response.decode.bind(response);
      built.response = { ...response, decode: (rawData: Buffer) => decodeResponse(rawData, kafkajsDecode) };
      return built;
    };
  };
  definition[INSTALLED] = true;
}

/** Whether responses are read here: `undefined` until one with records has matched kafkajs' decoding, `false` once one did not (for tests). */
export function fetchResponseReaderVerified(): boolean | undefined {
  return verified;
}
