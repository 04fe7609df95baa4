/**
 * The engine alone: the flagship topology on the `EmbeddedRunner` (the engine the Kafka runtime
 * runs, with no broker), fed the same generated records as the Kafka scenarios, with LevelDB
 * stores and a commit every `commitIntervalMs`. Run as a child process; prints one `result`
 * line: the events, the timed window (first send to the end of the last commit) and the CPU
 * time the process spent in it.
 */
import { mkdir } from 'node:fs/promises';
import { EmbeddedRunner, type Logger } from '@tributary/streams';
import { perRecordSensorsOffConfig } from '@tributary/streams/engine';
import { generateDataSet, type GeneratorOptions } from '../../../examples/product-analytics/src/generator.js';
import { buildFlagship } from './flagship.js';
import { emit, errorMessage, ownPeakRssBytes } from './protocol.js';

export interface EngineSettings {
  readonly events: number;
  readonly generator: GeneratorOptions;
  readonly stateDir: string;
  readonly commitIntervalMs: number;
  /** Turn the engine's per-record metric sensors off (the metrics-cost comparison). */
  readonly metricsOff?: boolean;
}

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (message) => console.error(`error: ${message}`) };
/** Records sent between yields to the event loop, so the commit timer can fire as it would under load. */
const sliceRecords = 2_000;

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as EngineSettings;
  const records = generateDataSet(settings.events, settings.generator);
  const topology = buildFlagship({ eventsTopic: 'product-events', catalogTopic: 'product-catalog', outputPrefix: '', emitFinalOnly: false });
  await mkdir(settings.stateDir, { recursive: true });
  const runner = await EmbeddedRunner.start(topology, { applicationId: 'bench-engine', logger: quiet, ...(settings.metricsOff === true ? { appConfigs: { [perRecordSensorsOffConfig]: true } } : {}) }, { stateDir: settings.stateDir, commitIntervalMs: settings.commitIntervalMs });
  let events = 0;
  const cpuBefore = process.cpuUsage();
  const startMs = Date.now();
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    if (record.stream === 'events') events++;
    runner.send(record.stream === 'events' ? 'product-events' : 'product-catalog', record.key, record.value, { timestamp: record.timestamp });
    if (index % sliceRecords === sliceRecords - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  await runner.commit();
  const endMs = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  emit({ event: 'result', events, startMs, endMs, cpuMs: (cpu.user + cpu.system) / 1000, processed: runner.metrics().processed, peakRssBytes: ownPeakRssBytes() });
  await runner.close();
}

main().catch((error: unknown) => {
  emit({ event: 'error', message: errorMessage(error) });
  process.exit(1);
});
