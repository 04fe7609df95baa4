/**
 * The default {@link KafkaClientSupplier}: every client on one kafkajs `Kafka` instance built
 * from the application's `kafka` options, its sockets in one registry (so `shutdown()` ends them
 * all, connects kafkajs is still retrying included), its log lines in the application's logger,
 * kafkajs' read_committed filter replaced by a correct one (see `read-committed.ts`), its
 * produce requests written and its fetch responses read in one pass (`kafkajs-produce-request.ts`,
 * `kafkajs-fetch-response.ts`), and its request queues quiet while they have nothing to send
 * (`kafkajs-request-queue.ts`).
 */
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { Logger } from '@tributary/streams';
import { installJoinHold } from './kafkajs-join-hold.js';
import { installReadCommittedFilter } from '../../internal/read-committed.js';
import type { KafkaClientSupplier } from '../kafka-client.js';
import { KafkajsAdmin } from './kafkajs-admin.js';
import { KafkajsConsumer, type KafkajsFetchSizes } from './kafkajs-consumer.js';
import { clientLogCreator } from './kafkajs-log.js';
import { installFetchResponseReader } from './kafkajs-fetch-response.js';
import { installProduceRequestEncoder } from './kafkajs-produce-request.js';
import { installIdleRequestQueue } from './kafkajs-request-queue.js';
import { KafkajsProducer, KafkajsTransactionalProducer } from './kafkajs-producer.js';
import { SocketRegistry } from './kafkajs-sockets.js';

export interface KafkajsSupplierOptions {
  /** The application's `kafka` option. */
  readonly kafka: Omit<KafkaConfig, 'brokers'>;
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** What every consumer's fetches may bring (the options `consumer.partitionFetchMaxBytes` and `consumer.fetchMaxBytes`). */
  readonly fetchSizes: KafkajsFetchSizes;
  readonly logger: Logger;
  /** Whether the application is closing: kafkajs' complaints about connections it drops are quieter then. */
  readonly closing: () => boolean;
}

export function kafkajsClientSupplier(options: KafkajsSupplierOptions): KafkaClientSupplier {
  installReadCommittedFilter();
  installProduceRequestEncoder();
  installFetchResponseReader();
  installJoinHold();
  installIdleRequestQueue();
  const sockets = new SocketRegistry(options.kafka.socketFactory);
  const config: KafkaConfig = {
    ...options.kafka,
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.kafka.logLevel ?? logLevel.WARN,
    logCreator: options.kafka.logCreator ?? clientLogCreator(options.logger, options.closing),
    socketFactory: sockets.factory,
  };
  const kafka = new Kafka(config);
  return {
    name: 'kafkajs',
    consumer: (consumerConfig) => new KafkajsConsumer(kafka, config.retry, consumerConfig, options.fetchSizes),
    producer: (producerConfig) => new KafkajsProducer(kafka, producerConfig),
    transactionalProducer: (producerConfig) => new KafkajsTransactionalProducer(kafka, producerConfig),
    admin: () => new KafkajsAdmin(kafka, config, options.brokers, options.logger),
    shutdown: () => sockets.shutdown(),
  };
}
