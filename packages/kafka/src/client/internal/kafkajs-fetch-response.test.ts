import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { fetchResponseReaderVerified, installFetchResponseReader, readFetchResponse } from './kafkajs-fetch-response.js';

const require = createRequire(import.meta.url);
interface KafkajsEncoder {
  writeInt8(value: number): KafkajsEncoder;
  writeInt16(value: number): KafkajsEncoder;
  writeInt32(value: number): KafkajsEncoder;
  writeInt64(value: number | string): KafkajsEncoder;
  writeString(value: string | null): KafkajsEncoder;
  writeBuffer(value: Buffer): KafkajsEncoder;
  readonly buffer: Buffer;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch(batch: Record<string, unknown>): Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: Record<string, unknown>) => unknown;
const fetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/response.js') as { decode(rawData: Buffer): Promise<unknown> };
const fetchDefinition = require('kafkajs/src/protocol/requests/fetch/index.js') as { protocol(selection: { version: number }): (args: Record<string, unknown>) => { response: { decode(rawData: Buffer): Promise<unknown> } } };

interface BatchSpec {
  readonly firstOffset: number;
  readonly firstTimestamp: number;
  readonly transactional: boolean;
  readonly producerId: number;
  /** Attribute bits set in the encoded batch: 0x20 control, 0x08 log-append time, 0x01 gzip. */
  readonly flags: number;
  readonly records: readonly { key: Buffer | null; value: Buffer | null; timestampDelta: number; headers?: Record<string, Buffer | string | (Buffer | string)[]> }[];
}
interface PartitionSpec {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly aborted: readonly { producerId: number; firstOffset: number }[];
  readonly batches: readonly BatchSpec[];
  /** Bytes cut from the end of the record set: a batch cut short, as a fetch's size limit leaves it. */
  readonly cut: number;
}

async function batchBytes(batch: BatchSpec): Promise<Buffer> {
  const records = batch.records.map((record, offsetDelta) => Record({ ...record, offsetDelta }));
  const encoded = await RecordBatch({ records, firstOffset: String(batch.firstOffset), firstTimestamp: batch.firstTimestamp, maxTimestamp: batch.firstTimestamp + 50, transactional: batch.transactional, producerId: batch.producerId, producerEpoch: 2, firstSequence: 7, lastOffsetDelta: records.length - 1 });
  const bytes = Buffer.from(encoded.buffer);
  // Attributes: after offset (8), length (4), leader epoch (4), magic (1) and CRC (4); kafkajs checks no CRC.
  bytes.writeInt16BE(bytes.readInt16BE(21) | batch.flags, 21);
  return bytes;
}

async function responseBytes(topics: readonly { topic: string; partitions: readonly PartitionSpec[] }[]): Promise<Buffer> {
  const encoder = new Encoder().writeInt32(3).writeInt16(0).writeInt32(99).writeInt32(topics.length);
  for (const { topic, partitions } of topics) {
    encoder.writeString(topic).writeInt32(partitions.length);
    for (const partition of partitions) {
      encoder.writeInt32(partition.partition).writeInt16(partition.errorCode).writeInt64(partition.highWatermark).writeInt64(partition.highWatermark - 1).writeInt64(0);
      encoder.writeInt32(partition.aborted.length);
      for (const aborted of partition.aborted) encoder.writeInt64(aborted.producerId).writeInt64(aborted.firstOffset);
      encoder.writeInt32(-1);
      const set = Buffer.concat(await Promise.all(partition.batches.map(batchBytes)));
      const records = set.subarray(0, Math.max(0, set.length - partition.cut));
      encoder.writeInt32(records.length).writeBuffer(records);
    }
  }
  return encoder.buffer;
}

const bytes = fc.option(fc.uint8Array({ maxLength: 120 }).map((array) => Buffer.from(array)), { nil: null, freq: 6 });
const headerKey = fc.constantFrom('trace', 'x', 'ü', 'toString', '__proto__', 'null');
const headers = fc.option(fc.dictionary(headerKey, fc.oneof(fc.uint8Array({ maxLength: 8 }).map((array) => Buffer.from(array)), fc.string({ maxLength: 5 }), fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 3 })), { maxKeys: 3 }), { nil: undefined, freq: 3 });
const record = fc.record({ key: bytes, value: bytes, timestampDelta: fc.integer({ min: -100_000, max: 100_000 }), headers }, { requiredKeys: ['key', 'value', 'timestampDelta'] });
const batch = fc.record({
  firstOffset: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.constant(2 ** 53 - 3)),
  firstTimestamp: fc.integer({ min: 0, max: 2 ** 42 }),
  transactional: fc.boolean(),
  producerId: fc.integer({ min: -1, max: 2 ** 40 }),
  flags: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(0x20, 0x08) }),
  records: fc.array(record, { minLength: 0, maxLength: 6 }),
}) as fc.Arbitrary<BatchSpec>;
const partition = fc.record({
  partition: fc.integer({ min: 0, max: 100 }),
  errorCode: fc.constantFrom(0, 0, 0, 1),
  highWatermark: fc.integer({ min: 0, max: 2 ** 45 }),
  aborted: fc.array(fc.record({ producerId: fc.integer({ min: 0, max: 2 ** 40 }), firstOffset: fc.integer({ min: 0, max: 2 ** 40 }) }), { maxLength: 3 }),
  batches: fc.array(batch, { maxLength: 3 }),
  cut: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
}) as fc.Arbitrary<PartitionSpec>;
const topics = fc.array(fc.record({ topic: fc.string({ minLength: 1, maxLength: 12 }), partitions: fc.array(partition, { maxLength: 3 }) }), { maxLength: 3 });

describe('readFetchResponse', () => {
  it("gives kafkajs' decoding of any version 11 fetch response of uncompressed batches", async () => {
    await fc.assert(
      fc.asyncProperty(topics, async (spec) => {
        const raw = await responseBytes(spec);
        const expected = await fetchV11.decode(raw);
        const read = readFetchResponse(raw);
        // Only an offset past 2^53 (the batch at 2^53 - 3 with a few records) is left to kafkajs.
        const beyondSafe = spec.some((topic) => topic.partitions.some((each) => each.batches.some((one) => one.firstOffset + one.records.length > 2 ** 53 - 1)));
        if (read === undefined) {
          expect(beyondSafe).toBe(true);
          return;
        }
        expect(isDeepStrictEqual(read, expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves compressed batches, legacy message sets and lengths that do not fit to kafkajs', async () => {
    const plainBatch: BatchSpec = { firstOffset: 10, firstTimestamp: 1_000, transactional: false, producerId: -1, flags: 0, records: [{ key: null, value: Buffer.from('v'), timestampDelta: 0 }] };
    const spec = (one: BatchSpec) => [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, highWatermark: 11, aborted: [], batches: [one], cut: 0 }] }];
    const plain = await responseBytes(spec(plainBatch));
    expect(readFetchResponse(plain)).toBeDefined();
    expect(readFetchResponse(await responseBytes(spec({ ...plainBatch, flags: 0x01 })))).toBeUndefined();
    // Magic 1 (a legacy message set): the byte at 16 of the record set.
    const legacy = Buffer.from(plain);
    const setStart = legacy.length - (plain.length - plain.indexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0, 10])));
    legacy[setStart + 16] = 1;
    expect(readFetchResponse(legacy)).toBeUndefined();
    // A record set longer than the response.
    expect(readFetchResponse(plain.subarray(0, plain.length - 3))).toBeUndefined();
  });
});

describe('installFetchResponseReader', () => {
  it("reads version 11 responses once they matched kafkajs' own, and leaves other versions as they are", async () => {
    installFetchResponseReader();
    installFetchResponseReader(); // once per process
    const raw = await responseBytes([{ topic: 't', partitions: [{ partition: 1, errorCode: 0, highWatermark: 20, aborted: [], batches: [{ firstOffset: 5, firstTimestamp: 1_000, transactional: true, producerId: 8, flags: 0, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestampDelta: 3 }] }], cut: 0 }] }]);
    const empty = await responseBytes([{ topic: 't', partitions: [{ partition: 1, errorCode: 0, highWatermark: 20, aborted: [], batches: [], cut: 0 }] }]);
    const expected = await fetchV11.decode(raw);
    expect(await fetchDefinition.protocol({ version: 11 })({ maxWaitTime: 10, minBytes: 1, maxBytes: 100, topics: [] }).response.decode(empty)).toEqual(await fetchV11.decode(empty));
    expect(fetchResponseReaderVerified()).toBeUndefined();
    for (let round = 0; round < 2; round++) {
      const decoded = await fetchDefinition.protocol({ version: 11 })({ maxWaitTime: 10, minBytes: 1, maxBytes: 100, topics: [] }).response.decode(raw);
      expect(isDeepStrictEqual(decoded, expected)).toBe(true);
      expect(fetchResponseReaderVerified()).toBe(true);
    }
    const older = fetchDefinition.protocol({ version: 4 })({ maxWaitTime: 10, minBytes: 1, maxBytes: 100, topics: [] }).response;
    expect(older.decode).toBe((require('kafkajs/src/protocol/requests/fetch/v4/response.js') as { decode: unknown }).decode);
  });

  it("hands every response to kafkajs once one read here differed from kafkajs' own", async () => {
    vi.resetModules();
    const fresh = await import('./kafkajs-fetch-response.js');
    const raw = await responseBytes([{ topic: 't', partitions: [{ partition: 1, errorCode: 0, highWatermark: 20, aborted: [], batches: [{ firstOffset: 5, firstTimestamp: 1_000, transactional: false, producerId: -1, flags: 0, records: [{ key: null, value: Buffer.from('v'), timestampDelta: 0 }] }], cut: 0 }] }]);
    // A kafkajs whose decoded fetch response differs from what this reader gives once, then agrees.
    const theirs = { changed: true };
    let calls = 0;
    const definition = { protocol: () => () => ({ response: { decode: async (rawData: Buffer) => (calls++ === 0 ? theirs : fetchV11.decode(rawData)), parse: async (data: unknown) => data } }) };
    const fetchModule = require.cache[require.resolve('kafkajs/src/protocol/requests/fetch/index.js')]!;
    const original = fetchModule.exports as unknown;
    fetchModule.exports = definition;
    try {
      fresh.installFetchResponseReader();
      const response = () => (definition.protocol as unknown as (selection: { version: number }) => (args: unknown) => { response: { decode(rawData: Buffer): Promise<unknown> } })({ version: 11 })({}).response;
      expect(fresh.readFetchResponse(raw)).toBeDefined();
      expect(await response().decode(raw)).toBe(theirs);
      expect(fresh.fetchResponseReaderVerified()).toBe(false);
      // kafkajs' decoding agrees from now on, but nothing is compared any more: the reader stays off.
      expect(isDeepStrictEqual(await response().decode(raw), await fetchV11.decode(raw))).toBe(true);
      expect(fresh.fetchResponseReaderVerified()).toBe(false);
    } finally {
      fetchModule.exports = original;
    }
  });
});
