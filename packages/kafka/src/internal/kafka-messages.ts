/**
 * Fetched records as the engine takes them: one conversion for every consumer of the runtime
 * (the stream thread's input, global stores' bootstrap, changelog restores and standbys), so a
 * change of how offsets, timestamps or headers are read is made once.
 */
import type { FetchedRecord } from '../client/kafka-client.js';
import { Headers, hasBareValueHeader, type ChangelogRecord } from '@tributary/streams';
import type { ConsumedRecord } from '@tributary/streams/engine';

/** A consumed input (or global-topic) message as a task's raw record. */
export function consumedRecord(topic: string, partition: number, message: FetchedRecord): ConsumedRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    headers: Headers.fromObject(message.headers),
  };
}

/** A changelog message, whose key is `key` (changelog records always have one), as a store restores it. */
export function changelogRecord(key: Buffer, message: FetchedRecord): ChangelogRecord {
  return { key, value: message.value, timestamp: Number(message.timestamp), bareValue: hasBareValueHeader(message.headers) };
}
