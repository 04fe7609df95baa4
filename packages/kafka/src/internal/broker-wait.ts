/**
 * How long the runtime waits for the brokers before it takes them as unavailable, as Kafka's
 * producer bounds a send by `delivery.timeout.ms` and a transaction call by `max.block.ms`. A
 * client may retry a request without end (@platformatic/kafka retries every request of an
 * idempotent or transactional producer so), and a request that never completes would hold the
 * stream thread in silence. Past the bound the wait fails with a retriable `'unavailable'`
 * {@link KafkaClientError}: the thread is rebuilt and its tasks resume from their last commit.
 * The request itself may still complete later, which both guarantees allow: at-least-once sends
 * the records again (duplicates, never a loss), and under exactly-once the replacement's producer
 * fences the old one, whose transaction is aborted.
 */
import { KafkaClientError } from '../client/client-error.js';
import type { OutgoingKafkaRecord, RecordSender, SendAcknowledgement } from '../client/kafka-client.js';
import { withTimeout } from './with-timeout.js';

/** Kafka's `delivery.timeout.ms`: how long a send may wait for the brokers' acknowledgement. */
export const DELIVERY_TIMEOUT_MS = 120_000;

/** Kafka's `max.block.ms`: how long a transaction call (begin, offsets, commit, abort) may wait. */
export const MAX_BLOCK_MS = 60_000;

/**
 * `work`, or a retriable `'unavailable'` {@link KafkaClientError} once `limitMs` passed without
 * it settling. `what` completes "The brokers did not ..." in the error's message.
 */
export function withinLimit<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  return withTimeout(work, limitMs, () => new KafkaClientError('unavailable', `The brokers did not ${what} within ${limitMs} ms; the client may still be retrying.`, true));
}

/** `sender`, with each send failing as unavailable once it waited `limitMs` for its acknowledgement. */
export function boundedSender(sender: RecordSender, limitMs: number = DELIVERY_TIMEOUT_MS): RecordSender {
  return {
    send: (topic: string, records: readonly OutgoingKafkaRecord[]): Promise<SendAcknowledgement[]> =>
      withinLimit(sender.send(topic, records), limitMs, `acknowledge ${records.length} record(s) sent to ${topic}`),
  };
}
