/**
 * Records between the seam and @platformatic/kafka: outgoing records as platformatic messages,
 * and fetched record batches as the seam's {@link FetchedBatch}, with the read_committed filter
 * Kafka's consumer applies (platformatic's own keeps an aborted transaction's records when the
 * fetch did not reach its abort marker; see {@link committedBatches}).
 */
import type { MessageToProduce, RecordsBatch } from '@platformatic/kafka';
import type { FetchedRecord, OutgoingKafkaRecord, RecordHeaders } from '../kafka-client.js';
import { timestampMillisOf } from './record-timestamp.js';

/** A record batch's attribute bits (Kafka's `RecordBatch`). */
const TIMESTAMP_LOG_APPEND_TIME = 1 << 3;
const TRANSACTIONAL = 1 << 4;
const CONTROL = 1 << 5;

/** An aborted transaction as a fetch response lists it. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

/** The platformatic message for one outgoing record of `topic`. */
export function messageOf(topic: string, record: OutgoingKafkaRecord): MessageToProduce {
  const message: MessageToProduce = { topic, key: record.key ?? undefined, value: record.value ?? undefined };
  if (record.partition !== undefined) message.partition = record.partition;
  const millis = timestampMillisOf(record);
  if (millis !== undefined) message.timestamp = BigInt(millis);
  else if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  if (record.headers !== undefined) {
    const headers = new Map<Buffer, Buffer>();
    for (const [name, value] of Object.entries(record.headers)) {
      if (value === undefined) continue;
      // A Map keyed by Buffers keeps a repeated header's values as separate entries.
      for (const single of Array.isArray(value) ? value : [value]) headers.set(Buffer.from(name), Buffer.isBuffer(single) ? single : Buffer.from(single));
    }
    message.headers = headers;
  }
  return message;
}

/** A fetched record's headers as the seam's: a repeated key keeps its values in order. */
function headersOf(entries: readonly (readonly [Buffer | null, Buffer | null])[]): RecordHeaders | undefined {
  if (entries.length === 0) return undefined;
  const headers: RecordHeaders = {};
  for (const [key, value] of entries) {
    if (key === null) continue;
    const name = key.toString('utf8');
    const bytes = value ?? Buffer.alloc(0);
    const existing = headers[name];
    if (existing === undefined) headers[name] = bytes;
    else if (Array.isArray(existing)) existing.push(bytes);
    else headers[name] = [existing, bytes];
  }
  return headers;
}

/**
 * The batches a read_committed consumer may see, as Kafka's consumer decides (its
 * `CompletedFetch`): an aborted transaction's producer is skipped from the aborted transaction's
 * first offset until its abort marker, even when the marker lies beyond this fetch (the next
 * fetch lists the transaction again). Control batches (markers) are dropped; they still count
 * for the position, which is why the caller reads the last offset from every batch.
 */
export function committedBatches(batches: readonly RecordsBatch[], aborted: readonly AbortedTransaction[] | null): RecordsBatch[] {
  const pending = aborted === null ? [] : [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  const visible: RecordsBatch[] = [];
  for (const batch of batches) {
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (pending.length > 0 && pending[0]!.firstOffset <= lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if ((batch.attributes & CONTROL) !== 0) {
      // An abort marker (control type 0) ends the producer's aborted transaction; a commit marker ends nothing aborted.
      const type = batch.records[0]?.key?.readInt16BE(2);
      if (type === 0) abortedProducers.delete(batch.producerId);
      continue;
    }
    if ((batch.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
    visible.push(batch);
  }
  return visible;
}

/** The offset after the last one `batches` cover (markers included); `undefined` for none. */
export function nextOffsetAfter(batches: readonly RecordsBatch[]): bigint | undefined {
  const last = batches[batches.length - 1];
  return last === undefined ? undefined : last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
}

/** The records of `batches` at or after `fromOffset`, in the seam's shape. */
export function fetchedRecords(batches: readonly RecordsBatch[], fromOffset: bigint): FetchedRecord[] {
  const records: FetchedRecord[] = [];
  for (const batch of batches) {
    const logAppendTime = (batch.attributes & TIMESTAMP_LOG_APPEND_TIME) !== 0;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < fromOffset) continue;
      const headers = headersOf(record.headers);
      const timestamp = String(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta);
      records.push(headers === undefined ? { offset: String(offset), timestamp, key: record.key, value: record.value } : { offset: String(offset), timestamp, key: record.key, value: record.value, headers });
    }
  }
  return records;
}
