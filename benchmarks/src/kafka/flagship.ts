/**
 * The flagship topology as the Kafka benchmarks run it: the product-analytics `buildTopology`
 * on LevelDB stores, with the run's topic names. It is also the `threadModule` of
 * `numStreamThreads > 1`: each stream thread imports it and calls `createTopology()`, reading the
 * topic names from the environment the runner gave the app process (worker threads inherit it).
 */
import type { KafkaClientSupplier, KafkaStreamsOptions, StreamThreadContext } from '@tributary/kafka';
import { StreamsBuilder, type Topology } from '@tributary/streams';
import { levelStoreSuppliers } from '../../../examples/product-analytics/src/stores.js';
import { buildTopology, defaultOptions, type ProductAnalyticsTopics } from '../../../examples/product-analytics/src/topology.js';

/** What the topology needs to know of a run; passed to the app as JSON in {@link topologyEnvironmentVariable}. */
export interface FlagshipSettings {
  readonly eventsTopic: string;
  readonly catalogTopic: string;
  /** Prefixes the default output topic names (`<prefix>product-analytics`, ...). */
  readonly outputPrefix: string;
  readonly emitFinalOnly: boolean;
}

export const topologyEnvironmentVariable = 'TRIBUTARY_BENCH_TOPOLOGY';

/** Names the app's Kafka client (`'platformatic'`, or unset for kafkajs); the app sets it for its worker threads. */
export const clientEnvironmentVariable = 'TRIBUTARY_BENCH_CLIENT';

/** The topics a run of the flagship reads and writes. */
export function flagshipTopics(settings: FlagshipSettings): ProductAnalyticsTopics {
  const defaults = defaultOptions.topics;
  return {
    events: settings.eventsTopic,
    catalog: settings.catalogTopic,
    deadLetter: settings.outputPrefix + defaults.deadLetter,
    productAnalytics: settings.outputPrefix + defaults.productAnalytics,
    categoryAnalytics: settings.outputPrefix + defaults.categoryAnalytics,
    trends: settings.outputPrefix + defaults.trends,
    alerts: settings.outputPrefix + defaults.alerts,
  };
}

/** The output topics of a run, which the runner creates before the app starts. */
export function flagshipOutputTopics(settings: FlagshipSettings): string[] {
  const { events: _events, catalog: _catalog, ...outputs } = flagshipTopics(settings);
  return Object.values(outputs);
}

export function buildFlagship(settings: FlagshipSettings): Topology {
  const storeSuppliers = levelStoreSuppliers();
  return buildTopology(new StreamsBuilder({ dslStoreSuppliers: storeSuppliers }), {
    storeSuppliers,
    emitFinalOnly: settings.emitFinalOnly,
    topics: flagshipTopics(settings),
  });
}

/** The settings the runner put in the environment. */
export function settingsFromEnvironment(): FlagshipSettings {
  const text = process.env[topologyEnvironmentVariable];
  if (text === undefined) throw new Error(`${topologyEnvironmentVariable} is not set: the benchmark runner sets it for the app process.`);
  return JSON.parse(text) as FlagshipSettings;
}

/** The thread module's entry point: a fresh topology per stream thread. */
export function createTopology(): Topology {
  return buildFlagship(settingsFromEnvironment());
}

/**
 * Clients on @platformatic/kafka for `bootstrapServers`. Imported only when asked for: the entry
 * point refuses to load below Node 22.22, and the kafkajs runs may be on Node 20.
 */
export async function platformaticSupplier(bootstrapServers: string | readonly string[]): Promise<KafkaClientSupplier> {
  const { platformaticClient } = await import('@tributary/kafka/platformatic');
  const brokers = typeof bootstrapServers === 'string' ? bootstrapServers.split(',') : bootstrapServers;
  return platformaticClient({ brokers, clientId: 'tributary-bench' });
}

/** The thread module's options: each worker's own @platformatic/kafka clients when the app runs on them (a supplier cannot cross to a worker). */
export async function createOptions(context: StreamThreadContext): Promise<Partial<KafkaStreamsOptions>> {
  if (process.env[clientEnvironmentVariable] !== 'platformatic') return {};
  return { client: await platformaticSupplier(context.options.bootstrapServers) };
}
