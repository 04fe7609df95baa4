/**
 * kafkajs' errors in the runtime's terms: every error a kafkajs client throws or reports leaves
 * the adapter as a {@link KafkaClientError}, with the kafkajs error as its cause, so nothing above
 * the client seam reads kafkajs' error classes or type strings.
 */
import { StreamsError } from '@tributary/streams';
import { KafkaClientError, type KafkaClientErrorKind } from '../client-error.js';
import { someCause } from '../../internal/error-causes.js';

/** kafkajs errors that mean the brokers could not be reached or did not answer, not that a request was wrong. */
const unavailableErrorNames = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound']);

/** kafkajs error types that blame the records themselves, not the partition or the producer. */
const recordLevelErrorTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);

/** The Kafka error types that say a newer producer of the transactional id took over. */
const fencedTypes = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH']);

/** The Kafka error types that say the group moved on without this member. */
const groupFencedTypes = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** kafkajs' text when a request goes to a broker whose connection is gone. */
const NOT_CONNECTED = 'Broker not connected';

function hasType(error: unknown, types: ReadonlySet<string> | string): boolean {
  return someCause(error, (current) => {
    const type = (current as { type?: unknown }).type;
    return typeof type === 'string' && (typeof types === 'string' ? type === types : types.has(type));
  });
}

/**
 * Whether `error` (or one of its causes) says the brokers were unavailable — a connection
 * refused or closed, a request timed out, retries exhausted — or is one kafkajs marks retriable
 * (NOT_LEADER_OR_FOLLOWER while leaders move, ...): trying again later may well succeed.
 */
function retriable(error: unknown): boolean {
  return someCause(error, (current) => unavailableErrorNames.has(current.name) || (current as { retriable?: unknown }).retriable === true);
}

function kindOf(error: Error): KafkaClientErrorKind {
  // kafkajs 2.2.4 knows no PRODUCER_FENCED (code 90); brokers answer its old request versions with INVALID_PRODUCER_EPOCH.
  if (hasType(error, fencedTypes) || someCause(error, (current) => /\bfenced\b/i.test(current.message))) return 'fenced';
  if (hasType(error, groupFencedTypes)) return 'group-fenced';
  if (hasType(error, 'REBALANCE_IN_PROGRESS')) return 'rebalance-in-progress';
  if (hasType(error, 'UNKNOWN_TOPIC_OR_PARTITION')) return 'unknown-topic';
  const exhausted = someCause(error, (current) => current.name === 'KafkaJSNumberOfRetriesExceeded');
  if (!exhausted && hasType(error, recordLevelErrorTypes)) return 'record-rejected';
  if (retriable(error) || error.message === NOT_CONNECTED) return 'unavailable';
  return 'other';
}

/** `error` as a {@link KafkaClientError}; Tributary's own errors (and non-errors) pass unchanged. */
export function fromKafkajs(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof StreamsError) return error;
  return new KafkaClientError(kindOf(error), error.message, retriable(error), { cause: error });
}

/** Runs a kafkajs request, its failure normalized by {@link fromKafkajs}. */
export async function kafkajsCall<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw fromKafkajs(error);
  }
}
