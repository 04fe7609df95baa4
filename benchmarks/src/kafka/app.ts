/**
 * The Tributary app of the Kafka benchmarks, run by the runner as a child process (so its CPU
 * and memory are its own and `kill -9` is real): the flagship topology (or the stateless pipe) on `KafkaStreams` with
 * the guarantee and thread count it is given. Prints its state changes and, every
 * `metricsIntervalMs`, its metrics; closes on SIGTERM. An option the runtime rejects ends it
 * with an `error` line, which the runner reports as the scenario's failure.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { KafkaStreams, type KafkaStreamsOptions } from '@tributary/kafka';
import type { Logger } from '@tributary/streams';
import { perRecordSensorsOffConfig } from '@tributary/streams/engine';
import { buildFlagship, settingsFromEnvironment } from './flagship.js';
import { buildKeyedState } from './keyed-state-topology.js';
import { buildPipe } from './pipe-topology.js';
import { emit, errorMessage, type AppSettings } from './protocol.js';

const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => console.error(`warn: ${message}`, fields === undefined ? '' : JSON.stringify(fields)),
  error: (message, fields) => console.error(`error: ${message}`, fields === undefined ? '' : JSON.stringify(fields)),
};

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as AppSettings;
  await mkdir(settings.stateDir, { recursive: true });
  const options: KafkaStreamsOptions = {
    applicationId: settings.applicationId,
    bootstrapServers: settings.bootstrapServers,
    stateDir: settings.stateDir,
    processingGuarantee: settings.guarantee,
    commitIntervalMs: settings.commitIntervalMs,
    logger,
    ...(settings.metricsOff === true ? { appConfigs: { [perRecordSensorsOffConfig]: true } } : {}),
    ...(settings.sessionTimeoutMs === undefined ? {} : { consumer: { sessionTimeoutMs: settings.sessionTimeoutMs, heartbeatIntervalMs: settings.heartbeatIntervalMs } }),
    ...(settings.threads > 1 ? { numStreamThreads: settings.threads, threadModule: fileURLToPath(new URL('./flagship.js', import.meta.url)) } : {}),
  };
  const builders = { pipe: buildPipe, 'keyed-state': buildKeyedState, flagship: buildFlagship };
  const topology = builders[settings.topology ?? 'flagship'](settingsFromEnvironment());
  const app = new KafkaStreams(topology, options);
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
  const timer = setInterval(() => {
    const metrics = app.metrics();
    emit({ event: 'metrics', processed: metrics.processed, restored: metrics.restored, tasks: metrics.tasks, ts: Date.now() });
  }, settings.metricsIntervalMs);
  await app.start();
}

main().catch((error: unknown) => {
  emit({ event: 'error', message: errorMessage(error) });
  process.exit(1);
});
