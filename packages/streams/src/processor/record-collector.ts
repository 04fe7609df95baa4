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
   * @param timestamp the record's timestamp, or `undefined` for none: the producer stamps it with
   *   its current time, as Kafka's producer does (a suppression buffer's changelog records have none)
   * @param partition an explicit partition, or `undefined` to partition by the key's bytes
   */
  send(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number | undefined, partition: number | undefined): void;
  /** The number of partitions of an output topic, when the driver knows it (for custom partitioners). */
  partitionCount(topic: string): number | undefined;
}

/** A raw record as a driver consumed it, handed to a task. */
export interface ConsumedRecord {
  /** The topic the record was read from; the task routes it to the source node that reads it. */
  readonly topic: string;
  /** The partition within `topic`; it must be the partition of the task it is handed to. */
  readonly partition: number;
  /** The record's offset; the task commits the next one after processing it. */
  readonly offset: number;
  /** The timestamp Kafka stored with the record, epoch ms (CreateTime or LogAppendTime). */
  readonly timestamp: number;
  /** The key's bytes, not yet deserialized; `null` when the record has none. */
  readonly key: Buffer | null;
  /** The value's bytes, not yet deserialized; `null` for a tombstone. */
  readonly value: Buffer | null;
  /** The record's headers, handed to processors as they are. */
  readonly headers: Headers;
}
