/**
 * The flagship (examples/product-analytics) as a smoke app process: the same `buildTopology` the
 * CLI's `run --bootstrap-servers` runs, on LevelDB stores, under a `KafkaStreams` the test can
 * kill with SIGKILL and restart on the state directory the kill left. Plain ESM on the built
 * packages, no TypeScript step.
 *
 * Usage: node flagship-app.mjs '<config JSON>' (or the JSON in $SMOKE_APP_CONFIG). The config:
 *   { bootstrap, applicationId, stateDir, processingGuarantee, commitIntervalMs,
 *     topics: { events, catalog, deadLetter, productAnalytics, categoryAnalytics, trends, alerts },
 *     consumer: { sessionTimeoutMs, heartbeatIntervalMs, ... }, kafka: { retry, ... } }
 *
 * It speaks JSON event lines on stdout and exits as app-process.mjs describes.
 */
import { levelStoreSuppliers } from '@tributary/example-product-analytics/dist/stores.js';
import { buildTopology } from '@tributary/example-product-analytics/dist/topology.js';
import { KafkaStreams } from '@tributary/kafka';
import { StreamsBuilder } from '@tributary/streams';
import { readConfig, runApp, streamsOptions } from './app-process.mjs';

const topicNames = ['events', 'catalog', 'deadLetter', 'productAnalytics', 'categoryAnalytics', 'trends', 'alerts'];

runApp(() => {
  const config = readConfig('flagship-app', ['bootstrap', 'applicationId', 'stateDir'], topicNames);
  const storeSuppliers = levelStoreSuppliers();
  const topology = buildTopology(new StreamsBuilder({ dslStoreSuppliers: storeSuppliers }), { storeSuppliers, topics: config.topics });
  return new KafkaStreams(topology, streamsOptions(config));
});
