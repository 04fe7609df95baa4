/**
 * kafkajs' produce request (versions 3 to 7, whose body is one layout), written here in one
 * buffer of its exact size when every partition's messages are the runtime's own
 * (`selfEncodingMessages`, `kafkajs-records.ts`).
 *
 * kafkajs builds a request as nested `Encoder`s: per partition a record batch body, the batch
 * around it, the batch with its offset, the partition's entry, then the topic's and the request's
 * body, each a zero-filled buffer that doubles as it grows, and each copying the one inside it.
 * Eight copies of every record's bytes, the record batch's CRC computed a byte at a time, and the
 * sort of every message's timestamp string per partition: about a tenth of the kafkajs flagship's
 * busy samples after its records were already encoded in one pass (benchmarks/PROFILE.md, "kafkajs'
 * produce request"). Here the sizes are measured first, then the request is written in place, its
 * CRC-32C computed eight bytes at a time.
 *
 * The bytes are kafkajs' own, field for field: the batch's first and last timestamps as its string
 * sort picks them, the producer id, epoch and first sequence through its `Long`, the transactional
 * flag from the transactional id. The first request a process writes here is also encoded by kafkajs
 * and compared; should they differ (a kafkajs whose format changed), kafkajs encodes every request
 * from then on. A request with anything this encoder does not take as it is (messages not the
 * runtime's, compression, a message without its own timestamp, which kafkajs stamps with its clock)
 * is kafkajs' to encode.
 */
import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';
import { isSelfEncoding, measureRecords, reserveRecords, writeRecords } from './kafkajs-records.js';
import { timestampMillisOf } from './record-timestamp.js';

/** kafkajs' `Long` as the encoder uses it: any value it takes, as its two 32-bit halves. */
interface KafkajsLong {
  getHighBits(): number;
  getLowBits(): number;
}

interface ProduceArguments {
  readonly acks: number;
  readonly timeout: number;
  readonly compression?: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly topicData: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly firstSequence?: number; readonly messages: readonly Message[] }[] }[];
}

interface EncodedRequest {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

interface BuiltRequest {
  readonly request: { encode(): Promise<EncodedRequest> };
}

type ProduceFactory = (args: ProduceArguments) => BuiltRequest;

interface ProduceDefinition {
  protocol: (selection: { version: number }) => ProduceFactory;
  [INSTALLED]?: true;
}

const INSTALLED = Symbol.for('tributary.kafka.produceRequestEncoder');
/** The record batch's magic byte: format v2. */
const MAGIC = 2;
/** The attributes bit of a transactional batch. */
const TRANSACTIONAL = 16;
/** Bytes of a batch before its records: offset, length, leader epoch, magic, CRC, attributes, last offset delta, two timestamps, producer id and epoch, first sequence, record count. */
const BATCH_OVERHEAD = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
/** Where the CRC's range starts within a batch: after offset, length, leader epoch, magic and the CRC itself. */
const CRC_FROM = 8 + 4 + 4 + 1 + 4;

const require = createRequire(import.meta.url);
let longFromValue: ((value: unknown) => KafkajsLong) | undefined;
let encoderPrototype: object | undefined;
/** Whether a request written here has matched kafkajs' encoding of it; `false` once one did not. */
let verified: boolean | undefined;

/** The CRC-32C tables for eight bytes at a time (Castagnoli, reflected: 0x82f63b78). */
const crcTables = (() => {
  const tables = new Int32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    tables[byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    for (let table = 1; table < 8; table++) {
      const previous = tables[(table - 1) * 256 + byte]!;
      tables[table * 256 + byte] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
})();

/** The CRC-32C of `bytes[start, end)`, as Kafka's record batch carries it. */
export function crc32c(bytes: Uint8Array, start: number, end: number): number {
  const t = crcTables;
  let crc = -1;
  let index = start;
  for (; index + 8 <= end; index += 8) {
    const low = crc ^ (bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24));
    const high = bytes[index + 4]! | (bytes[index + 5]! << 8) | (bytes[index + 6]! << 16) | (bytes[index + 7]! << 24);
    crc =
      t[1792 + (low & 0xff)]! ^
      t[1536 + ((low >>> 8) & 0xff)]! ^
      t[1280 + ((low >>> 16) & 0xff)]! ^
      t[1024 + (low >>> 24)]! ^
      t[768 + (high & 0xff)]! ^
      t[512 + ((high >>> 8) & 0xff)]! ^
      t[256 + ((high >>> 16) & 0xff)]! ^
      t[high >>> 24]!;
  }
  for (; index < end; index++) crc = t[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * A message's timestamp when kafkajs' `Long`, its subtraction and its string sort all read it as
 * the same integer: a safe integer other than 0 (which kafkajs replaces with its clock), or the
 * decimal string of a safe integer as `String` writes it; NaN for anything else.
 */
export function plainTimestamp(timestamp: unknown): number {
  if (typeof timestamp === 'number') return Number.isSafeInteger(timestamp) && timestamp !== 0 ? timestamp : Number.NaN;
  if (typeof timestamp !== 'string') return Number.NaN;
  const length = timestamp.length;
  const negative = timestamp.charCodeAt(0) === 45; // '-'
  let index = negative ? 1 : 0;
  // At most 16 digits, no leading zero but in "0" itself.
  if (length === index || length - index > 16 || (timestamp.charCodeAt(index) === 48 && length - index > 1)) return Number.NaN;
  let value = 0;
  for (; index < length; index++) {
    const digit = timestamp.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  if (negative && value === 0) return Number.NaN; // "-0" reads as 0, which String writes as "0"
  return Number.isSafeInteger(value) ? (negative ? -value : value) : Number.NaN;
}

/**
 * Whether `String(a) < String(b)`, as kafkajs' sort orders timestamps, for safe integers: in
 * numeric order while both have 13 digits (every millisecond from September 2001 to 2286), else
 * by their strings.
 */
export function sortsBefore(a: number, b: number): boolean {
  if (a >= 1e12 && a < 1e13 && b >= 1e12 && b < 1e13) return a < b;
  return String(a) < String(b);
}

/** Each message's timestamp as {@link plainTimestamp} reads it, by its index in the request being written. */
let timestampValues = new Float64Array(256);

function writeLong(out: Buffer, offset: number, value: unknown): number {
  const long = longFromValue!(value);
  out.writeInt32BE(long.getHighBits(), offset);
  out.writeInt32BE(long.getLowBits(), offset + 4);
  return offset + 8;
}

function writeString(out: Buffer, offset: number, text: string | null): number {
  if (text === null) {
    out.writeInt16BE(-1, offset);
    return offset + 2;
  }
  const size = out.write(text, offset + 2, 'utf8');
  out.writeInt16BE(size, offset);
  return offset + 2 + size;
}

/** One partition's batch, measured: its messages, their place in the scratch arrays, and what the batch says of them. */
interface MeasuredBatch {
  readonly partition: number;
  readonly firstSequence: unknown;
  readonly messages: readonly Message[];
  readonly from: number;
  readonly recordsSize: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
}

/**
 * The request's body as kafkajs' `encode()` writes it, or undefined when kafkajs should encode it
 * (see the module's comment).
 */
export function encodeProduceRequest(args: ProduceArguments): Buffer | undefined {
  if ((args.compression ?? 0) !== 0 || longFromValue === undefined) return undefined;
  const transactionalId = args.transactionalId ?? null;
  let count = 0;
  for (const topic of args.topicData) {
    for (const data of topic.partitions) {
      if (!isSelfEncoding(data.messages) || data.messages.length === 0) return undefined;
      count += data.messages.length;
    }
  }
  reserveRecords(count);
  if (timestampValues.length < count) timestampValues = new Float64Array(count * 2);
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
  const batches: MeasuredBatch[][] = [];
  let from = 0;
  for (const topic of args.topicData) {
    size += 2 + Buffer.byteLength(topic.topic, 'utf8') + 4;
    const measured: MeasuredBatch[] = [];
    for (const data of topic.partitions) {
      const messages = data.messages;
      // kafkajs' first and last timestamps: the first and last of its sort of them, which compares them as strings.
      let first = Number.NaN;
      let max = Number.NaN;
      for (let index = 0; index < messages.length; index++) {
        const message = messages[index]!;
        // The runtime's records carry the number itself; a string is read as the number whose `String` it is.
        const value = timestampMillisOf(message) ?? plainTimestamp(message.timestamp);
        if (Number.isNaN(value)) return undefined;
        timestampValues[from + index] = value;
        if (index === 0 || sortsBefore(value, first)) first = value;
        if (index === 0 || sortsBefore(max, value)) max = value;
      }
      const recordsSize = measureRecords(messages, first, from, timestampValues);
      if (recordsSize === undefined) return undefined;
      measured.push({ partition: data.partition, firstSequence: data.firstSequence, messages, from, recordsSize, firstTimestamp: first, maxTimestamp: max });
      from += messages.length;
      size += 4 + 4 + BATCH_OVERHEAD + recordsSize;
    }
    batches.push(measured);
  }

  const out = Buffer.allocUnsafe(size);
  let offset = writeString(out, 0, transactionalId);
  out.writeInt16BE(args.acks, offset);
  out.writeInt32BE(args.timeout, offset + 2);
  out.writeInt32BE(args.topicData.length, offset + 6);
  offset += 10;
  const attributes = transactionalId ? TRANSACTIONAL : 0;
  // As kafkajs' defaults: for an absent value only.
  const producerId = args.producerId === undefined ? -1 : args.producerId;
  const producerEpoch = args.producerEpoch ?? 0;
  for (let topicIndex = 0; topicIndex < args.topicData.length; topicIndex++) {
    const measured = batches[topicIndex]!;
    offset = writeString(out, offset, args.topicData[topicIndex]!.topic);
    out.writeInt32BE(measured.length, offset);
    offset += 4;
    for (const batch of measured) {
      const batchSize = BATCH_OVERHEAD + batch.recordsSize;
      out.writeInt32BE(batch.partition, offset);
      out.writeInt32BE(batchSize, offset + 4);
      const start = offset + 8;
      out.fill(0, start, start + 8); // first offset
      out.writeInt32BE(batchSize - 12, start + 8); // what follows the length
      out.writeInt32BE(0, start + 12); // partition leader epoch
      out[start + 16] = MAGIC;
      let at = start + CRC_FROM;
      out.writeInt16BE(attributes, at);
      out.writeInt32BE(batch.messages.length - 1, at + 2);
      at = writeLong(out, at + 6, batch.firstTimestamp);
      at = writeLong(out, at, batch.maxTimestamp);
      at = writeLong(out, at, producerId);
      out.writeInt16BE(producerEpoch, at);
      out.writeInt32BE((batch.firstSequence ?? 0) as number, at + 2);
      out.writeInt32BE(batch.messages.length, at + 6);
      const end = writeRecords(out, at + 10, batch.messages, batch.from);
      out.writeUInt32BE(crc32c(out, start + CRC_FROM, end), start + 17);
      offset = end;
    }
  }
  return offset === size ? out : undefined;
}

/** `bytes` as the `Encoder` kafkajs' request framing reads (`buf`, `buffer`, `size()`). */
function asEncoder(bytes: Buffer): EncodedRequest {
  const encoder = Object.create(encoderPrototype!) as { buf: Buffer; offset: number } & EncodedRequest;
  encoder.buf = bytes;
  encoder.offset = bytes.length;
  return encoder;
}

/** The request's encoding: written here, the first time also by kafkajs and compared. */
async function encodeRequest(args: ProduceArguments, kafkajsEncode: () => Promise<EncodedRequest>): Promise<EncodedRequest> {
  const bytes = verified === false ? undefined : encodeProduceRequest(args);
  if (bytes === undefined) return kafkajsEncode();
  if (verified === true) return asEncoder(bytes);
  const theirs = await kafkajsEncode();
  verified = theirs.buffer.equals(bytes);
  return theirs;
}

/**
 * Has kafkajs' produce requests of versions 3 and later written by {@link encodeProduceRequest}
 * when they can be, once per process (or worker thread). A kafkajs not laid out as 2.x is left as
 * it is: this is speed, not correctness.
 */
export function installProduceRequestEncoder(): void {
  let definition: ProduceDefinition | undefined;
  try {
    definition = require('kafkajs/src/protocol/requests/produce/index.js') as ProduceDefinition;
    const long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): KafkajsLong };
    longFromValue = typeof long.fromValue === 'function' ? (value) => long.fromValue(value) : undefined;
    encoderPrototype = (require('kafkajs/src/protocol/encoder.js') as { prototype: object }).prototype;
  } catch {
    return;
  }
  if (typeof definition?.protocol !== 'function' || longFromValue === undefined || encoderPrototype === undefined || definition[INSTALLED] === true) return;
  const protocol = definition.protocol;
  definition.protocol = (selection) => {
    const factory = protocol(selection);
    if (typeof factory !== 'function' || selection.version < 3 || selection.version > 7) return factory;
    return (args) => {
      const built = factory(args);
      const kafkajsEncode = built.request.encode.bind(built.request);
      built.request.encode = () => encodeRequest(args, kafkajsEncode);
      return built;
    };
  };
  definition[INSTALLED] = true;
}

/** Whether requests are written here: `undefined` before the first, then whether it matched kafkajs' (for tests). */
export function produceRequestEncoderVerified(): boolean | undefined {
  return verified;
}
