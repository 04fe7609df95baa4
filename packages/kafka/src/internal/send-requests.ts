/**
 * How the record collector (`kafka-record-collector.ts`) cuts its buffered records into send
 * requests of one topic-partition each ({@link requestsOf}), and words a send's failure
 * ({@link describeSendError}).
 */
import { clientErrorIn, KafkaClientError } from '../client/client-error.js';
import type { OutgoingRecord } from './outgoing-record.js';

/**
 * The most record bytes (keys, values and headers, plus a per-record allowance) put in one send
 * request: well below the brokers' default message.max.bytes (1 MiB), which bounds each
 * partition's record batch in the request.
 */
const MAX_REQUEST_BYTES = 512 * 1024;
const RECORD_OVERHEAD_BYTES = 64;
/**
 * The most records of one topic put in one send request. kafkajs regroups each topic's messages
 * by partition by copying the partition's array for every message (`groupMessagesPerPartition`),
 * quadratic in a partition's records per request; this bounds that copying to a few hundred
 * elements per record, at the cost of a request per this many records.
 */
const MAX_REQUEST_TOPIC_RECORDS = 1_000;

function sizeOf(record: OutgoingRecord): number {
  let size = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  // Most records have no headers: no iterator for them.
  const headers = record.recordHeaders;
  if (headers.size > 0) for (const header of headers) size += header.key.length + (header.value?.length ?? 0);
  return size;
}

/** One send request: records of one topic-partition, in order. */
export interface SendRequest {
  readonly topic: string;
  readonly partition: number;
  readonly records: OutgoingRecord[];
  /** Whether some record came with its partition (changelogs), so the request's next offset is noted. */
  explicit: boolean;
}

/** A partition's requests being cut. */
interface PartitionRequests {
  readonly requests: SendRequest[];
  current: SendRequest | undefined;
  bytes: number;
}

/**
 * Buffered records, each with its partition, cut into requests of one topic-partition each: at
 * most {@link MAX_REQUEST_BYTES} (a larger record goes alone) and {@link MAX_REQUEST_TOPIC_RECORDS}
 * records. Returns each partition's requests, in the order of its records.
 */
export function requestsOf(buffered: ReadonlyMap<string, readonly OutgoingRecord[]>, maxBytes = MAX_REQUEST_BYTES, maxRecords = MAX_REQUEST_TOPIC_RECORDS): SendRequest[][] {
  const result: SendRequest[][] = [];
  for (const [topic, records] of buffered) {
    const partitions = new Map<number, PartitionRequests>();
    for (const record of records) {
      const partition = record.partition;
      if (partition === undefined) throw new Error(`A record for topic '${topic}' has no partition: the collector assigns one before cutting requests`);
      let entry = partitions.get(partition);
      if (entry === undefined) {
        entry = { requests: [], current: undefined, bytes: 0 };
        partitions.set(partition, entry);
        result.push(entry.requests);
      }
      const size = sizeOf(record);
      let current = entry.current;
      if (current !== undefined && (entry.bytes + size > maxBytes || current.records.length >= maxRecords)) current = undefined;
      if (current === undefined) {
        current = { topic, partition, records: [], explicit: false };
        entry.current = current;
        entry.requests.push(current);
        entry.bytes = 0;
      }
      current.records.push(record);
      entry.bytes += size;
      if (!record.partitionAssigned) current.explicit = true;
    }
  }
  return result;
}

/** A send failure as text: its message, its cause's (the most specific in a kafkajs error chain), and what to do when the topic is missing. */
export function describeSendError(clientError: Error): string {
  // The client's own error, as its library worded it (a KafkaClientError repeats its message).
  const error = clientError instanceof KafkaClientError && clientError.cause instanceof Error ? clientError.cause : clientError;
  const cause = error.cause instanceof Error && error.cause.message !== error.message ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}${clientErrorIn(clientError)?.kind === 'unknown-topic' ? ` (${UNKNOWN_TOPIC_HINT})` : ''}`;
}

/** What UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this topic-partition") means for a sink. */
const UNKNOWN_TOPIC_HINT =
  "the topic does not exist, or has fewer partitions than the record was sent to: create it with the partitions you want before starting the application, or let the brokers create topics (auto.create.topics.enable)";
