/**
 * The Kafka client supplier the client contract test runs against: `TRIBUTARY_CLIENT=platformatic`
 * (Node >= 22.22 or >= 24.6; `pnpm test:platformatic`) or kafkajs, the default. Loaded from the
 * sources, as the kafkajs supplier is internal to `@tributary/kafka`.
 */
import { silentLogger } from '@tributary/streams';
import type { KafkaClientSupplier } from '../../../packages/kafka/src/client/kafka-client.js';
import { bootstrapServers } from './kafka.js';

/** Which client library the run tests. */
export type ClientName = 'kafkajs' | 'platformatic';

/** The client named by `TRIBUTARY_CLIENT`; anything else is an error, never a silent default. */
export function clientUnderTest(): ClientName {
  const name = process.env.TRIBUTARY_CLIENT ?? 'kafkajs';
  if (name !== 'kafkajs' && name !== 'platformatic') throw new Error(`TRIBUTARY_CLIENT must be 'kafkajs' or 'platformatic', not '${name}'.`);
  return name;
}

/** A supplier of the client under test, for the test broker; shut down by the caller. */
export async function supplierUnderTest(clientId: string): Promise<KafkaClientSupplier> {
  const brokers = bootstrapServers().split(',');
  if (clientUnderTest() === 'platformatic') {
    const { platformaticClient } = await import('../../../packages/kafka/src/platformatic.js');
    return platformaticClient({ brokers, clientId });
  }
  const { kafkajsClientSupplier } = await import('../../../packages/kafka/src/client/internal/kafkajs-supplier.js');
  return kafkajsClientSupplier({ kafka: { retry: { retries: 5 } }, clientId, brokers, logger: silentLogger, closing: () => false });
}
