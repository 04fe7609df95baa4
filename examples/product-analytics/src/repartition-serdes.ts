/**
 * The binary serdes of the app's two repartition topics, `events-by-product` (a
 * {@link ProductEvent}) and `events-by-category` (an {@link EnrichedEvent}). Only this app writes
 * and reads them, so they need not be JSON: a JSON round trip (fast-json-stringify, then
 * `JSON.parse` and ajv) was a third of the app's serde work per event, twice per event.
 *
 * A record reads back as exactly the value its JSON round trip gave: only the schema's
 * properties, in schema order, an absent optional property absent; numbers as JSON gives them
 * back (`-0` as `0`, an integer property's fraction truncated); and what that round trip
 * rejects, this one rejects the same way: a `NaN` or a non-finite integer fails writing
 * (`SerializationError`), and reading checks the value against the same JSON schema, so an
 * infinite `revenue` (which JSON writes as `null`) fails reading with the same
 * `DeserializationError`.
 *
 * The format, version 1 (all numbers little-endian):
 *
 * - byte 0: the version, `0x01`. A JSON record starts with `{` (or whitespace), so records
 *   written by an earlier version of the app, which wrote JSON here, still read (with the JSON serde);
 * - a {@link ProductEvent}: one byte of flags for the optional properties present (`1` price,
 *   `2` quantity, `4` sessionId, `8` source), then `eventId`, `userId`, `productId`,
 *   `eventType` (strings), `timestamp` (float64), then those present of `price`, `quantity`
 *   (float64) and `sessionId`, `source` (strings);
 * - an {@link EnrichedEvent}: `eventId`, `userId`, `productId`, `eventType` (strings),
 *   `timestamp` (float64), `name`, `category` (strings), `revenue` (float64);
 * - a string: a uint32 header, its byte length × 2, plus 1 when the bytes are UTF-16LE rather
 *   than UTF-8 (a string with a lone surrogate, which UTF-8 cannot hold), then the bytes.
 *
 * @packageDocumentation
 * @module @tributary/example-product-analytics/repartition-serdes
 */
import { DeserializationError, JsonSchemaSerde, SerializationError, type Headers, type Serde } from '@tributary/streams';
import { enrichedEventSchema, productEventSchema, type EnrichedEvent, type EventType, type ProductEvent } from './model.js';

const formatVersion = 1;

const hasPrice = 1;
const hasQuantity = 2;
const hasSessionId = 4;
const hasSource = 8;

/** Whether `value` has, from `from` on, a surrogate not in a pair: UTF-8 would write it as U+FFFD, and JSON keeps it. */
function hasLoneSurrogate(value: string, from: number): boolean {
  for (let index = from; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code > 0xdbff) return true; // a low surrogate without a high one before it
    const next = value.charCodeAt(index + 1); // NaN past the end
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
    index++;
  }
  return false;
}

/**
 * Encodes one record at a time into a buffer reused across records, then copies it out: the
 * serializer must return bytes of its own, but need not measure every string first.
 */
class RecordWriter {
  private scratch = Buffer.allocUnsafe(1024);
  private offset = 0;
  private topic = '';

  constructor(private readonly typeName: string) {}

  begin(topic: string): void {
    this.topic = topic;
    this.offset = 0;
    this.scratch[this.offset++] = formatVersion;
  }

  /** Leaves a byte to fill in later with {@link setByte}; returns its position. */
  reserveByte(): number {
    return this.offset++;
  }

  setByte(position: number, value: number): void {
    this.scratch[position] = value;
  }

  string(value: unknown, property: string): void {
    if (typeof value !== 'string') throw this.error(property, `must be a string, got ${typeof value}`);
    this.ensure(4 + value.length * 3);
    const start = this.offset + 4;
    const scratch = this.scratch;
    let length = 0;
    // Ids and names are mostly ASCII: copying char codes beats a native call per short string.
    for (; length < value.length; length++) {
      const code = value.charCodeAt(length);
      if (code >= 0x80) break;
      scratch[start + length] = code;
    }
    let header: number;
    if (length === value.length) header = length * 2;
    else if (!hasLoneSurrogate(value, length)) header = scratch.write(value, start, 'utf8') * 2;
    else header = scratch.write(value, start, 'utf16le') * 2 + 1;
    scratch.writeUInt32LE(header, this.offset);
    this.offset = start + (header >>> 1);
  }

  /** A JSON `number` property: `NaN` fails as fast-json-stringify fails it; infinities are kept for the reader's schema check to reject. */
  number(value: unknown, property: string): void {
    if (typeof value !== 'number') throw this.error(property, `must be a number, got ${typeof value}`);
    if (Number.isNaN(value)) throw this.error(property, 'is NaN, which JSON cannot hold');
    this.float(value + 0); // + 0: JSON has no -0
  }

  /** A JSON `integer` property: truncated as fast-json-stringify truncates it; a non-finite one fails. */
  integer(value: unknown, property: string): void {
    if (typeof value !== 'number') throw this.error(property, `must be a number, got ${typeof value}`);
    if (!Number.isFinite(value)) throw this.error(property, `is ${value}, which is not an integer`);
    this.float(Math.trunc(value) + 0);
  }

  /** The record's bytes, copied out of the scratch buffer. */
  finish(): Buffer {
    const bytes = Buffer.allocUnsafe(this.offset);
    this.scratch.copy(bytes, 0, 0, this.offset);
    return bytes;
  }

  private float(value: number): void {
    this.ensure(8);
    this.offset = this.scratch.writeDoubleLE(value, this.offset);
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.scratch.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.offset + bytes));
    this.scratch.copy(grown, 0, 0, this.offset);
    this.scratch = grown;
  }

  private error(property: string, problem: string): SerializationError {
    return new SerializationError(
      `${this.typeName} repartition serializer on topic '${this.topic}': /${property} ${problem}; give a value that matches the ${this.typeName} schema`,
    );
  }
}

/** How many strings {@link RecordReader.repeatedString} keeps (a power of two), and the longest it keeps, in bytes. */
const repeatedSlots = 4096;
const maxRepeatedLength = 64;
/** The strings {@link RecordReader.repeatedString} read last, by a hash of their bytes; shared by every reader, as the values are. */
const repeated: (string | undefined)[] = new Array<string | undefined>(repeatedSlots).fill(undefined);

/** Reads one record's fields in order; any read past the end throws, which the serde reports. */
class RecordReader {
  bytes: Buffer = Buffer.alloc(0);
  offset = 0;

  begin(bytes: Buffer): void {
    this.bytes = bytes;
    this.offset = 1; // past the version
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw new RangeError('the record ends early');
    return this.bytes[this.offset++]!;
  }

  string(): string {
    const header = this.bytes.readUInt32LE(this.offset);
    const start = this.offset + 4;
    const end = start + (header >>> 1);
    if (end > this.bytes.length) throw new RangeError('a string runs past the end of the record');
    this.offset = end;
    return this.bytes.toString((header & 1) === 0 ? 'utf8' : 'utf16le', start, end);
  }

  /**
   * A string of a property whose values repeat from record to record (a product's id, name and
   * category, an event type): a short ASCII one read before is handed out again, not decoded anew.
   * Strings are values, so sharing one changes nothing a reader can see; what it saves is a native
   * decode and a new string per property per record (the repartition values' strings were about
   * 5% of the engine's CPU per event). The table keeps the last string read for each of
   * {@link repeatedSlots} hashes of the bytes, and a string is handed out only when its bytes
   * match, so a collision costs a decode, never a wrong value.
   */
  repeatedString(): string {
    const bytes = this.bytes;
    const header = bytes.readUInt32LE(this.offset);
    const length = header >>> 1;
    if ((header & 1) !== 0 || length > maxRepeatedLength) return this.string();
    const start = this.offset + 4;
    const end = start + length;
    if (end > bytes.length) throw new RangeError('a string runs past the end of the record');
    let hash = 0x811c9dc5 ^ length;
    for (let index = start; index < end; index++) {
      const byte = bytes[index]!;
      if (byte >= 0x80) return this.string();
      hash = Math.imul(hash ^ byte, 0x01000193);
    }
    this.offset = end;
    const slot = (hash ^ (hash >>> 15)) & (repeatedSlots - 1);
    const known = repeated[slot];
    if (known !== undefined && known.length === length) {
      let index = 0;
      while (index < length && known.charCodeAt(index) === bytes[start + index]) index++;
      if (index === length) return known;
    }
    // ASCII: its latin1 reading is its UTF-8 reading.
    const value = bytes.toString('latin1', start, end);
    repeated[slot] = value;
    return value;
  }

  /** A number, or `null` for an infinite one (or `NaN`), as JSON writes them: the schema check then rejects it as the JSON serde does. */
  float(): number {
    const value = this.bytes.readDoubleLE(this.offset);
    this.offset += 8;
    return Number.isFinite(value) ? value : (null as unknown as number);
  }

  /** Throws when bytes are left over: a record of another format, or a corrupt one. */
  end(): void {
    if (this.offset !== this.bytes.length) throw new RangeError(`${this.bytes.length - this.offset} bytes are left after the last field`);
  }
}

/** A binary serde of a repartition topic that reads the JSON its topic held before, and checks every value against the JSON schema. */
abstract class RepartitionSerde<T> implements Serde<T> {
  protected readonly writer: RecordWriter;
  protected readonly reader = new RecordReader();

  constructor(
    private readonly typeName: string,
    private readonly json: JsonSchemaSerde<T>,
  ) {
    this.writer = new RecordWriter(typeName);
  }

  serialize(topic: string, value: T, _headers: Headers): Buffer {
    this.writer.begin(topic);
    this.write(value);
    return this.writer.finish();
  }

  deserialize(topic: string, bytes: Buffer, headers: Headers): T {
    if (bytes.length === 0 || bytes[0] !== formatVersion) return this.json.deserialize(topic, bytes, headers);
    let value: unknown;
    try {
      this.reader.begin(bytes);
      value = this.read();
      this.reader.end();
    } catch (error) {
      throw new DeserializationError(
        `${this.typeName} repartition deserializer on topic '${topic}' got a malformed record (${bytes.length} bytes): ${error instanceof Error ? error.message : String(error)}; the topic holds records this app wrote, in the format of repartition-serdes.ts`,
        { cause: error },
      );
    }
    return this.json.validated(topic, value);
  }

  protected abstract write(value: T): void;
  protected abstract read(): unknown;
}

class ProductEventBinarySerde extends RepartitionSerde<ProductEvent> {
  constructor() {
    super('ProductEvent', new JsonSchemaSerde<ProductEvent>(productEventSchema));
  }

  protected write(event: ProductEvent): void {
    const writer = this.writer;
    const flagsAt = writer.reserveByte();
    writer.string(event.eventId, 'eventId');
    writer.string(event.userId, 'userId');
    writer.string(event.productId, 'productId');
    writer.string(event.eventType, 'eventType');
    writer.integer(event.timestamp, 'timestamp');
    // As fast-json-stringify does, an optional property whose value is undefined is absent.
    let flags = 0;
    if (event.price !== undefined) {
      flags |= hasPrice;
      writer.number(event.price, 'price');
    }
    if (event.quantity !== undefined) {
      flags |= hasQuantity;
      writer.integer(event.quantity, 'quantity');
    }
    if (event.sessionId !== undefined) {
      flags |= hasSessionId;
      writer.string(event.sessionId, 'sessionId');
    }
    if (event.source !== undefined) {
      flags |= hasSource;
      writer.string(event.source, 'source');
    }
    writer.setByte(flagsAt, flags);
  }

  protected read(): unknown {
    const reader = this.reader;
    const flags = reader.byte();
    const event: { -readonly [P in keyof ProductEvent]: ProductEvent[P] } = {
      eventId: reader.string(),
      userId: reader.string(),
      productId: reader.repeatedString(),
      eventType: reader.repeatedString() as EventType,
      timestamp: reader.float(),
    };
    if ((flags & hasPrice) !== 0) event.price = reader.float();
    if ((flags & hasQuantity) !== 0) event.quantity = reader.float();
    if ((flags & hasSessionId) !== 0) event.sessionId = reader.string();
    if ((flags & hasSource) !== 0) event.source = reader.repeatedString() as 'web' | 'mobile';
    return event;
  }
}

class EnrichedEventBinarySerde extends RepartitionSerde<EnrichedEvent> {
  constructor() {
    super('EnrichedEvent', new JsonSchemaSerde<EnrichedEvent>(enrichedEventSchema));
  }

  protected write(event: EnrichedEvent): void {
    const writer = this.writer;
    writer.string(event.eventId, 'eventId');
    writer.string(event.userId, 'userId');
    writer.string(event.productId, 'productId');
    writer.string(event.eventType, 'eventType');
    writer.integer(event.timestamp, 'timestamp');
    writer.string(event.name, 'name');
    writer.string(event.category, 'category');
    writer.number(event.revenue, 'revenue');
  }

  protected read(): unknown {
    const reader = this.reader;
    return {
      eventId: reader.string(),
      userId: reader.string(),
      productId: reader.repeatedString(),
      eventType: reader.repeatedString(),
      timestamp: reader.float(),
      name: reader.repeatedString(),
      category: reader.repeatedString(),
      revenue: reader.float(),
    };
  }
}

/** The `events-by-product` repartition topic's values: binary (see the format above), reading JSON records too. */
export const ProductEventRepartitionSerde: Serde<ProductEvent> = new ProductEventBinarySerde();

/** The `events-by-category` repartition topic's values: binary (see the format above), reading JSON records too. */
export const EnrichedEventRepartitionSerde: Serde<EnrichedEvent> = new EnrichedEventBinarySerde();
