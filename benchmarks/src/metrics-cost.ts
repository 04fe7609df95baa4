/**
 * What the metrics cost at `INFO`: the flagship topology on the `EmbeddedRunner` (LevelDB stores,
 * a commit every 1000 ms), run in one process in rounds that alternate the engine's per-record
 * sensors on and off (the internal `perRecordSensorsOffConfig`), over the same generated records.
 * Alternating in one process makes both sides share the machine's load as it drifts, which a
 * shared 2-core machine needs: separate processes minutes apart differ by more than the cost.
 * Each round is timed in CPU time (`process.cpuUsage`) and wall time; the summary is the median
 * of each side and the median of the paired ratios (on / off, each pair run back to back).
 *
 * `node benchmarks/dist/metrics-cost.js [--events N] [--pairs N]` (after `pnpm --filter
 * @tributary/benchmarks... run build`).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedRunner, type Logger } from '@tributary/streams';
import { perRecordSensorsOffConfig } from '@tributary/streams/engine';
import { generateDataSet } from '../../examples/product-analytics/src/generator.js';
import { buildFlagship } from './kafka/flagship.js';
import { describeMachine } from './harness.js';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (message) => console.error(`error: ${message}`) };

interface Round {
  readonly cpuNsPerEvent: number;
  readonly wallNsPerEvent: number;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} takes a positive integer, got ${process.argv[index + 1]}.`);
  return value;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function round(records: ReturnType<typeof generateDataSet>, events: number, sensorsOff: boolean, stateRoot: string, index: number): Promise<Round> {
  const topology = buildFlagship({ eventsTopic: 'product-events', catalogTopic: 'product-catalog', outputPrefix: '', emitFinalOnly: false });
  const stateDir = join(stateRoot, `round-${index}`);
  await mkdir(stateDir, { recursive: true });
  const config = { applicationId: 'metrics-cost', logger: quiet, ...(sensorsOff ? { appConfigs: { [perRecordSensorsOffConfig]: true } } : {}) };
  const runner = await EmbeddedRunner.start(topology, config, { stateDir, commitIntervalMs: 1_000 });
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  for (let record = 0; record < records.length; record++) {
    const next = records[record]!;
    runner.send(next.stream === 'events' ? 'product-events' : 'product-catalog', next.key, next.value, { timestamp: next.timestamp });
    // Yield now and then, so the commit timer fires as it would under load.
    if (record % 2_000 === 1_999) await new Promise((resolve) => setImmediate(resolve));
  }
  await runner.commit();
  const wallNs = Number(process.hrtime.bigint() - wallBefore);
  const cpu = process.cpuUsage(cpuBefore);
  await runner.close();
  await rm(stateDir, { recursive: true, force: true });
  return { cpuNsPerEvent: ((cpu.user + cpu.system) * 1000) / events, wallNsPerEvent: wallNs / events };
}

async function main(): Promise<void> {
  const events = argument('--events', 40_000);
  const pairs = argument('--pairs', 8);
  const records = generateDataSet(events, { seed: 7 });
  const eventCount = records.filter((record) => record.stream === 'events').length;
  const stateRoot = await mkdtemp(join(tmpdir(), 'tributary-metrics-cost-'));
  const on: Round[] = [];
  const off: Round[] = [];
  const ratios: number[] = [];
  try {
    // A warm-up pair, not counted: the JIT and LevelDB settle.
    await round(records, eventCount, false, stateRoot, 1_000);
    await round(records, eventCount, true, stateRoot, 1_001);
    for (let pair = 0; pair < pairs; pair++) {
      // Alternate which side goes first, so neither always runs on a warmer heap.
      const onFirst = pair % 2 === 0;
      const first = await round(records, eventCount, !onFirst, stateRoot, 2 * pair);
      const second = await round(records, eventCount, onFirst, stateRoot, 2 * pair + 1);
      const [withSensors, without] = onFirst ? [first, second] : [second, first];
      on.push(withSensors);
      off.push(without);
      ratios.push(withSensors.cpuNsPerEvent / without.cpuNsPerEvent);
      console.log(`pair ${pair + 1}/${pairs}: sensors on ${withSensors.cpuNsPerEvent.toFixed(0)} CPU ns/event, off ${without.cpuNsPerEvent.toFixed(0)} (on/off ${ratios.at(-1)!.toFixed(3)})`);
    }
  } finally {
    await rm(stateRoot, { recursive: true, force: true });
  }
  const summary = {
    benchmark: 'metrics-cost',
    events: eventCount,
    pairs,
    onCpuNsPerEvent: Math.round(median(on.map((run) => run.cpuNsPerEvent))),
    offCpuNsPerEvent: Math.round(median(off.map((run) => run.cpuNsPerEvent))),
    onWallNsPerEvent: Math.round(median(on.map((run) => run.wallNsPerEvent))),
    offWallNsPerEvent: Math.round(median(off.map((run) => run.wallNsPerEvent))),
    medianPairedRatio: Number(median(ratios).toFixed(4)),
    machine: describeMachine(),
  };
  console.log(`median CPU ns/event: sensors on ${summary.onCpuNsPerEvent}, off ${summary.offCpuNsPerEvent}; median paired ratio on/off ${summary.medianPairedRatio} (${((summary.medianPairedRatio - 1) * 100).toFixed(1)} %)`);
  console.log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
