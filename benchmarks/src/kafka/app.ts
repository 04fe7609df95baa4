/**
 * The Tributary app of the Kafka benchmarks, run by the runner as a child process (so its CPU
 * and memory are its own and `kill -9` is real): the flagship topology (or the stateless pipe) on `KafkaStreams` with
 * the guarantee, thread count and Kafka client (kafkajs or @platformatic/kafka) it is given.
 * Prints its state changes and, every `metricsIntervalMs`, its metrics (with its commits, what held
 * its event loop (`app-timing.ts`), and on @platformatic/kafka the transactions it committed);
 * closes on SIGTERM. An option the runtime
 * rejects ends it with an `error` line, which the runner reports as the scenario's failure
 * (`checkOnly`: the app only constructs `KafkaStreams` and says whether it accepted the options).
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { KafkaStreams, type KafkaStreamsOptions } from '@tributary/kafka';
import type { Logger } from '@tributary/streams';
import { perRecordSensorsOffConfig } from '@tributary/streams/engine';
import { AppTimingSampler } from './app-timing.js';
import { appLogEnvironmentVariable } from './child.js';
import { countingTransactions } from './counting-client.js';
import { buildFlagship, clientEnvironmentVariable, platformaticSupplier, settingsFromEnvironment } from './flagship.js';
import { buildKeyedState } from './keyed-state-topology.js';
import { buildPipe } from './pipe-topology.js';
import { emit, errorMessage, type AppSettings } from './protocol.js';
import { reportingSlowTransactionCalls } from './slow-transaction-calls.js';

/** The stream threads' commits so far: the sum of their `commit-total`. */
function commitTotal(metrics: ReturnType<KafkaStreams['metrics']>): number {
  let total = 0;
  for (const metric of metrics.all) if (metric.name === 'commit-total' && metric.group === 'stream-thread-metrics') total += metric.value;
  return total;
}

/** The longest `commit-latency-avg` of the stream threads, ms; `undefined` before the first commit. */
function commitLatencyAvg(metrics: ReturnType<KafkaStreams['metrics']>): number | undefined {
  let longest: number | undefined;
  for (const metric of metrics.all) {
    if (metric.name === 'commit-latency-avg' && metric.group === 'stream-thread-metrics' && Number.isFinite(metric.value)) longest = Math.max(longest ?? 0, metric.value);
  }
  return longest;
}

/** Whether the runner keeps this app's stderr (`child.ts`): then the runtime's debug log goes there too, timestamped. */
const diagnosing = (process.env[appLogEnvironmentVariable] ?? '') !== '';

const logLine = (level: string, message: string, fields: unknown): void => console.error(`${new Date().toISOString()} ${level}: ${message}`, fields === undefined ? '' : JSON.stringify(fields));

/** Transactional calls at least this long are logged when diagnosing. */
const slowCallMs = 200;

const logger: Logger = {
  debug: (message, fields) => {
    if (diagnosing) logLine('debug', message, fields);
  },
  info: (message, fields) => {
    if (diagnosing) logLine('info', message, fields);
  },
  warn: (message, fields) => logLine('warn', message, fields),
  error: (message, fields) => logLine('error', message, fields),
};

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as AppSettings;
  await mkdir(settings.stateDir, { recursive: true });
  // On @platformatic/kafka the app counts its transactions (one stream thread: see counting-client.ts).
  const base = settings.client === 'platformatic' ? await platformaticSupplier(settings.bootstrapServers) : undefined;
  const traced = base === undefined || !diagnosing ? base : reportingSlowTransactionCalls(base, slowCallMs, (call) => logLine('slow', `${call.method} of ${call.transactionalId} took ${call.durationMs} ms`, call));
  const counting = traced === undefined ? undefined : countingTransactions(traced);
  if (settings.client === 'platformatic') process.env[clientEnvironmentVariable] = 'platformatic'; // for the worker threads' createOptions()
  const options: KafkaStreamsOptions = {
    applicationId: settings.applicationId,
    bootstrapServers: settings.bootstrapServers,
    stateDir: settings.stateDir,
    // 'exactly_once_v2' goes to the runtime as it is, whether this build's type names it or not: a runtime that does not know it refuses it.
    processingGuarantee: settings.guarantee as KafkaStreamsOptions['processingGuarantee'],
    ...(counting === undefined ? {} : { client: counting.supplier }),
    commitIntervalMs: settings.commitIntervalMs,
    ...(settings.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: settings.cacheMaxBytes }),
    logger,
    ...(settings.metricsOff === true ? { appConfigs: { [perRecordSensorsOffConfig]: true } } : {}),
    ...(settings.sessionTimeoutMs === undefined ? {} : { consumer: { sessionTimeoutMs: settings.sessionTimeoutMs, heartbeatIntervalMs: settings.heartbeatIntervalMs } }),
    ...(settings.threads > 1 ? { numStreamThreads: settings.threads, threadModule: fileURLToPath(new URL('./flagship.js', import.meta.url)) } : {}),
  };
  const builders = { pipe: buildPipe, 'keyed-state': buildKeyedState, flagship: buildFlagship };
  const topology = builders[settings.topology ?? 'flagship'](settingsFromEnvironment());
  const app = new KafkaStreams(topology, options);
  if (settings.checkOnly === true) {
    emit({ event: 'accepted' });
    process.exit(0);
  }
  app.onStateChange((state) => emit({ event: 'state', state, ts: Date.now() }));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await app.close({ timeoutMs: 20_000 });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const timing = new AppTimingSampler();
  const timer = setInterval(() => {
    const metrics = app.metrics();
    const transactions = settings.threads === 1 ? counting?.transactions() : undefined;
    emit({ event: 'metrics', processed: metrics.processed, restored: metrics.restored, tasks: metrics.tasks, commits: commitTotal(metrics), commitLatencyAvgMs: commitLatencyAvg(metrics), ...(transactions === undefined ? {} : { transactions }), timing: timing.take(metrics), ts: Date.now() });
  }, settings.metricsIntervalMs);
  await app.start();
}

main().catch((error: unknown) => {
  emit({ event: 'error', message: errorMessage(error) });
  process.exit(1);
});
