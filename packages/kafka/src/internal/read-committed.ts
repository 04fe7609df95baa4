/**
 * Hides the records of aborted transactions from read_committed fetches, in place of kafkajs
 * 2.2.4's own filter, which lets some through.
 *
 * A fetch response lists, per partition, the aborted transactions that overlap it: producer id
 * and first offset. The broker lists them in the order they were aborted (its transaction index
 * is ordered by the abort markers' offsets), not by first offset, and several may begin before
 * the first record fetched. kafkajs (`consumer/filterAbortedMessages.js`) assumes the list is
 * sorted by first offset and starts at most one transaction per record, so records of an aborted
 * transaction that began before another aborted transaction, but was aborted after it, are
 * delivered. That is exactly the shape a repartition partition takes when an instance is killed:
 * each of its tasks' transactional producers has a transaction open in every repartition
 * partition, and the tasks' new owners fence them, aborting them in whatever order they restore.
 * The downstream task then counts records the upstream task sends again after its restore.
 * Changelogs, written by one producer each, have no overlapping transactions and were not hit.
 *
 * The fix follows the Java consumer: the aborted transactions sorted by first offset; at each
 * record, every one that has begun by then is started; an abort marker ends its producer's; a
 * transactional record of a producer with an aborted transaction under way is hidden. It runs on
 * the fetch response, before kafkajs builds its batches: hidden records are flagged as control
 * records, which kafkajs never delivers but still counts when it moves the fetch position past
 * them, and the aborted-transaction list is emptied so kafkajs' filter has nothing left to do.
 * It is installed on kafkajs' `Broker` class, shared by every consumer of the process (or of the
 * worker thread: each worker's `KafkaStreams` installs it again): the stream threads', the
 * restorers', the standbys' and the global stores'.
 */
import { createRequire } from 'node:module';
import { IllegalStateError } from '../errors.js';

/** A decoded record of a fetch response, as kafkajs 2 gives it. */
export interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  isControlRecord: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

/** A partition of a fetch response, as kafkajs 2 gives it. */
export interface FetchedPartition {
  abortedTransactions?: { producerId: string; firstOffset: string }[] | null;
  messages: FetchedRecord[];
}

/** The key of a control record that marks an abort: version 0, type 0 (a commit is type 1). */
function isAbortMarker(key: Buffer | null): boolean {
  return key !== null && key.length >= 4 && key.readInt16BE(0) === 0 && key.readInt16BE(2) === 0;
}

/**
 * Flags the records of the partition's aborted transactions as control records (which kafkajs
 * does not deliver) and empties its aborted-transaction list. Returns how many records it hid.
 */
export function hideAbortedRecords(partition: FetchedPartition): number {
  const aborted = partition.abortedTransactions;
  if (aborted === undefined || aborted === null || aborted.length === 0) return 0;
  const pending = aborted.map(({ producerId, firstOffset }) => ({ producerId, firstOffset: Number(firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
  const abortingProducers = new Set<string>();
  let next = 0;
  let hidden = 0;
  const records = partition.messages;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const offset = Number(record.offset);
    while (next < pending.length && pending[next]!.firstOffset <= offset) abortingProducers.add(pending[next++]!.producerId);
    const { producerId, inTransaction } = record.batchContext;
    if (record.isControlRecord) {
      if (isAbortMarker(record.key)) abortingProducers.delete(producerId);
    } else if (inTransaction && abortingProducers.has(producerId)) {
      record.isControlRecord = true;
      hidden++;
    }
  }
  partition.abortedTransactions = [];
  return hidden;
}

interface FetchResponse {
  responses?: { partitions?: FetchedPartition[] }[];
}

type Fetch = (this: unknown, request: unknown) => Promise<FetchResponse>;

const INSTALLED = Symbol.for('tributary.kafka.readCommittedFilter');

/**
 * Installs {@link hideAbortedRecords} on every fetch response of kafkajs' brokers, once per
 * process (or worker). Throws an {@link IllegalStateError} when the kafkajs found is not laid out
 * as 2.x is, as read_committed could then not be trusted.
 */
export function installReadCommittedFilter(): void {
  const require = createRequire(import.meta.url);
  let broker: { prototype: { fetch?: Fetch; [INSTALLED]?: true } } | undefined;
  try {
    broker = require('kafkajs/src/broker/index.js') as typeof broker;
  } catch {
    broker = undefined;
  }
  const prototype = broker?.prototype;
  if (prototype === undefined || typeof prototype.fetch !== 'function') {
    throw new IllegalStateError(
      "Tributary could not find kafkajs' Broker class (kafkajs/src/broker/index.js), which it fixes so read_committed consumers never see aborted transactions: install kafkajs 2.x (^2.2.4).",
    );
  }
  if (prototype[INSTALLED] === true) return;
  const fetch = prototype.fetch;
  prototype.fetch = async function fetchHidingAbortedRecords(this: unknown, request: unknown): Promise<FetchResponse> {
    const response = await fetch.call(this, request);
    for (const topic of response.responses ?? []) {
      for (const partition of topic.partitions ?? []) hideAbortedRecords(partition);
    }
    return response;
  };
  prototype[INSTALLED] = true;
}
