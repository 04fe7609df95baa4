/**
 * The {@link KafkaClientSupplier} on @platformatic/kafka: every client built from the same base
 * options, each one remembered so `shutdown()` closes them all (force-closing, so no connection
 * keeps the process alive), and one admin client shared for the transactional producers'
 * group coordinator lookups.
 */
import type { Admin } from '@platformatic/kafka';
import type { KafkaClientSupplier } from '../kafka-client.js';
import { PlatformaticAdmin } from './platformatic-admin.js';
import { PlatformaticConsumer } from './platformatic-consumer.js';
import type { FetchSizes } from './platformatic-fetch-sizes.js';
import { groupCoordinatorLookup, PlatformaticProducer, PlatformaticTransactionalProducer, type PlatformaticBaseOptions } from './platformatic-producer.js';

interface Closable {
  disconnect(): Promise<void>;
}

export function platformaticSupplier(options: PlatformaticBaseOptions, brokers: readonly string[], fetchSizes: FetchSizes): KafkaClientSupplier {
  const open = new Set<Closable>();
  const track = <T extends Closable>(client: T): T => {
    open.add(client);
    return client;
  };
  let lookupAdmin: PlatformaticAdmin | undefined;
  const admin = (): Admin => (lookupAdmin ??= track(new PlatformaticAdmin(options, brokers))).client;
  return {
    name: 'platformatic',
    groupFencedOffsetCommits: true,
    consumer: (config) => track(new PlatformaticConsumer(options, config, fetchSizes)),
    producer: (producerConfig) => track(new PlatformaticProducer(options, producerConfig)),
    transactionalProducer: (config) => track(new PlatformaticTransactionalProducer(options, config, groupCoordinatorLookup(admin))),
    admin: () => track(new PlatformaticAdmin(options, brokers)),
    shutdown: () => {
      for (const client of open) client.disconnect().catch(() => {});
      open.clear();
      lookupAdmin = undefined;
    },
  };
}
