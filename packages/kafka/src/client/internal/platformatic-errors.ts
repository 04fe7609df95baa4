/**
 * @platformatic/kafka's errors in the runtime's terms: every error a platformatic client throws
 * leaves the adapter as a {@link KafkaClientError}, with the platformatic error as its cause.
 * platformatic nests its errors (a `ResponseError` holds one `ProtocolError` per failed
 * partition in `errors`, a retry wrapper holds the attempts'), so the kind is read from every
 * error in the tree: the Kafka error id (`apiId`), the network and timeout codes, `canRetry`.
 */
import { TimeoutError } from '@platformatic/kafka';
import { StreamsError } from '@tributary/streams';
import { KafkaClientError, type KafkaClientErrorKind } from '../client-error.js';

/** Kafka error ids that say a newer producer of the transactional id took over. */
const fencedIds = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/** Kafka error ids that say the group moved on to another generation without this member (or it left the group). */
const generationIds = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** Kafka error ids that blame the records themselves. */
const recordIds = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);

/** platformatic's codes for a broker that could not be reached or did not answer. */
const unavailableCodes = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

/** Every error in `error`'s tree: itself, its causes and the errors it aggregates (bounded). */
function errorTree(error: unknown): Error[] {
  const found: Error[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && found.length < 64) {
    const current = pending.pop();
    if (!(current instanceof Error) || found.includes(current)) continue;
    found.push(current);
    if (current.cause !== undefined) pending.push(current.cause);
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) pending.push(...(nested as unknown[]));
  }
  return found;
}

function field(error: Error, name: string): unknown {
  return (error as unknown as Record<string, unknown>)[name];
}

function kindOf(tree: readonly Error[]): KafkaClientErrorKind {
  const ids = new Set(tree.map((error) => field(error, 'apiId')).filter((id): id is string => typeof id === 'string'));
  const has = (set: ReadonlySet<string>): boolean => [...ids].some((id) => set.has(id));
  if (has(fencedIds) || tree.some((error) => field(error, 'producerFenced') === true)) return 'fenced';
  if (has(generationIds)) return 'group-fenced';
  if (ids.has('REBALANCE_IN_PROGRESS')) return 'rebalance-in-progress';
  if (ids.has('UNKNOWN_TOPIC_OR_PARTITION') || ids.has('UNKNOWN_TOPIC_ID')) return 'unknown-topic';
  if (has(recordIds)) return 'record-rejected';
  if (tree.some((error) => unavailableCodes.has(String(field(error, 'code'))) || field(error, 'canRetry') === true)) return 'unavailable';
  return 'other';
}

/** `error` as a {@link KafkaClientError}; Tributary's own errors (and non-errors) pass unchanged. */
export function fromPlatformatic(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof StreamsError) return error;
  const tree = errorTree(error);
  const kind = kindOf(tree);
  const retriable = kind === 'unavailable' || tree.some((entry) => field(entry, 'canRetry') === true);
  const detail = tree.find((entry) => typeof field(entry, 'apiId') === 'string');
  const message = detail === undefined || detail === error ? error.message : `${error.message}: ${String(field(detail, 'apiId'))} (${detail.message})`;
  return new KafkaClientError(kind, message, retriable, { cause: error });
}

/** Whether `error` (a platformatic error, or a {@link KafkaClientError} around one) carries the Kafka error `id`. */
export function hasKafkaError(error: unknown, id: string): boolean {
  return errorTree(error).some((entry) => field(entry, 'apiId') === id);
}

/**
 * Whether a request failed because the broker it was for is not in the client's list of brokers
 * (platformatic marks the error as one of stale metadata).
 */
export function brokerNotInMetadata(error: unknown): boolean {
  return errorTree(error).some((entry) => field(entry, 'hasStaleMetadata') === true);
}

/**
 * Whether a request failed because the connection it went out on was accepted and then never
 * answered: platformatic rejects such a request with its `TimeoutError` itself, while a broker it
 * could not connect to fails as a `NetworkError` (or several, in a `MultipleErrors`).
 */
export function requestUnanswered(error: unknown): boolean {
  return error instanceof TimeoutError;
}

/** Runs a platformatic request, its failure normalized by {@link fromPlatformatic}. */
export async function platformaticCall<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw fromPlatformatic(error);
  }
}
