/**
 * read_committed over many fetches, against a brute-force oracle: random transactions of a few
 * producers (interleaved, committed or aborted, a producer's next transaction after its marker),
 * fetched from a random offset in responses cut at random batches, each with the aborted
 * transactions the broker lists for its range. What the consumer sees must be exactly the records
 * of committed transactions (and non-transactional ones) from the fetch offset on.
 */
import type { KafkaRecord, RecordsBatch } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { committedBatches, fetchedRecords, nextOffsetAfter } from './platformatic-records.js';

const TRANSACTIONAL = 1 << 4;
const CONTROL = 1 << 5;

interface Txn {
  readonly producerId: bigint;
  readonly firstOffset: number;
  outcome?: 'commit' | 'abort';
  markerOffset?: number;
}

function dataBatch(firstOffset: number, count: number, producerId: bigint, transactional: boolean): RecordsBatch {
  const records: KafkaRecord[] = Array.from({ length: count }, (_, index) => ({ length: 0, attributes: 0, timestampDelta: 0n, offsetDelta: index, key: null, value: Buffer.from(String(firstOffset + index)), headers: [] }));
  return { firstOffset: BigInt(firstOffset), length: 0, partitionLeaderEpoch: 0, magic: 2, crc: 0, attributes: transactional ? TRANSACTIONAL : 0, lastOffsetDelta: count - 1, firstTimestamp: 0n, maxTimestamp: 0n, producerId, producerEpoch: 0, firstSequence: 0, records };
}

function markerBatch(offset: number, producerId: bigint, type: 0 | 1): RecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return { ...dataBatch(offset, 1, producerId, true), attributes: TRANSACTIONAL | CONTROL, records: [{ length: 0, attributes: 0, timestampDelta: 0n, offsetDelta: 0, key, value: Buffer.alloc(6), headers: [] }] };
}

/** One step of the log: a producer appends a batch (in its transaction, opening one), ends its transaction, or a plain batch. */
const step = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), producer: fc.integer({ min: 1, max: 3 }), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('end' as const), producer: fc.integer({ min: 1, max: 3 }), commit: fc.boolean() }),
  fc.record({ kind: fc.constant('plain' as const), count: fc.integer({ min: 1, max: 2 }) }),
);

describe('read_committed over fetches, against an oracle', () => {
  it('sees exactly the committed and plain records from the fetch offset on (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.nat(), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 60 }), (steps, startSeed, cuts) => {
        const log: RecordsBatch[] = [];
        const txns: Txn[] = [];
        const open = new Map<bigint, Txn>();
        const committedRecords = new Set<number>();
        const batchTxn = new Map<RecordsBatch, Txn | undefined>();
        let offset = 0;
        const end = (producerId: bigint, commit: boolean): void => {
          const txn = open.get(producerId)!;
          open.delete(producerId);
          txn.outcome = commit ? 'commit' : 'abort';
          txn.markerOffset = offset;
          log.push(markerBatch(offset, producerId, commit ? 1 : 0));
          offset++;
        };
        for (const s of steps) {
          if (s.kind === 'plain') {
            const b = dataBatch(offset, s.count, -1n, false);
            log.push(b);
            batchTxn.set(b, undefined);
            offset += s.count;
          } else if (s.kind === 'append') {
            const producerId = BigInt(s.producer);
            let txn = open.get(producerId);
            if (txn === undefined) {
              txn = { producerId, firstOffset: offset };
              open.set(producerId, txn);
              txns.push(txn);
            }
            const b = dataBatch(offset, s.count, producerId, true);
            log.push(b);
            batchTxn.set(b, txn);
            offset += s.count;
          } else if (open.has(BigInt(s.producer))) {
            end(BigInt(s.producer), s.commit);
          }
        }
        // Every transaction ends (the last stable offset is the log's end).
        for (const producerId of [...open.keys()]) end(producerId, false);
        for (const b of log) {
          const txn = batchTxn.get(b);
          if ((b.attributes & CONTROL) !== 0) continue;
          if (txn === undefined || txn.outcome === 'commit') for (let index = 0; index <= b.lastOffsetDelta; index++) committedRecords.add(Number(b.firstOffset) + index);
        }
        const aborted = txns.filter((txn) => txn.outcome === 'abort');
        const start = offset === 0 ? 0 : startSeed % offset;
        // The consumer: fetch from its position, a response of a few batches, the aborted transactions overlapping it.
        let position = BigInt(start);
        const seen: number[] = [];
        let cut = 0;
        for (let round = 0; round < 1000 && position < BigInt(offset); round++) {
          const first = log.findIndex((b) => b.firstOffset + BigInt(b.lastOffsetDelta) >= position);
          const raw = log.slice(first, first + cuts[cut++ % cuts.length]!);
          const last = raw[raw.length - 1]!;
          const upper = last.firstOffset + BigInt(last.lastOffsetDelta);
          const listed = aborted.filter((txn) => BigInt(txn.markerOffset!) >= position && BigInt(txn.firstOffset) <= upper).map((txn) => ({ producerId: txn.producerId, firstOffset: BigInt(txn.firstOffset) }));
          for (const entry of fetchedRecords(committedBatches(raw, listed), position)) seen.push(Number(entry.offset));
          position = nextOffsetAfter(raw)!;
        }
        expect(seen).toEqual([...committedRecords].filter((o) => o >= start).sort((a, b) => a - b));
      }),
      { numRuns: 3000 },
    );
  });
});
