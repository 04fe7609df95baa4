/**
 * The Kafka client supplier the client contract test runs against, the one `TRIBUTARY_CLIENT`
 * names (client-option.mjs reads it, for every test). Loaded from the sources, as the kafkajs
 * supplier is internal to `@tributary/kafka`. The exactly-once tests run the exactly-once
 * `TRIBUTARY_EXACTLY_ONCE` names: `exactly_once` (v1, the default) or `exactly_once_v2` (which
 * needs `TRIBUTARY_CLIENT=platformatic`).
 */
import { silentLogger } from '@tributary/streams';
import type { KafkaClientSupplier } from '../../../packages/kafka/src/client/kafka-client.js';
import { clientName, clientOption } from './client-option.mjs';
import { bootstrapServers } from './kafka.js';

/** A supplier of the client under test, for the test broker; shut down by the caller. */
export async function supplierUnderTest(clientId: string): Promise<KafkaClientSupplier> {
  const brokers = bootstrapServers().split(',');
  if (clientName === 'platformatic') {
    const { platformaticClient } = await import('../../../packages/kafka/src/platformatic.js');
    return platformaticClient({ brokers, clientId });
  }
  const { kafkajsClientSupplier } = await import('../../../packages/kafka/src/client/internal/kafkajs-supplier.js');
  const { DEFAULT_KAFKAJS_FETCH_SIZES } = await import('../../../packages/kafka/src/client/internal/kafkajs-consumer.js');
  return kafkajsClientSupplier({ kafka: { retry: { retries: 5 } }, clientId, brokers, fetchSizes: DEFAULT_KAFKAJS_FETCH_SIZES, logger: silentLogger, closing: () => false });
}

/** Which exactly-once the exactly-once tests run. */
export type ExactlyOnceUnderTest = 'exactly_once' | 'exactly_once_v2';

/** The exactly-once named by `TRIBUTARY_EXACTLY_ONCE`; anything else is an error, never a silent default. */
export function exactlyOnceUnderTest(): ExactlyOnceUnderTest {
  const name = process.env.TRIBUTARY_EXACTLY_ONCE ?? 'exactly_once';
  if (name !== 'exactly_once' && name !== 'exactly_once_v2') throw new Error(`TRIBUTARY_EXACTLY_ONCE must be 'exactly_once' or 'exactly_once_v2', not '${name}'.`);
  return name;
}

/**
 * The `KafkaStreams` options of an exactly-once test: the guarantee under test, and the client
 * under test (from the published entry point; none on kafkajs, the default).
 */
export function exactlyOnceOptions(clientId: string): { processingGuarantee: ExactlyOnceUnderTest } & ReturnType<typeof clientOption> {
  return { processingGuarantee: exactlyOnceUnderTest(), ...clientOption(bootstrapServers(), clientId) };
}
