/**
 * The Kafka client supplier the client contract test runs against, the one `TRIBUTARY_CLIENT`
 * names (client-option.mjs reads it, for every test). Loaded from the sources, as the kafkajs
 * supplier is internal to `@tributary/kafka`.
 */
import { silentLogger } from '@tributary/streams';
import type { KafkaClientSupplier } from '../../../packages/kafka/src/client/kafka-client.js';
import { clientName } from './client-option.mjs';
import { bootstrapServers } from './kafka.js';

/** A supplier of the client under test, for the test broker; shut down by the caller. */
export async function supplierUnderTest(clientId: string): Promise<KafkaClientSupplier> {
  const brokers = bootstrapServers().split(',');
  if (clientName === 'platformatic') {
    const { platformaticClient } = await import('../../../packages/kafka/src/platformatic.js');
    return platformaticClient({ brokers, clientId });
  }
  const { kafkajsClientSupplier } = await import('../../../packages/kafka/src/client/internal/kafkajs-supplier.js');
  return kafkajsClientSupplier({ kafka: { retry: { retries: 5 } }, clientId, brokers, logger: silentLogger, closing: () => false });
}
