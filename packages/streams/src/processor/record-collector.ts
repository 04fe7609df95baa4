/**
 * The seam between the engine and its driver on the way out. Sinks, changelogging stores and
 * dead-letter handlers hand bytes to a collector; the test driver keeps them in memory, the
 * Kafka runtime batches them to a producer. The engine never waits on it.
 */
import type { Headers } from './headers.js';

/** Takes the output records of a task, synchronously. */
export interface RecordCollector {
  /**
   * Queues one record for `topic`.
   *
   * @param partition an explicit partition, or `undefined` to partition by the key's bytes
   */
  send(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number, partition: number | undefined): void;
  /** The number of partitions of an output topic, when the driver knows it (for custom partitioners). */
  partitionCount(topic: string): number | undefined;
}

/** A raw record as a driver consumed it, handed to a task. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}
