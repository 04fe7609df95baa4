/**
 * The one error kind every Kafka client adapter throws, so nothing above the client seam reads a
 * client library's own error classes: what failed, in the runtime's terms, with the library's
 * error kept as the `cause`.
 */
import { StreamsError, type StreamsErrorOptions } from '@tributary/streams';

/**
 * What a client's failure means to the runtime:
 * - `'unavailable'`: the brokers could not be reached, did not answer in time, or kept refusing
 *   with retriable errors (a leader moving) until the client gave up; trying later may succeed.
 * - `'fenced'`: a newer producer with the same transactional id took over; this producer can
 *   do nothing more.
 * - `'group-fenced'`: the group coordinator refused an offset commit because the group moved on
 *   without this member (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID): what it
 *   consumed may belong to another member now (under `exactly_once_v2`, its transaction is a
 *   zombie's); and a send a producer would not hand on because the stream thread was stopped
 *   past its session timeout (`ProducerConfig.mayDispatch`).
 * - `'unknown-topic'`: the topic or partition does not exist (or not yet, on this broker).
 * - `'rebalance-in-progress'`: the group is rebalancing; the commit belongs to the old generation.
 * - `'record-rejected'`: the brokers refused the records themselves (too large, invalid).
 * - `'other'`: anything else.
 */
export type KafkaClientErrorKind = 'unavailable' | 'fenced' | 'group-fenced' | 'unknown-topic' | 'rebalance-in-progress' | 'record-rejected' | 'other';

/**
 * A Kafka client request failed. Thrown by the adapters behind the client seam; `kind` says
 * what it means, `retriable` whether the client reported it as retriable, `cause` holds the
 * client library's own error.
 */
export class KafkaClientError extends StreamsError {
  /** What the failure means to the runtime. */
  readonly kind: KafkaClientErrorKind;
  /** Whether the client library marked the error retriable (trying again later may succeed). */
  readonly retriable: boolean;

  /**
   * Tributary's client adapters throw it with code `KAFKA_CLIENT_<KIND>` (`KAFKA_CLIENT_FENCED`,
   * ...); `message` is the client's, followed by what to check where there is something to.
   */
  constructor(kind: KafkaClientErrorKind, message: string, retriable: boolean, options?: StreamsErrorOptions) {
    super(`KAFKA_CLIENT_${kind.toUpperCase().replaceAll('-', '_')}`, message, options);
    this.kind = kind;
    this.retriable = retriable;
  }
}

/** The {@link KafkaClientError} in `error` or its causes, if any. */
export function clientErrorIn(error: unknown): KafkaClientError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof KafkaClientError) return current;
  }
  return undefined;
}

/**
 * What a producer fails a send with once `ProducerConfig.mayDispatch` says no (the stream thread
 * was stopped past its session timeout), and every send queued behind it.
 */
export function stoppedThreadError(): KafkaClientError {
  return new KafkaClientError('group-fenced', 'The stream thread was stopped for longer than its session timeout, so its group may have given its tasks to another member: the send is not handed to the brokers.', false);
}
