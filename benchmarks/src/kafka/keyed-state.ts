/**
 * Keyed state (issue #15): memory with a million keys of state, while the state is built and
 * while it is restored from its changelog. The runner loads `stateKeys` records with distinct
 * keys (`key-0000000`, ...; 4 partitions), runs Tributary (at-least-once, one thread, LevelDB,
 * defaults) over them with a count per key (`keyed-state-topology.ts`) until the group has
 * committed every record, stops it (SIGTERM: a clean close and checkpoint), deletes its state
 * directory, as a lost disk or a new machine would have it, and starts it again with the same
 * application id, which restores the `counts` store from its changelog before it runs.
 *
 * Measured: the build's events/s, CPU per event and peak RSS (VmHWM) with the state directory's
 * size at its end; then the restore's records (`metrics().restored`), its time (from the second
 * process's start to the first metrics line with the final restored count, the process's
 * start-up included), its rate and the second process's peak RSS. Memory is bounded by
 * configuration, not by the key count: the record cache (`cacheMaxBytes`), the store's in-memory
 * key index (`indexMaxEntries`, which a million keys outgrow), LevelDB's block cache and write
 * buffer per store and task, the consumer's fetch sizes, and V8's heap: the app runs with
 * `--max-old-space-size=256` (`appHeapMb`), Node's counterpart of the `-Xmx1g` the Java
 * reference runs with, and `--max-semi-space-size=16` (`appSemiSpaceMb`, Node 20's default young
 * generation, a quarter of Node 24's). Without it V8 lets garbage grow the old generation to several times the
 * live heap between full collections (benchmarks/README.md has both runs). `keyed-state-pf` runs
 * it on @platformatic/kafka; each runs on the Node its client's apps run on (`--app-node`).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Child, sleep } from './child.js';
import { committedOffset, endOffset } from './cluster.js';
import { freshStateDirectory, uniqueName, waitForRunning, type Context } from './context.js';
import { topologyEnvironmentVariable, type FlagshipSettings } from './flagship.js';
import { keyedStateOutputTopic, keyedStateStoreName } from './keyed-state-topology.js';
import { nodeFor } from './node-binaries.js';
import type { AppSettings, BenchClient } from './protocol.js';

export interface KeyedStateMeasurement {
  readonly keys: number;
  /** Building the state: every key once, from the first record processed to the last committed. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly cpuMicrosecondsPerEvent: number;
  readonly peakRssBytes: number;
  /** The state directory at the end of the build. */
  readonly stateBytes: number;
  /** Changelog records the restarted instance restored into its empty state directory. */
  readonly restoredRecords: number;
  /** The changelog's records (its end offsets): what a complete restore reads. */
  readonly changelogRecords: number;
  /** From the restarted process's start to its last restored record. */
  readonly restoreSeconds: number;
  readonly restoreRate: number;
  readonly restorePeakRssBytes: number;
}

/** The app's V8 old-generation cap, MB: about twice its live heap at the bounds above. */
const appHeapMb = 256;

/**
 * The app's V8 semi-space, MB: Node 20's default. Node 24's (64 MB, two of them) alone kept a
 * million-key build at 485 MB of RSS on either client (benchmarks/README.md, "Memory on Node 24").
 */
const appSemiSpaceMb = 16;

/** How long the restored count must stand still, with the instance RUNNING, to count as the end of the restore. */
const settleMs = 1_500;

async function loadKeys(context: Context, topic: string, keys: number): Promise<void> {
  const value = Buffer.from('{"amount":1}');
  const inFlight = new Set<Promise<unknown>>();
  for (let from = 0; from < keys; from += 1_000) {
    const messages = [];
    for (let index = from; index < Math.min(from + 1_000, keys); index++) messages.push({ key: `key-${String(index).padStart(7, '0')}`, value });
    const sending = context.producer.send({ topic, messages, acks: -1 });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending)).catch(() => {});
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

function startApp(context: Context, client: BenchClient, applicationId: string, stateDirectory: string, topology: FlagshipSettings): Child {
  const settings: AppSettings = {
    applicationId,
    bootstrapServers: context.broker.bootstrap,
    stateDir: stateDirectory,
    guarantee: 'at_least_once',
    ...(client === 'kafkajs' ? {} : { client }),
    threads: 1,
    commitIntervalMs: context.commitIntervalMs,
    metricsIntervalMs: 200,
    topology: 'keyed-state',
  };
  const args = [`--max-old-space-size=${appHeapMb}`, `--max-semi-space-size=${appSemiSpaceMb}`, join(context.distDirectory, 'app.js'), JSON.stringify(settings)];
  return new Child(applicationId, nodeFor(context.nodes, client).path, args, { [topologyEnvironmentVariable]: JSON.stringify(topology) });
}

/** The scenario on `client` (kafkajs by default), its app on the Node the runner gives that client's apps. */
export async function runKeyedState(context: Context, client: BenchClient = 'kafkajs'): Promise<KeyedStateMeasurement> {
  const keys = context.mode.stateKeys;
  const applicationId = uniqueName(context, 'keyed-state');
  const eventsTopic = `${applicationId}-keys`;
  const topology: FlagshipSettings = { eventsTopic, catalogTopic: eventsTopic, outputPrefix: `${applicationId}-out-`, emitFinalOnly: false };
  await context.topics.create([eventsTopic, keyedStateOutputTopic(topology)], context.mode.partitions);
  const loadStarted = Date.now();
  await loadKeys(context, eventsTopic, keys);
  context.log(`loaded ${keys} distinct keys into ${eventsTopic} in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);

  // 1. Build the state.
  const stateDirectory = await freshStateDirectory(context, applicationId);
  const builder = startApp(context, client, applicationId, stateDirectory, topology);
  let build: Pick<KeyedStateMeasurement, 'seconds' | 'eventsPerSecond' | 'cpuMicrosecondsPerEvent' | 'peakRssBytes' | 'stateBytes'>;
  try {
    const deadline = Date.now() + context.mode.runTimeoutMs;
    let startCpu: number | undefined;
    let startAt: number | undefined;
    for (;;) {
      const failure = builder.failure();
      if (failure !== undefined) throw new Error(failure);
      if (Date.now() > deadline) throw new Error(`building the state timed out after ${context.mode.runTimeoutMs / 1000} s (processed ${builder.lastMetrics?.processed ?? 0})`);
      if (startAt === undefined && builder.firstProcessing !== undefined) {
        startAt = builder.firstProcessing.ts;
        startCpu = builder.cpuMs();
      }
      if (startAt !== undefined && (await committedOffset(context.admin, applicationId, eventsTopic).catch(() => 0)) >= keys) break;
      await sleep(200);
    }
    const endAt = Date.now();
    const seconds = (endAt - startAt) / 1000;
    const cpuMs = (builder.cpuMs() ?? 0) - (startCpu ?? 0);
    const peakRssBytes = builder.peakRss() ?? 0;
    await builder.stop();
    build = { seconds, eventsPerSecond: keys / seconds, cpuMicrosecondsPerEvent: (cpuMs * 1000) / keys, peakRssBytes, stateBytes: directoryBytes(stateDirectory) };
  } finally {
    await builder.stop();
  }
  context.log(`keyed state built: ${JSON.stringify(build)}`);

  // 2. Restore it from the changelog into an empty state directory.
  const changelogRecords = await endOffset(context.admin, `${applicationId}-${keyedStateStoreName}-changelog`);
  const restoreDirectory = await freshStateDirectory(context, applicationId);
  const startedAt = Date.now();
  const restorer = startApp(context, client, applicationId, restoreDirectory, topology);
  try {
    await waitForRunning(restorer, context.mode.runTimeoutMs);
    const deadline = Date.now() + context.mode.runTimeoutMs;
    for (;;) {
      const failure = restorer.failure();
      if (failure !== undefined) throw new Error(failure);
      if (Date.now() > deadline) throw new Error(`the restore did not settle within ${context.mode.runTimeoutMs / 1000} s (restored ${restorer.lastMetrics?.restored ?? 0} of ${changelogRecords})`);
      const last = restorer.lastMetrics;
      const restored = last?.restored ?? 0;
      const reachedAt = restorer.metrics.find((line) => (line.restored ?? 0) >= restored)?.ts;
      if (last !== undefined && restored > 0 && reachedAt !== undefined && restorer.state === 'RUNNING' && last.ts - reachedAt >= settleMs) {
        const restoreSeconds = (reachedAt - startedAt) / 1000;
        return { keys, ...build, restoredRecords: restored, changelogRecords, restoreSeconds, restoreRate: restored / restoreSeconds, restorePeakRssBytes: restorer.peakRss() ?? 0 };
      }
      await sleep(200);
    }
  } finally {
    await restorer.stop();
  }
}

function directoryBytes(directory: string): number {
  return Number(execFileSync('du', ['-sb', directory], { encoding: 'utf8' }).split('\t')[0]);
}
