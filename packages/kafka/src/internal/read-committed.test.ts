import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hideAbortedRecords, installReadCommittedFilter, type FetchedPartition, type FetchedRecord } from './read-committed.js';
import { TransactionLog, committedBeforeBareMarker, logSteps, responseSizes, type LogBatch } from './transaction-log.test-support.js';

/** kafkajs' own batch, built from a fetch response's partition: what a consumer delivers. */
interface KafkajsBatch {
  readonly messages: { offset: string }[];
  lastOffset(): string;
  isEmptyDueToFiltering(): boolean;
}
const require = createRequire(import.meta.url);
const Batch = require('kafkajs/src/consumer/batch.js') as new (topic: string, fetchedOffset: string, partition: FetchedPartition & { partition: number }) => KafkajsBatch;

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

/** A partition's log: `A`, `B`, `C` are records of those producers' transactions, `A!` an abort marker, `C+` a commit marker. */
function log(entries: readonly string[]): FetchedRecord[] {
  return entries.map((entry, offset) => {
    const producerId = entry[0]!;
    const control = entry.length > 1;
    return {
      offset: String(offset),
      key: control ? (entry[1] === '!' ? ABORT : COMMIT) : Buffer.from(`k${offset}`),
      isControlRecord: control,
      batchContext: { producerId, inTransaction: true },
    };
  });
}

function fetched(records: FetchedRecord[], fromOffset: number, abortedTransactions: { producerId: string; firstOffset: string }[]): FetchedPartition & { partition: number } {
  return { partition: 0, abortedTransactions, messages: records.filter((record) => Number(record.offset) >= fromOffset) };
}

function delivered(partition: FetchedPartition & { partition: number }, fromOffset: number): number[] {
  return new Batch('repartition', String(fromOffset), partition).messages.map((message) => Number(message.offset));
}

// Two tasks' producers A and B, each with a transaction open in this partition when their
// instance is killed; the new owners fence B first, then A. C is a committed transaction.
const killed = (): FetchedRecord[] => log(['A', 'A', 'B', 'C', 'A', 'B', 'C', 'B!', 'A', 'A!', 'C', 'C+']);
// The broker lists aborted transactions in the order of their abort markers, not of their first offsets.
const abortedInMarkerOrder = [
  { producerId: 'B', firstOffset: '2' },
  { producerId: 'A', firstOffset: '0' },
];

describe('hideAbortedRecords', () => {
  it('hides every record of aborted transactions listed out of first-offset order, which kafkajs alone delivers', () => {
    expect(delivered(fetched(killed(), 0, abortedInMarkerOrder.map((entry) => ({ ...entry }))), 0)).not.toEqual([3, 6, 10]);
    const partition = fetched(killed(), 0, abortedInMarkerOrder.map((entry) => ({ ...entry })));
    expect(hideAbortedRecords(partition)).toBe(6);
    expect(delivered(partition, 0)).toEqual([3, 6, 10]);
  });

  it('starts every aborted transaction that began before the first record fetched', () => {
    // Fetching from offset 4: A and B both began earlier, and kafkajs starts one per record.
    const sorted = [
      { producerId: 'A', firstOffset: '0' },
      { producerId: 'B', firstOffset: '2' },
    ];
    expect(delivered(fetched(log(['A', 'A', 'B', 'C', 'B', 'A', 'C', 'B!', 'A', 'A!', 'C', 'C+']), 4, sorted.map((entry) => ({ ...entry }))), 4)).not.toEqual([6, 10]);
    const partition = fetched(log(['A', 'A', 'B', 'C', 'B', 'A', 'C', 'B!', 'A', 'A!', 'C', 'C+']), 4, sorted.map((entry) => ({ ...entry })));
    hideAbortedRecords(partition);
    expect(delivered(partition, 4)).toEqual([6, 10]);
  });

  it('lets a producer commit after its aborted transaction, and moves the position past hidden records', () => {
    // A's zombie transaction is aborted by the fencing; A (same producer id, next epoch) then commits.
    const partition = fetched(log(['A', 'C', 'A', 'A!', 'A', 'C', 'A+', 'C+']), 0, [{ producerId: 'A', firstOffset: '0' }]);
    hideAbortedRecords(partition);
    const batch = new Batch('repartition', '0', partition);
    expect(batch.messages.map((message) => Number(message.offset))).toEqual([1, 4, 5]);
    expect(batch.lastOffset()).toBe('7');

    const onlyAborted = fetched(log(['A', 'A', 'A!']), 0, [{ producerId: 'A', firstOffset: '0' }]);
    hideAbortedRecords(onlyAborted);
    const empty = new Batch('repartition', '0', onlyAborted);
    expect(empty.messages).toEqual([]);
    expect(empty.isEmptyDueToFiltering()).toBe(true);
    expect(empty.lastOffset()).toBe('2');
  });

  it('leaves a partition with no aborted transaction as it is', () => {
    const partition = fetched(log(['C', 'C', 'C+']), 0, []);
    expect(hideAbortedRecords(partition)).toBe(0);
    expect(delivered(partition, 0)).toEqual([0, 1]);
  });
});

describe('installReadCommittedFilter', () => {
  it("filters every fetch response of kafkajs' brokers, once however often it is installed", async () => {
    const Broker = require('kafkajs/src/broker/index.js') as { prototype: { fetch(request: unknown): Promise<unknown> } };
    installReadCommittedFilter();
    const installed = Broker.prototype.fetch;
    installReadCommittedFilter();
    expect(Broker.prototype.fetch).toBe(installed);
    // The installed fetch wraps the broker's own, which sends a request: give it a stand-in broker that answers one.
    const partition = fetched(killed(), 0, abortedInMarkerOrder.map((entry) => ({ ...entry })));
    const response = { responses: [{ topicName: 'repartition', partitions: [partition] }] };
    const standIn = Object.create(Broker.prototype) as { fetch(request: unknown): Promise<typeof response> };
    const sendRequest = Object.getOwnPropertySymbols(Broker.prototype).find((symbol) => String(symbol).includes('sendRequest'));
    expect(sendRequest).toBeDefined();
    Object.assign(standIn, { lookupRequest: () => () => ({}), [sendRequest!]: async () => response });
    const answered = await standIn.fetch({ topics: [{ topic: 'repartition', partitions: [0] }] });
    expect(delivered(answered.responses[0]!.partitions[0]!, 0)).toEqual([3, 6, 10]);
  });
});

/** The records of a batch of the model's log as kafkajs decodes them. */
function kafkajsRecords({ firstOffset, count, producer, marker }: LogBatch): FetchedRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    offset: String(firstOffset + index),
    key: marker === undefined ? Buffer.from(`k${firstOffset + index}`) : marker === 'commit' ? COMMIT : ABORT,
    isControlRecord: marker !== undefined,
    batchContext: { producerId: String(producer ?? -1), inTransaction: producer !== undefined },
  }));
}

/**
 * read_committed over many fetches, against a brute-force oracle (`transaction-log.test-support.ts`:
 * interleaved transactions committed or aborted, bare markers, plain records), as kafkajs delivers
 * what {@link hideAbortedRecords} leaves: fetched from a random offset in responses of whole
 * batches cut at random, each with the aborted transactions the broker lists for its range.
 */
describe('hideAbortedRecords over fetches, against an oracle', () => {
  it('delivers exactly the committed and plain records from the fetch offset on (property)', () => {
    fc.assert(
      fc.property(logSteps, fc.nat(), responseSizes, (steps, startSeed, sizes) => {
        const model = new TransactionLog(steps);
        const start = startSeed % model.end;
        let position = start;
        const seen: number[] = [];
        for (let round = 0; round < 1000 && position < model.end; round++) {
          const { first, end } = model.response(position, sizes[round % sizes.length]!);
          const messages = model.batches.slice(first, end).flatMap(kafkajsRecords);
          const listed = model.listed(position, Number(messages[messages.length - 1]!.offset)).map(({ producer, firstOffset }) => ({ producerId: String(producer), firstOffset: String(firstOffset) }));
          const partition = { partition: 0, abortedTransactions: listed, messages };
          hideAbortedRecords(partition);
          const batch = new Batch('repartition', String(position), partition);
          seen.push(...batch.messages.map((message) => Number(message.offset)));
          position = Number(batch.lastOffset()) + 1;
        }
        expect(seen).toEqual(model.committed.filter((offset) => offset >= start));
      }),
      { numRuns: 3000, examples: [committedBeforeBareMarker] },
    );
  });
});
