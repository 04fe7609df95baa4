/**
 * The one place the integration tests pick the Kafka client their `KafkaStreams` instances run
 * on: `TRIBUTARY_CLIENT=platformatic` (Node >= 22.22 or >= 24.6; `pnpm test:platformatic`) or
 * kafkajs, the default. The in-process helpers (client-under-test.ts, streams-app.ts), the smoke
 * app processes (smoke/app-process.mjs) and the thread modules and fixture processes
 * (fixtures/*.mjs, smoke/iq-topology.mjs) all take the option from here; child processes inherit
 * the variable. Plain ESM, so that processes run without a TypeScript step; the smoke apps' copies
 * (smoke-cluster.ts) carry it along.
 */

/** @returns {'kafkajs' | 'platformatic'} */
function readClientName() {
  const name = process.env.TRIBUTARY_CLIENT ?? 'kafkajs';
  if (name !== 'kafkajs' && name !== 'platformatic') throw new Error(`TRIBUTARY_CLIENT must be 'kafkajs' or 'platformatic', not '${name}'.`);
  return name;
}

/** Which client library the run tests: `TRIBUTARY_CLIENT`; anything else is an error, never a silent default. */
export const clientName = readClientName();

// Loaded only when asked for: the entry point throws on a Node older than @platformatic/kafka supports.
const platformatic = clientName === 'platformatic' ? await import('@tributary/kafka/platformatic') : undefined;

/**
 * The `KafkaStreams` option that puts an application on the client under test: nothing on kafkajs
 * (the runtime's default supplier, built from the `kafka` option), `client: platformaticClient(...)`
 * for `bootstrapServers` (`host:port,...`) otherwise. Spread it into the options.
 */
export function clientOption(bootstrapServers, clientId) {
  if (platformatic === undefined) return {};
  return { client: platformatic.platformaticClient({ brokers: bootstrapServers.split(','), clientId }) };
}

/**
 * A thread module's `createOptions()` (see `numStreamThreads`): a client supplier cannot cross to
 * a worker thread, so each worker makes its own client under test here.
 *
 * @param {{ threadIndex: number, options: { bootstrapServers: string, applicationId: string } }} context
 */
export function createThreadOptions({ threadIndex, options }) {
  return clientOption(options.bootstrapServers, `${options.applicationId}-StreamThread-${threadIndex}`);
}
