import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { IHeaders, Message } from 'kafkajs';
import { selfEncodingMessages } from './kafkajs-records.js';

const require = createRequire(import.meta.url);
interface Encoded {
  readonly buffer: Buffer;
}
type ProduceRequest = (request: { acks: number; timeout: number; transactionalId?: string; topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: Message[] }[] }[] }) => { encode(): Promise<Encoded> };
/** kafkajs' own produce request (version 3, which the later versions kafkajs speaks encode as), as every send goes out. */
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as ProduceRequest;
/** kafkajs' own record encoder. */
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: Message & { offsetDelta: number; timestampDelta: number }) => Encoded;

async function requestBytes(messages: Message[], transactionalId?: string): Promise<Buffer> {
  const request = produceRequest({ acks: -1, timeout: 30_000, ...(transactionalId === undefined ? {} : { transactionalId }), topicData: [{ topic: 'out', partitions: [{ partition: 3, firstSequence: 17, messages }] }] });
  return (await request.encode()).buffer;
}

const bytes = fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array));
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const headerValue = fc.oneof(bytes, text);
/** Headers as users give them, now and then a value kafkajs rejects (null). */
const headers = fc.option(fc.dictionary(text, fc.oneof({ weight: 4, arbitrary: headerValue }, { weight: 1, arbitrary: fc.array(headerValue, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant(null) }), { maxKeys: 4 }), { nil: undefined, freq: 2 });
const base = 1_796_000_000_000;
/** Mostly decimal strings as the runtime gives them, out of order; sometimes numbers, short strings, none. */
const timestamp = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -5_000_000, max: 5_000_000 }).map((delta) => String(base + delta)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 99_999 }).map(String) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const message = fc.record({ key: fc.option(bytes, { nil: null, freq: 4 }), value: fc.option(bytes, { nil: null, freq: 6 }), timestamp, headers }, { requiredKeys: ['key', 'value'] }) as fc.Arbitrary<Message>;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('selfEncodingMessages', () => {
  it("gives kafkajs' produce request the same bytes as a plain array of the messages, or the same error", async () => {
    vi.spyOn(Date, 'now').mockReturnValue(base + 12_345);
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 40 }), fc.boolean(), async (messages, transactional) => {
        const transactionalId = transactional ? 'app-0_1' : undefined;
        const expected = await requestBytes([...messages], transactionalId).catch((error: unknown) => error);
        const actual = await requestBytes(selfEncodingMessages(messages), transactionalId).catch((error: unknown) => error);
        if (expected instanceof Error) expect(actual).toEqual(expected);
        else expect(Buffer.compare(actual as Buffer, expected as Buffer)).toBe(0);
        // And kafkajs encoded only the first record when every message is one this encoder takes.
        const takenHere = messages.length > 1 && messages.every((each) => Boolean(each.timestamp) && Object.values(each.headers ?? {}).every((value) => value !== null));
        if (takenHere) {
          const first = (messages.map((each) => each.timestamp).sort() as (string | number)[])[0]!;
          let kafkajsRecords = 0;
          selfEncodingMessages(messages).map((each, offsetDelta) => (kafkajsRecords++, kafkajsRecord({ ...each, offsetDelta, timestampDelta: Number(each.timestamp) - Number(first) })));
          expect(kafkajsRecords).toBe(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('encodes every record in one buffer, kafkajs encoding only the first, when the messages are as the runtime sends them', () => {
    const messages: Message[] = Array.from({ length: 50 }, (_, index) => ({
      key: index % 5 === 0 ? null : Buffer.from(`key-${index}`),
      value: index % 7 === 0 ? null : Buffer.from(`value-${'x'.repeat(index * 7)}`),
      timestamp: String(base + ((index * 7919) % 1000)),
      ...(index % 3 === 0 ? { headers: { trace: Buffer.from('a'), 'ü': ['1', Buffer.from('2')] } as IHeaders } : {}),
    }));
    const first = Math.min(...messages.map((each) => Number(each.timestamp)));
    let kafkajsRecords = 0;
    const encode = (each: Message, offsetDelta: number) => (kafkajsRecords++, kafkajsRecord({ ...each, offsetDelta, timestampDelta: Number(each.timestamp) - first }));
    const records = selfEncodingMessages(messages).map(encode);
    expect(kafkajsRecords).toBe(1);
    expect(records).toHaveLength(50);
    expect(records.slice(1).every((record) => record.buffer.length === 0)).toBe(true);
    expect(Buffer.compare(records[0]!.buffer, Buffer.concat(messages.map((each, index) => kafkajsRecord({ ...each, offsetDelta: index, timestampDelta: Number(each.timestamp) - first }).buffer)))).toBe(0);
  });

  it('encodes large requests as kafkajs does: thousands of records, values up to 100 KB, timestamps of different lengths', async () => {
    const messages: Message[] = Array.from({ length: 3_000 }, (_, index) => ({
      key: index % 11 === 0 ? null : Buffer.from(`k${index}`),
      value: Buffer.alloc(index % 500 === 0 ? 100_000 + index : index % 300, index % 251),
      // Mostly 13 digits; some shorter, which kafkajs' sort of strings puts after longer ones: negative deltas.
      timestamp: index % 97 === 0 ? String(9_000 + index) : String(base - index * 1_000),
    }));
    expect(Buffer.compare(await requestBytes(selfEncodingMessages(messages)), await requestBytes([...messages]))).toBe(0);
    const first = Number(messages.map((each) => each.timestamp).sort()[0]);
    let kafkajsRecords = 0;
    selfEncodingMessages(messages).map((each, offsetDelta) => (kafkajsRecords++, kafkajsRecord({ ...each, offsetDelta, timestampDelta: Number(each.timestamp) - first })));
    expect(kafkajsRecords).toBe(1);
  });

  it("leaves every record to kafkajs when its first differs from this encoder's (a kafkajs that changed its format)", () => {
    const messages: Message[] = [1, 2, 3].map((index) => ({ key: null, value: Buffer.from([index]), timestamp: String(base + index) }));
    let calls = 0;
    const changed = (each: Message, offsetDelta: number) => {
      calls++;
      const record = kafkajsRecord({ ...each, offsetDelta, timestampDelta: Number(each.timestamp) - base - 1 });
      const buf = Buffer.concat([record.buffer, Buffer.from([0])]);
      return { buf, buffer: buf };
    };
    const records = selfEncodingMessages(messages).map(changed);
    expect(calls).toBe(3);
    expect(records.every((record) => record.buffer.length > 0)).toBe(true);
  });

  it('maps as an array does for any other callback', () => {
    const messages: Message[] = [{ key: null, value: null, timestamp: '9' }, { key: null, value: null, timestamp: '10' }];
    expect(selfEncodingMessages(messages).map((each) => each.timestamp)).toEqual(['9', '10']);
    expect(selfEncodingMessages([]).map((each) => each.timestamp)).toEqual([]);
  });
});
