/**
 * Where state lives across the application's instances, as Kafka Streams' `StreamsMetadata` and
 * `KeyQueryMetadata`: each instance names its query endpoint with the `applicationServer` option,
 * the endpoints travel in the consumer group subscription, and after each rebalance every instance
 * knows which instance holds which store partitions, active or standby. A caller asks
 * {@link KafkaStreams.queryMetadataForKey} where a key lives and queries (or forwards to) that
 * instance; `@tributary/kafka/http` does it over HTTP.
 */
import type { Serializer, StreamPartitioner } from '@tributary/streams';

/** An instance's query endpoint: its `applicationServer` option, split. */
export interface HostInfo {
  /** The host name or address, without brackets for IPv6. */
  readonly host: string;
  /** The port. */
  readonly port: number;
}

/** One partition of one topic. */
export interface TopicPartition {
  /** The topic's full name (internal topics with the application id prefix). */
  readonly topic: string;
  /** The partition number, from 0. */
  readonly partition: number;
}

/** What one instance (one `applicationServer`, all its stream threads) holds. */
export interface StreamsMetadata {
  /** The instance's `applicationServer`. */
  readonly hostInfo: HostInfo;
  /** The stores its active tasks hold, and every global store. Sorted. */
  readonly stateStoreNames: readonly string[];
  /** The source topic partitions of its active tasks. Sorted by topic, then partition. */
  readonly topicPartitions: readonly TopicPartition[];
  /** The stores its standby tasks hold. Sorted. */
  readonly standbyStateStoreNames: readonly string[];
  /** The source topic partitions of its standby tasks. Sorted by topic, then partition. */
  readonly standbyTopicPartitions: readonly TopicPartition[];
}

/** Where one key of one store lives. */
export interface KeyQueryMetadata {
  /**
   * The instance whose active task holds the key's partition; `undefined` while that is not
   * known: before the first assignment, while no instance with an `applicationServer` holds the
   * partition (during a rebalance), or after close.
   */
  readonly activeHost: HostInfo | undefined;
  /** The instances holding a standby replica of the key's partition. */
  readonly standbyHosts: readonly HostInfo[];
  /** The key's partition of the store's source topics; -1 for a global store, or before the first assignment. */
  readonly partition: number;
}

/**
 * How {@link KafkaStreams.queryMetadataForKey} finds a key's partition: the serializer of the
 * store's key (the default partitioner, murmur2 of the bytes, as Kafka's producers use), or the
 * `StreamPartitioner` the store's input topic was written with.
 */
export type KeyLocator<K> =
  | Serializer<K>
  | {
      /** The partitioner the store's input topic was written with; it picks the key's partition. */
      readonly partitioner: StreamPartitioner<K, unknown>;
    };

/** `'host:port'` of a {@link HostInfo}, the form the `applicationServer` option takes. */
export function hostAddress(hostInfo: HostInfo): string {
  return hostInfo.host.includes(':') ? `[${hostInfo.host}]:${hostInfo.port}` : `${hostInfo.host}:${hostInfo.port}`;
}

/** Splits an `applicationServer` value into a {@link HostInfo}. */
export function parseHostInfo(address: string): HostInfo {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port: Number(address.slice(colon + 1)) };
}
