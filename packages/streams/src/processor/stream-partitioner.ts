/**
 * Output routing. A sink picks its topic (fixed, or per record through a {@link TopicNameExtractor})
 * and its partition (by the key's bytes, as Kafka's default partitioner does, or through a
 * {@link StreamPartitioner}).
 */
import type { RecordMetadata } from './processor.js';

/**
 * Chooses the partition of an output record. Return `undefined` to fall back to the default
 * (murmur2 of the serialized key, as every Kafka client does).
 */
export type StreamPartitioner<K, V> = (topic: string, key: K, value: V, numPartitions: number) => number | undefined;

/** Chooses the topic of an output record at run time. */
export type TopicNameExtractor<K, V> = (key: K, value: V, source: RecordMetadata | undefined) => string;
