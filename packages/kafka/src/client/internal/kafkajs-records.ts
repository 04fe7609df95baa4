/**
 * One partition's messages as kafkajs is handed them, in an array that encodes its records itself:
 * every record of a produce request in one buffer, in one pass, byte for byte what kafkajs would
 * write.
 *
 * kafkajs encodes a request's messages one at a time (`messages.map((message, i) => Record(...))`
 * in its produce request): each message spread into a new object, a zero-filled 512-byte
 * `Encoder` for the record and another per header, varints through its `Long`, then the record's
 * bytes copied into the batch. That was about a fifth of the kafkajs flagship's busy samples
 * (benchmarks/PROFILE.md, "kafkajs' record encoding"). Its record batch only asks each element of
 * what the map returns for its bytes (`buf`, `buffer`) and their count: so the map returns one
 * element holding every record's bytes and empty ones for the rest, and the batch kafkajs builds
 * around them (header, CRC, sequence numbers, transactions) is its own, unchanged.
 *
 * The first record is always encoded by kafkajs itself: its timestamp delta gives the batch's first
 * timestamp as kafkajs chose it, and its bytes must equal ours, or the whole request is encoded by
 * kafkajs as before (a kafkajs whose record format changed costs speed, never correctness). Messages
 * this encoder does not take as they are (a missing timestamp, which kafkajs stamps with its own
 * clock; a key or value not a `Buffer`; headers kafkajs would reject) also go to kafkajs.
 *
 * Where the whole request is written by `kafkajs-produce-request.ts` (the usual case), that module
 * measures and writes these arrays' records with {@link measureRecords} and {@link writeRecords},
 * and kafkajs' `map` is never called; this one is what runs when that encoder is off.
 */
import type { Message } from 'kafkajs';
import { timestampMillisOf } from './record-timestamp.js';

/** What kafkajs' record batch reads of each record: its bytes. */
interface EncodedBytes {
  readonly buf: Buffer;
  readonly buffer: Buffer;
}

class EncodedRecords implements EncodedBytes {
  constructor(readonly buf: Buffer) {}

  get buffer(): Buffer {
    return this.buf;
  }
}

/** The records after the first: their bytes are in the first element's. */
const ALREADY_ENCODED = new EncodedRecords(Buffer.alloc(0));

/** Deltas of timestamps are encoded exactly while their zigzag form is a safe integer. */
const MAX_DELTA = 2 ** 51;

/** `messages` (one partition's, as kafkajs groups them) in an array whose `map` encodes their records in one pass. */
export function selfEncodingMessages(messages: readonly Message[]): Message[] {
  const copy = Array.from(messages);
  Object.defineProperty(copy, 'map', { value: mapMessages, enumerable: false });
  return copy;
}

/** Whether `messages` came from {@link selfEncodingMessages}: the runtime's own, as it sends them. */
export function isSelfEncoding(messages: unknown): messages is Message[] {
  return Array.isArray(messages) && (messages as { map?: unknown }).map === mapMessages;
}

/**
 * `Array.prototype.map`, except when the callback turns a message into kafkajs' encoded record:
 * then the records are encoded here, after the first (see the module's comment).
 */
function mapMessages<T>(this: Message[], callback: (message: Message, index: number, messages: Message[]) => T, thisArg?: unknown): T[] {
  const length = this.length;
  const mapped: T[] = new Array<T>(length);
  if (length === 0) return mapped;
  const first = callback.call(thisArg, this[0]!, 0, this);
  if (length > 1 && isEncodedBytes(first)) {
    const encoded = encodeRecords(this, first.buffer);
    if (encoded !== undefined) {
      mapped[0] = new EncodedRecords(encoded) as T;
      mapped.fill(ALREADY_ENCODED as T, 1);
      return mapped;
    }
  }
  mapped[0] = first;
  for (let index = 1; index < length; index++) mapped[index] = callback.call(thisArg, this[index]!, index, this);
  return mapped;
}

function isEncodedBytes(value: unknown): value is EncodedBytes {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as EncodedBytes).buf) && Buffer.isBuffer((value as EncodedBytes).buffer);
}

/** Reused across requests: each record's body size, then its timestamp delta, by its index in what is being encoded. */
let bodySizes = new Float64Array(256);
let timestampDeltas = new Float64Array(256);

/**
 * Every message's record (Kafka's record format v2, as kafkajs writes it: attributes 0, the
 * timestamp as a delta from the batch's first, the offset delta its index), given kafkajs'
 * encoding of the first; undefined when kafkajs should encode them.
 */
function encodeRecords(messages: readonly Message[], firstRecord: Buffer): Buffer | undefined {
  const firstTimestamp = timestampOf(messages[0]!);
  const firstDelta = timestampDeltaOf(firstRecord);
  if (firstTimestamp === undefined || firstDelta === undefined) return undefined;
  reserveRecords(messages.length);
  const total = measureRecords(messages, firstTimestamp - firstDelta, 0);
  if (total === undefined) return undefined;
  const out = Buffer.allocUnsafe(total);
  const end = writeRecords(out, 0, messages, 0);
  if (end !== total || firstRecord.length !== varintSize(zigzag(bodySizes[0]!)) + bodySizes[0]! || !out.subarray(0, firstRecord.length).equals(firstRecord)) return undefined;
  return out;
}

/** Makes room in the scratch arrays for `count` records. */
export function reserveRecords(count: number): void {
  if (bodySizes.length >= count) return;
  bodySizes = new Float64Array(count * 2);
  timestampDeltas = new Float64Array(count * 2);
}

/**
 * The bytes of the messages' records in a batch whose first timestamp is `batchTimestamp`, each
 * record's sizes kept at `from` + its index for {@link writeRecords} (room reserved with
 * {@link reserveRecords}); undefined when kafkajs should encode them (a message without a timestamp
 * of its own, a key or value not a `Buffer`, headers kafkajs would reject). `timestamps`, when
 * given, holds each message's timestamp already read, at `from` + its index.
 */
export function measureRecords(messages: readonly Message[], batchTimestamp: number, from: number, timestamps?: Float64Array): number | undefined {
  let total = 0;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    const timestamp = timestamps === undefined ? timestampOf(message) : timestamps[from + index]!;
    if (timestamp === undefined) return undefined;
    const delta = timestamp - batchTimestamp;
    const keySize = bytesSize(message.key);
    const valueSize = bytesSize(message.value);
    const headersSize = headersSizeOf(message.headers);
    if (!(Math.abs(delta) < MAX_DELTA) || keySize < 0 || valueSize < 0 || headersSize < 0) return undefined;
    const bodySize = 1 + varintSize(zigzag(delta)) + varintSize(zigzag(index)) + keySize + valueSize + headersSize;
    bodySizes[from + index] = bodySize;
    timestampDeltas[from + index] = delta;
    total += varintSize(zigzag(bodySize)) + bodySize;
  }
  return total;
}

/** Writes the records {@link measureRecords} measured from `from` into `out` at `start`; returns where they end. */
export function writeRecords(out: Buffer, start: number, messages: readonly Message[], from: number): number {
  let offset = start;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    offset = writeVarint(out, offset, zigzag(bodySizes[from + index]!));
    out[offset++] = 0; // attributes: none used
    offset = writeVarint(out, offset, zigzag(timestampDeltas[from + index]!));
    offset = writeVarint(out, offset, zigzag(index));
    offset = writeBytes(out, offset, message.key as Buffer | null | undefined);
    offset = writeBytes(out, offset, message.value as Buffer | null);
    offset = writeHeaders(out, offset, message.headers);
  }
  return offset;
}

/** kafkajs' `message.timestamp || Date.now()`: only a given timestamp is taken here (the runtime's records carry it as a number too). */
function timestampOf(message: Message): number | undefined {
  const millis = timestampMillisOf(message);
  if (millis !== undefined) return millis;
  const timestamp = message.timestamp as unknown;
  if (typeof timestamp !== 'string' && typeof timestamp !== 'number') return undefined;
  if (!timestamp) return undefined;
  const value = Number(timestamp);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The timestamp delta of an encoded record: after its length (a varint) and its attributes (a byte). */
function timestampDeltaOf(record: Buffer): number | undefined {
  let offset = 0;
  while (offset < record.length && (record[offset]! & 0x80) !== 0) offset++;
  offset += 2;
  let value = 0;
  let scale = 1;
  for (; offset < record.length && scale < 2 ** 56; offset++) {
    const byte = record[offset]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  return undefined;
}

/** A key's or value's size with its length prefix; -1 for anything but a `Buffer` or null. */
function bytesSize(bytes: unknown): number {
  if (bytes === null || bytes === undefined) return 1;
  if (!Buffer.isBuffer(bytes)) return -1;
  return varintSize(zigzag(bytes.length)) + bytes.length;
}

/**
 * The headers' size (their count and each key and value with its length); -1 for headers
 * kafkajs would reject or read differently (not an object, a value not a `Buffer` or string).
 */
function headersSizeOf(headers: unknown): number {
  if (headers === undefined) return 1;
  if (typeof headers !== 'object' || headers === null) return -1;
  let count = 0;
  let size = 0;
  for (const key of Object.keys(headers)) {
    const value = (headers as Record<string, unknown>)[key];
    const keySize = Buffer.byteLength(key, 'utf8');
    const keyPart = varintSize(zigzag(keySize)) + keySize;
    if (!Array.isArray(value)) {
      const valueSize = headerValueSize(value);
      if (valueSize < 0) return -1;
      size += keyPart + varintSize(zigzag(valueSize)) + valueSize;
      count++;
      continue;
    }
    for (const each of value as unknown[]) {
      const valueSize = headerValueSize(each);
      if (valueSize < 0) return -1;
      size += keyPart + varintSize(zigzag(valueSize)) + valueSize;
      count++;
    }
  }
  return varintSize(zigzag(count)) + size;
}

function headerValueSize(value: unknown): number {
  if (Buffer.isBuffer(value)) return value.length;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  return -1;
}

function writeHeaders(out: Buffer, start: number, headers: Message['headers']): number {
  if (headers === undefined) return writeVarint(out, start, zigzag(0));
  let count = 0;
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    count += Array.isArray(value) ? value.length : 1;
  }
  let offset = writeVarint(out, start, zigzag(count));
  for (const key of Object.keys(headers)) {
    const value = headers[key] as Buffer | string | (Buffer | string)[];
    if (!Array.isArray(value)) {
      offset = writeHeader(out, offset, key, value);
      continue;
    }
    for (const each of value) offset = writeHeader(out, offset, key, each);
  }
  return offset;
}

function writeHeader(out: Buffer, start: number, key: string, value: Buffer | string): number {
  const offset = writeString(out, start, key);
  return typeof value === 'string' ? writeString(out, offset, value) : writeBytes(out, offset, value);
}

function writeString(out: Buffer, start: number, text: string): number {
  const size = Buffer.byteLength(text, 'utf8');
  const offset = writeVarint(out, start, zigzag(size));
  out.write(text, offset, size, 'utf8');
  return offset + size;
}

function writeBytes(out: Buffer, start: number, bytes: Buffer | null | undefined): number {
  if (bytes === null || bytes === undefined) return writeVarint(out, start, zigzag(-1));
  const length = bytes.length;
  const offset = writeVarint(out, start, zigzag(length));
  out.set(bytes, offset);
  return offset + length;
}

/** Kafka's zigzag encoding of a signed integer (exact for safe integers). */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varintSize(unsigned: number): number {
  let size = 1;
  while (unsigned >= 0x80) {
    unsigned = Math.floor(unsigned / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, start: number, unsigned: number): number {
  let offset = start;
  while (unsigned >= 0x80) {
    out[offset++] = (unsigned % 128) | 0x80;
    unsigned = Math.floor(unsigned / 128);
  }
  out[offset++] = unsigned;
  return offset;
}
