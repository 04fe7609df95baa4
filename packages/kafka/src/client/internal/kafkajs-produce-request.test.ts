import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { crc32c, encodeProduceRequest, installProduceRequestEncoder, plainTimestamp, produceRequestEncoderVerified, sortsBefore } from './kafkajs-produce-request.js';
import { selfEncodingMessages } from './kafkajs-records.js';
import { timestampMillis } from './record-timestamp.js';

const require = createRequire(import.meta.url);
interface Encoded {
  readonly buffer: Buffer;
}
interface TopicData {
  topic: string;
  partitions: { partition: number; firstSequence?: number; messages: Message[] }[];
}
interface ProduceArguments {
  acks: number;
  timeout: number;
  transactionalId?: string;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}
/** kafkajs' own produce request, version 3 (versions 4 to 7 encode as it does). */
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: ProduceArguments) => { encode(): Promise<Encoded> };
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (bytes: Buffer) => number;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown; fromString(value: string): unknown };
const produceDefinition = require('kafkajs/src/protocol/requests/produce/index.js') as { protocol(selection: { version: number }): (args: ProduceArguments) => { request: { apiVersion: number; encode(): Promise<Encoded> } } };

const base = 1_796_000_000_000;
const bytes = fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array));
const text = fc.string({ unit: 'grapheme', maxLength: 10 });
const headers = fc.option(fc.dictionary(text, fc.oneof({ weight: 4, arbitrary: fc.oneof(bytes, text) }, { weight: 1, arbitrary: fc.array(fc.oneof(bytes, text), { maxLength: 2 }) }, { weight: 1, arbitrary: fc.constant(null) }), { maxKeys: 3 }), { nil: undefined, freq: 3 });
/** Mostly decimal strings as the runtime gives them, out of order; sometimes numbers, shorter or odd strings, none. */
const timestamp = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -5_000_000, max: 5_000_000 }).map((delta) => String(base + delta)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 99_999 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-5', '0012', ' 12', '1.5', 0, undefined) },
);
const plainMessage = fc.record({ key: fc.option(bytes, { nil: null, freq: 4 }), value: fc.option(bytes, { nil: null, freq: 6 }), timestamp, headers }, { requiredKeys: ['key', 'value'] }) as fc.Arbitrary<Message>;

/** A message as the runtime's `OutgoingRecord` is one: its timestamp a getter of the number it also carries under `timestampMillis`. */
class RuntimeMessage {
  readonly headers: Message['headers'];
  readonly #millis: number | undefined;

  constructor(
    readonly key: Buffer | null,
    readonly value: Buffer | null,
    messageHeaders: Message['headers'],
    millis: number | undefined,
  ) {
    this.headers = messageHeaders;
    this.#millis = millis;
  }

  get timestamp(): string | undefined {
    return this.#millis === undefined ? undefined : String(this.#millis);
  }

  get [timestampMillis](): number | undefined {
    return this.#millis;
  }
}
/** Mostly times as the runtime has them, out of order; sometimes other safe integers (fewer digits, negative, 0, -0; within 2^49, so that deltas stay exact), fractions, unsafe integers, none. */
const millis = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: -5_000_000, max: 5_000_000 }).map((delta) => base + delta) },
  { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constantFrom(1e12 - 1, 1e12, 1e13 - 1, 1e13, 2 ** 49, -(2 ** 49))) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1.5, 2 ** 53 + 2, Number.NaN, undefined) },
);
const runtimeMessage = fc
  .record({ key: fc.option(bytes, { nil: null, freq: 4 }), value: fc.option(bytes, { nil: null, freq: 6 }), headers, millis })
  .map(({ key, value, headers: messageHeaders, millis: stamp }) => new RuntimeMessage(key, value, messageHeaders as Message['headers'], stamp) as unknown as Message);
const message = fc.oneof(plainMessage, runtimeMessage);
const partitions = fc.uniqueArray(
  fc.record({ partition: fc.integer({ min: 0, max: 63 }), firstSequence: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }), messages: fc.array(message, { minLength: 1, maxLength: 12 }) }),
  { minLength: 1, maxLength: 4, selector: (entry) => entry.partition },
);
const topicData = fc.array(fc.record({ topic: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), partitions }), { minLength: 1, maxLength: 3 });
const producer = fc.oneof(
  fc.constant({}),
  fc.record({ transactionalId: fc.string({ unit: 'grapheme', maxLength: 30 }), producerId: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.bigInt({ min: 0n, max: 2n ** 62n }).map((id) => Long.fromString(String(id)))), producerEpoch: fc.integer({ min: 0, max: 32_767 }) }),
  fc.record({ producerId: fc.integer({ min: 0, max: 2 ** 31 }), producerEpoch: fc.integer({ min: 0, max: 32_767 }) }),
);

/** The same request with each partition's messages as the runtime hands them to kafkajs. */
function asRuntimeSends(args: ProduceArguments): ProduceArguments {
  return { ...args, topicData: args.topicData.map((topic) => ({ ...topic, partitions: topic.partitions.map((data) => ({ ...data, messages: selfEncodingMessages(data.messages) })) })) };
}

async function kafkajsBytes(args: ProduceArguments): Promise<Buffer> {
  return (await produceRequest(args).encode()).buffer;
}

/** Whether every message is one the encoder takes as it is: a timestamp of its own in plain form, headers kafkajs takes. */
function plain(args: ProduceArguments): boolean {
  return args.topicData.every((topic) =>
    topic.partitions.every((data) =>
      data.messages.every((each) => {
        const stamp = each.timestamp as unknown;
        const plainStamp =
          each instanceof RuntimeMessage
            ? Number.isSafeInteger(each[timestampMillis])
            : typeof stamp === 'number'
              ? stamp !== 0
              : typeof stamp === 'string' && Number.isSafeInteger(Number(stamp)) && String(Number(stamp)) === stamp;
        return plainStamp && Object.values(each.headers ?? {}).every((value) => value !== null);
      }),
    ),
  );
}

describe('crc32c', () => {
  it("equals kafkajs' CRC-32C over any range of any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat(), (array, a, b) => {
        const buffer = Buffer.from(array);
        const start = array.length === 0 ? 0 : a % (array.length + 1);
        const end = start + (array.length === 0 ? 0 : b % (array.length - start + 1));
        expect(crc32c(buffer, start, end)).toBe(kafkajsCrc32c(buffer.subarray(start, end)));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('plainTimestamp', () => {
  it('reads a safe integer other than 0, or the string String writes for a safe integer, and nothing else', () => {
    const reference = (stamp: unknown): number => {
      if (typeof stamp === 'number') return Number.isSafeInteger(stamp) && stamp !== 0 ? stamp : Number.NaN;
      if (typeof stamp !== 'string') return Number.NaN;
      const value = Number(stamp);
      return Number.isSafeInteger(value) && String(value) === stamp ? value : Number.NaN;
    };
    const digits = fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '-', ' ', '.', 'e', '+', 'x'), maxLength: 18 });
    const integers = fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }).map(String), fc.maxSafeInteger().map(String));
    fc.assert(
      fc.property(fc.oneof(digits, integers, fc.double(), fc.constantFrom('', '-', '-0', '0', '00', '9007199254740991', '9007199254740992', '-9007199254740991', '1e3', undefined, null, 0, -0)), (stamp) => {
        expect(plainTimestamp(stamp)).toBe(reference(stamp));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('sortsBefore', () => {
  it("orders safe integers as kafkajs' sort orders their strings", () => {
    const integer = fc.oneof(fc.integer({ min: 1e12 - 10, max: 1e13 + 10 }), fc.integer({ min: base - 5_000_000, max: base + 5_000_000 }), fc.maxSafeInteger(), fc.integer({ min: -1_000, max: 1_000 }));
    fc.assert(
      fc.property(integer, integer, (a, b) => {
        expect(sortsBefore(a, b)).toBe(String(a) < String(b));
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('encodeProduceRequest', () => {
  it("writes kafkajs' bytes for any request of the runtime's messages, and takes every one whose messages are plain", async () => {
    vi.spyOn(Date, 'now').mockReturnValue(base + 12_345);
    installProduceRequestEncoder(); // loads kafkajs' Long
    await fc.assert(
      fc.asyncProperty(topicData, producer, fc.constantFrom(-1, 0, 1), async (data, producerFields, acks) => {
        const args: ProduceArguments = { acks, timeout: 30_000, ...producerFields, topicData: data };
        const expected = await kafkajsBytes(args).catch((error: unknown) => error);
        const written = encodeProduceRequest(asRuntimeSends(args));
        if (written === undefined) {
          expect(plain(args)).toBe(false);
          return;
        }
        expect(expected).toBeInstanceOf(Buffer);
        expect(Buffer.compare(written, expected as Buffer)).toBe(0);
      }),
      { numRuns: 400 },
    );
    vi.restoreAllMocks();
  });

  it('leaves to kafkajs what is not the runtime own, compressed, or empty', () => {
    installProduceRequestEncoder();
    const messages: Message[] = [{ key: null, value: Buffer.from('v'), timestamp: String(base) }];
    const args: ProduceArguments = { acks: -1, timeout: 1_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: selfEncodingMessages(messages) }] }] };
    expect(encodeProduceRequest(args)).toBeInstanceOf(Buffer);
    expect(encodeProduceRequest({ ...args, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] })).toBeUndefined();
    expect(encodeProduceRequest({ ...args, compression: 1 })).toBeUndefined();
    expect(encodeProduceRequest({ ...args, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: selfEncodingMessages([]) }] }] })).toBeUndefined();
  });

  it("takes a runtime record's timestamp as its number only when it is a safe integer, as its string would be read", () => {
    installProduceRequestEncoder();
    const request = (stamps: (number | undefined)[]): ProduceArguments => ({
      acks: -1,
      timeout: 1_000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: selfEncodingMessages(stamps.map((stamp) => new RuntimeMessage(null, Buffer.from('v'), undefined, stamp) as unknown as Message)) }] }],
    });
    expect(encodeProduceRequest(request([base, base + 1, 0, -0, -12]))).toBeInstanceOf(Buffer);
    for (const odd of [1.5, 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY, undefined]) expect(encodeProduceRequest(request([base, odd, base + 1]))).toBeUndefined();
  });
});

describe('installProduceRequestEncoder', () => {
  it("writes kafkajs' produce requests of versions 3 to 7 once the first matched kafkajs' own, and leaves earlier versions as they are", async () => {
    installProduceRequestEncoder();
    installProduceRequestEncoder(); // once per process
    const messages: Message[] = Array.from({ length: 30 }, (_, index) => ({ key: Buffer.from(`k${index}`), value: Buffer.alloc(index * 3, index), timestamp: String(base + ((index * 37) % 11)) }));
    const args: ProduceArguments = { acks: -1, timeout: 30_000, transactionalId: 'app-0_1', producerId: 4_000, producerEpoch: 3, topicData: [{ topic: 'out', partitions: [{ partition: 2, firstSequence: 40, messages }] }] };
    const expected = await kafkajsBytes(args);
    expect(produceRequestEncoderVerified()).toBeUndefined();
    for (const version of [3, 5, 7, 7]) {
      const request = produceDefinition.protocol({ version })(asRuntimeSends(args)).request;
      expect(Buffer.compare((await request.encode()).buffer, expected)).toBe(0);
      expect(produceRequestEncoderVerified()).toBe(true);
    }
    const older = produceDefinition.protocol({ version: 2 })({ ...args, topicData: [{ topic: 'out', partitions: [{ partition: 2, messages: [messages[0]!] }] }] }).request;
    expect((await older.encode()).buffer.length).toBeGreaterThan(0);
  });

  it("hands every request to kafkajs once one it wrote differed from kafkajs' own", async () => {
    vi.resetModules();
    const fresh = await import('./kafkajs-produce-request.js');
    const freshRecords = await import('./kafkajs-records.js');
    // A kafkajs whose produce request differs from what this encoder writes once, then agrees.
    let calls = 0;
    const definition = {
      protocol: (selection: { version: number }) => (args: ProduceArguments) => ({
        request: { apiVersion: selection.version, encode: async () => (calls++ === 0 ? { buf: Buffer.from('theirs'), buffer: Buffer.from('theirs') } : produceRequest(args).encode()) },
      }),
    };
    const produceModule = require.cache[require.resolve('kafkajs/src/protocol/requests/produce/index.js')]!;
    const original = produceModule.exports as unknown;
    produceModule.exports = definition;
    try {
      fresh.installProduceRequestEncoder();
      const messages = freshRecords.selfEncodingMessages([{ key: null, value: Buffer.from('v'), timestamp: String(base) }]);
      const args: ProduceArguments = { acks: -1, timeout: 1_000, topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }] };
      const written = fresh.encodeProduceRequest(args);
      expect(written).toBeInstanceOf(Buffer);
      const first = await definition.protocol({ version: 7 })(args).request.encode();
      expect(first.buffer.toString()).toBe('theirs');
      expect(fresh.produceRequestEncoderVerified()).toBe(false);
      // kafkajs' encoding agrees from now on, but nothing is compared any more: the encoder stays off.
      const second = await definition.protocol({ version: 7 })(args).request.encode();
      expect(Buffer.compare(second.buffer, written!)).toBe(0);
      expect(fresh.produceRequestEncoderVerified()).toBe(false);
    } finally {
      produceModule.exports = original;
    }
  });
});
