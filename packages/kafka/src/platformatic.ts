/**
 * `@tributary/kafka/platformatic`: Kafka clients on [@platformatic/kafka](https://github.com/platformatic/kafka)
 * for `KafkaStreams`, passed as its option `client`. @platformatic/kafka is an optional peer
 * dependency (install it next to `@tributary/kafka`) and needs Node >= 22.22 or >= 24.6: this
 * entry point throws a `ConfigError` saying so when it is imported on an older Node. See
 * [Running on Kafka](../../../docs/running-on-kafka.md#kafka-clients).
 *
 * @packageDocumentation
 * @module @tributary/kafka/platformatic
 */
import type { ConnectionOptions } from '@platformatic/kafka';
import { ConfigError } from '@tributary/streams';
import type { KafkaClientSupplier } from './client/kafka-client.js';
import { fetchSizesOf } from './client/internal/platformatic-fetch-sizes.js';
import { platformaticSupplier } from './client/internal/platformatic-supplier.js';
import { requireNode } from './client/node-version.js';

/** The Node versions @platformatic/kafka 2.12 supports. */
const PLATFORMATIC_NODE: readonly (readonly [number, number])[] = [
  [22, 22],
  [24, 6],
];

requireNode('@platformatic/kafka (the client of @tributary/kafka/platformatic)', process.versions.node, PLATFORMATIC_NODE);

/** How {@link platformaticClient} connects. */
export interface PlatformaticClientOptions {
  /** The bootstrap brokers, `host:port`: usually the same as `KafkaStreams`' `bootstrapServers`. */
  readonly brokers: readonly string[];
  /** The client id every connection announces. Default: `'tributary'`. */
  readonly clientId?: string;
  /**
   * Connection options passed to @platformatic/kafka as they are: `tls`, `sasl`, `connectTimeout`,
   * `requestTimeout`, ... Default: none (plain TCP).
   */
  readonly connection?: ConnectionOptions;
  /** How often a failed request is retried before it fails. Default: @platformatic/kafka's (3). */
  readonly retries?: number;
  /** How long a request may take, in milliseconds. Default: @platformatic/kafka's (5000). */
  readonly timeoutMs?: number;
  /**
   * The most record bytes of one partition a fetch asks for (Kafka's `max.partition.fetch.bytes`).
   * A stream thread decodes a fetch's records whole and holds them until it has processed them, so
   * this and {@link fetchMaxBytes} bound the fetched data in memory. A record batch larger than
   * this still comes back whole when it is the first one of the fetch (Kafka's rule), so no record
   * is too large to read. Default: 256 KiB (Kafka's consumer asks 1 MiB, which it keeps as
   * bytes; this client decodes a whole fetch into objects).
   */
  readonly partitionFetchMaxBytes?: number;
  /**
   * The most record bytes one fetch asks a broker for, over all its partitions (Kafka's
   * `fetch.max.bytes`); a stream thread has one fetch per broker in flight. Default: 4 MiB
   * (Kafka's: 50 MiB).
   */
  readonly fetchMaxBytes?: number;
}

/**
 * Kafka clients on @platformatic/kafka, for `new KafkaStreams(topology, { ..., client:
 * platformaticClient({ brokers }) })`: group consumers that run the runtime's own assignor and
 * fetch read_committed, idempotent producers, transactional producers whose transactional offset
 * commits carry the consumer group's generation and member id (KIP-447), and an admin client.
 *
 * @throws ConfigError when `brokers` is empty or not a list of `host:port` strings, or a fetch
 *   size is not a whole number of bytes from 1 to 2^31 - 1.
 */
export function platformaticClient(options: PlatformaticClientOptions): KafkaClientSupplier {
  const brokers: unknown = options.brokers;
  if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((broker) => typeof broker === 'string' && /^[^:\s]+:\d+$/.test(broker))) {
    throw new ConfigError(`platformaticClient: option 'brokers' must be a non-empty list of 'host:port' strings, such as ['localhost:9092'].`);
  }
  const list = brokers as string[];
  const fetchSizes = fetchSizesOf(options);
  return platformaticSupplier(
    {
      ...options.connection,
      clientId: options.clientId ?? 'tributary',
      bootstrapBrokers: list,
      ...(options.retries === undefined ? {} : { retries: options.retries }),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    },
    list,
    fetchSizes,
  );
}
