import type { KafkaRecord, RecordsBatch } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransactionLog, committedBeforeBareMarker, logSteps, responseSizes, type LogBatch } from '../../internal/transaction-log.test-support.js';
import { committedBatches, fetchedRecords, messageOf, nextOffsetAfter } from './platformatic-records.js';
import { timestampMillis } from './record-timestamp.js';

const TRANSACTIONAL = 1 << 4;
const CONTROL = 1 << 5;

function record(offsetDelta: number, value: string | null, headers: [Buffer | null, Buffer | null][] = []): KafkaRecord {
  return { length: 0, attributes: 0, timestampDelta: BigInt(offsetDelta), offsetDelta, key: null, value: value === null ? null : Buffer.from(value), headers };
}

function batch(firstOffset: number, values: readonly string[], options: { producerId?: bigint; transactional?: boolean; attributes?: number } = {}): RecordsBatch {
  return {
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: (options.transactional === true ? TRANSACTIONAL : 0) | (options.attributes ?? 0),
    lastOffsetDelta: values.length - 1,
    firstTimestamp: 1000n,
    maxTimestamp: 5000n,
    producerId: options.producerId ?? -1n,
    producerEpoch: 0,
    firstSequence: 0,
    records: values.map((value, index) => record(index, value)),
  };
}

/** A transaction marker: a control batch whose one record's key is version 0, then the type (0 abort, 1 commit). */
function marker(offset: number, producerId: bigint, type: 0 | 1): RecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  return { ...batch(offset, ['marker'], { producerId, transactional: true, attributes: CONTROL }), records: [{ ...record(0, null), key }] };
}

const values = (batches: readonly RecordsBatch[]): string[] => fetchedRecords(batches, 0n).map((entry) => entry.value!.toString());

describe('read_committed batches from platformatic fetches', () => {
  it("skips an aborted transaction's records even when its abort marker lies beyond the fetch", () => {
    // Producer 7's transaction from offset 2 was aborted; the fetch stopped (max bytes) before its marker.
    const fetched = [batch(0, ['plain-0', 'plain-1']), batch(2, ['aborted-2', 'aborted-3'], { producerId: 7n, transactional: true })];
    expect(values(committedBatches(fetched, [{ producerId: 7n, firstOffset: 2n }]))).toEqual(['plain-0', 'plain-1']);
    // The position still moves past the aborted records.
    expect(nextOffsetAfter(fetched)).toBe(4n);
  });

  it('shows the same producer again after its abort marker, and drops every marker', () => {
    const fetched = [
      batch(0, ['aborted-0'], { producerId: 7n, transactional: true }),
      marker(1, 7n, 0),
      batch(2, ['committed-2'], { producerId: 7n, transactional: true }),
      marker(3, 7n, 1),
      batch(4, ['other-4'], { producerId: 8n, transactional: true }),
    ];
    expect(values(committedBatches(fetched, [{ producerId: 7n, firstOffset: 0n }]))).toEqual(['committed-2', 'other-4']);
    expect(values(committedBatches(fetched, null))).toEqual(['aborted-0', 'committed-2', 'other-4']);
  });

  it('does not start skipping a producer before its aborted transaction begins', () => {
    const fetched = [batch(0, ['committed-0'], { producerId: 7n, transactional: true }), marker(1, 7n, 1), batch(2, ['aborted-2'], { producerId: 7n, transactional: true })];
    expect(values(committedBatches(fetched, [{ producerId: 7n, firstOffset: 2n }]))).toEqual(['committed-0']);
  });

  it('hands over records from the fetch offset on, with offsets, timestamps and repeated headers', () => {
    const withHeaders = { ...batch(10, ['a', 'b', 'c']), records: [record(0, 'a'), record(1, 'b', [[Buffer.from('h'), Buffer.from('1')], [Buffer.from('h'), Buffer.from('2')]]), record(2, null)] };
    const records = fetchedRecords([withHeaders], 11n);
    expect(records.map((entry) => [entry.offset, entry.timestamp, entry.value?.toString() ?? null])).toEqual([
      ['11', '1001', 'b'],
      ['12', '1002', null],
    ]);
    expect((records[0]!.headers!['h'] as Buffer[]).map(String)).toEqual(['1', '2']);
    expect(records[1]!.headers).toBeUndefined();
    const logAppend = fetchedRecords([batch(0, ['x'], { attributes: 1 << 3 })], 0n);
    expect(logAppend[0]!.timestamp).toBe('5000');
  });

  it('sends records with their partition, timestamp and every value of a repeated header', () => {
    const message = messageOf('out', { key: Buffer.from('k'), value: null, partition: 3, timestamp: '42', headers: { h: ['1', Buffer.from('2')], gone: undefined } });
    expect(message).toMatchObject({ topic: 'out', partition: 3, timestamp: 42n, key: Buffer.from('k'), value: undefined });
    expect([...(message.headers as Map<Buffer, Buffer>)].map(([name, value]) => [String(name), String(value)])).toEqual([
      ['h', '1'],
      ['h', '2'],
    ]);
  });

  it("takes a runtime record's timestamp as its number when it carries one, and the string otherwise", () => {
    const runtime = { key: null, value: null, get timestamp(): string { throw new Error('the string is not read'); }, [timestampMillis]: 1_796_000_000_123 };
    expect(messageOf('out', runtime).timestamp).toBe(1_796_000_000_123n);
    // -0 is written "0"; a number that is no safe integer leaves the string to be read.
    const zero = { key: null, value: null, timestamp: '0', [timestampMillis]: -0 };
    expect(messageOf('out', zero).timestamp).toBe(0n);
    const fraction = { key: null, value: null, timestamp: '7', [timestampMillis]: 1.5 };
    expect(messageOf('out', fraction).timestamp).toBe(7n);
    expect(messageOf('out', { key: null, value: null }).timestamp).toBeUndefined();
  });
});

/** Values naming their own offsets, `count` of them from `firstOffset`. */
function offsetValues(firstOffset: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(firstOffset + index));
}

/** A batch of the model's log as platformatic decodes it. */
function platformaticBatch({ firstOffset, count, producer, marker: kind }: LogBatch): RecordsBatch {
  if (producer === undefined) return batch(firstOffset, offsetValues(firstOffset, count));
  if (kind !== undefined) return marker(firstOffset, BigInt(producer), kind === 'commit' ? 1 : 0);
  return batch(firstOffset, offsetValues(firstOffset, count), { producerId: BigInt(producer), transactional: true });
}

/**
 * read_committed over many fetches, against a brute-force oracle (`transaction-log.test-support.ts`:
 * interleaved transactions committed or aborted, bare markers, plain records), fetched from a
 * random offset in responses cut at random batches, each with the aborted transactions the broker
 * lists for its range. What the consumer sees must be exactly the records of committed
 * transactions (and non-transactional ones) from the fetch offset on.
 */
describe('read_committed over fetches, against an oracle', () => {
  it('sees exactly the committed and plain records from the fetch offset on (property)', () => {
    fc.assert(
      fc.property(logSteps, fc.nat(), responseSizes, (steps, startSeed, sizes) => {
        const model = new TransactionLog(steps);
        const log = model.batches.map(platformaticBatch);
        const start = startSeed % model.end;
        let position = BigInt(start);
        const seen: number[] = [];
        for (let round = 0; round < 1000 && position < BigInt(model.end); round++) {
          const { first, end } = model.response(Number(position), sizes[round % sizes.length]!);
          const raw = log.slice(first, end);
          const last = raw[raw.length - 1]!;
          const listed = model.listed(Number(position), Number(last.firstOffset) + last.lastOffsetDelta).map(({ producer, firstOffset }) => ({ producerId: BigInt(producer), firstOffset: BigInt(firstOffset) }));
          for (const entry of fetchedRecords(committedBatches(raw, listed), position)) seen.push(Number(entry.offset));
          position = nextOffsetAfter(raw)!;
        }
        expect(seen).toEqual(model.committed.filter((offset) => offset >= start));
      }),
      { numRuns: 3000, examples: [committedBeforeBareMarker] },
    );
  });
});
