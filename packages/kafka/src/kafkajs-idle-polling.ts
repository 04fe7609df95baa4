/**
 * Quiet request queues for kafkajs clients of your own, in a process where no `KafkaStreams` on
 * kafkajs runs (a loader, a report, a CLI command).
 */
import { installIdleRequestQueue } from './client/internal/kafkajs-request-queue.js';

/**
 * Stops every kafkajs (2.x) connection in this process from checking its empty request queue
 * every millisecond.
 *
 * kafkajs 2.2.4 sets a timer after each response whether or not a request waits, for minus the
 * current time when the broker has not throttled the client: Node runs it after 1 ms, it sets the
 * next, and so on until the connection closes (tulios/kafkajs#1704). From Node 23 on, Node also
 * prints a `TimeoutNegativeWarning` for it (tulios/kafkajs#1751). With this fix a queue sets a
 * timer only while a request waits in it, as kafkajs' own checks expect; what is sent, and when,
 * is unchanged. `KafkaStreams` applies it when it is constructed on kafkajs; call this before your
 * own kafkajs clients connect when no `KafkaStreams` runs in the process. Calling it again does
 * nothing, and a kafkajs not laid out as 2.x is left as it is.
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 * import { fixKafkajsIdlePolling } from '@tributary/kafka';
 *
 * fixKafkajsIdlePolling();
 * const producer = new Kafka({ brokers: ['localhost:9092'] }).producer();
 * ```
 */
export function fixKafkajsIdlePolling(): void {
  installIdleRequestQueue();
}
