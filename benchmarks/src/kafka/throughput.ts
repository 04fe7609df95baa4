/**
 * Throughput scenarios: the pipes on kafkajs and @platformatic/kafka (the ceilings), the flagship on Tributary and on Kafka
 * Streams, the engine alone, and Tributary with 1, 2 and 4 partitions. Each run reads the same
 * pre-loaded events topic from the beginning with a fresh group.
 *
 * The window of a Kafka run opens at the first sign of processing (the child's first metrics
 * line with a record processed, or the group's first committed offset, whichever the runner
 * sees first) and closes at the last record processed once the whole topology is done (every
 * sub-topology's input committed to its end, repartition topics included: `completion.ts`), the
 * time of the first metrics line that showed the final processed count. The pipe and the engine time themselves: from their first
 * record to the last one sent on (acknowledged) or committed. events/s = events / window. CPU is
 * the child's user + system time over the same window (/proc/<pid>/stat, every thread); memory
 * is its peak RSS (VmHWM) at the end.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Child, sleep } from './child.js';
import { committedOffset, groupProgress, recordsAfterCommitted, repartitionTopics, type PartitionProgress } from './cluster.js';
import { completion, countStill, windowEnd } from './completion.js';
import { commitRates } from './commit-rates.js';
import { freshStateDirectory, loadedData, startFlagship, uniqueName, type Context, type DataSet, type FlagshipApp } from './context.js';
import type { EngineSettings } from './engine.js';
import { nodeFor } from './node-binaries.js';
import type { BenchClient, PipeSettings } from './protocol.js';

/** What one throughput run measured. */
export interface ThroughputMeasurement {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** CPU seconds per wall second over the window: 1.0 is one core busy. */
  readonly cpuCores: number;
  readonly cpuMicrosecondsPerEvent: number;
  readonly peakRssBytes: number;
  /** From the window's start until the group had committed the whole topology's inputs, repartition topics included (Tributary and Kafka Streams). */
  readonly secondsToCommit?: number;
  /** Bytes in the app's state directory at the end (Tributary and Kafka Streams). */
  readonly stateBytes?: number;
  /** Records the app counted as processed at the end (input, repartition and catalog records): the same for every client on one data set. */
  readonly processed?: number;
  /** The stream threads' commits per second over the window (Tributary). */
  readonly commitsPerSecond?: number;
  /** Transactions committed per second over the window (Tributary on @platformatic/kafka, one thread). */
  readonly transactionsPerSecond?: number;
}

const pollMs = 200;

/** How long the processed count and the committed offsets must stand still before the runner reads what lies after offsets short of their end (see `completion.ts`). */
const settleMs = 1_500;

/** What a run consumes: the loaded inputs it reads, and (an app) its id, whose repartition topics it reads too. */
interface Consumed {
  readonly inputs: readonly string[];
  readonly applicationId?: string;
}

/**
 * Follows a child through a run over `data`: the window opens at the first sign of processing
 * and closes at the last record processed, once the whole topology is done: the group's
 * committed offsets on every topic the app consumes, its repartition topics included, at their
 * ends (or short of them by transaction markers alone), and the end is the first metrics line
 * that showed the final processed count. `secondsToCommit` runs to the first poll that saw the
 * committed offsets the run ended with.
 */
async function measureGroup(context: Context, child: Child, groupId: string, data: DataSet, consumed: Consumed): Promise<ThroughputMeasurement> {
  const deadline = Date.now() + context.mode.runTimeoutMs;
  const loadedInputs = new Set(consumed.inputs);
  let startAt: number | undefined;
  let committed = 0;
  let progress: PartitionProgress[] = [];
  /** The committed and end offsets of the last poll, and since when they have stood. */
  let progressKey = '';
  let progressSince = 0;
  let checkedAt = 0;
  let doneAt: number | undefined;
  let committedAt = 0;
  const cpuSamples: { at: number; cpuMs: number }[] = [];
  for (;;) {
    const failure = child.failure();
    if (failure !== undefined) throw new Error(failure);
    const now = Date.now();
    if (now > deadline) {
      const metrics = child.lastMetrics;
      const seen = metrics === undefined ? 'no metrics' : `processed ${metrics.processed}${metrics.tasks === undefined ? '' : `, tasks [${metrics.tasks.join(', ')}]`}`;
      const behind = progress.filter((entry) => entry.committed < entry.end).map((entry) => `${entry.topic}-${entry.partition} at ${entry.committed} of ${entry.end}`);
      throw new Error(`timed out after ${context.mode.runTimeoutMs / 1000} s with ${committed} of ${data.events} events committed${behind.length === 0 ? '' : ` (behind: ${behind.slice(0, 8).join(', ')}${behind.length > 8 ? ', ...' : ''})`} (app ${child.state ?? 'with no state'}, ${seen})`);
    }
    if (committed < data.events) committed = await committedOffset(context.admin, groupId, data.eventsTopic).catch(() => committed);
    const cpu = child.cpuMs();
    if (cpu !== undefined) cpuSamples.push({ at: Date.now(), cpuMs: cpu });
    if (startAt === undefined && (committed > 0 || child.firstProcessing !== undefined)) startAt = Math.min(now, child.firstProcessing?.ts ?? now);
    if (child.result !== undefined) return fromResult(child.result);
    if (startAt !== undefined && committed >= data.events && doneAt === undefined) {
      const topics = [...consumed.inputs, ...(consumed.applicationId === undefined ? [] : await repartitionTopics(context.admin, consumed.applicationId))];
      progress = await groupProgress(context.admin, groupId, topics);
      const key = JSON.stringify(progress);
      if (key !== progressKey) {
        progressKey = key;
        progressSince = now;
      }
      const state = completion(progress, loadedInputs);
      if (state.state === 'done') doneAt = now;
      else if (state.state === 'unsure' && now - progressSince >= settleMs && countStill(child.metrics, settleMs) && now - checkedAt >= settleMs) {
        checkedAt = now;
        if (!(await recordsAfterCommitted(context.broker.bootstrap, context.admin, uniqueName(context, 'probe'), state.unsure))) doneAt = Date.now();
      }
      if (doneAt !== undefined) committedAt = progressSince;
    }
    if (startAt !== undefined && doneAt !== undefined) {
      const end = child.metrics.length === 0 ? { endAt: committedAt, processed: undefined } : windowEnd(child.metrics, doneAt);
      if (end !== undefined) {
        const endAt = end.endAt;
        const seconds = (endAt - startAt) / 1000;
        // The app's metrics lines come every 200 ms: a run inside one interval has no window to divide by.
        if (seconds <= 0) throw new Error(`all ${data.events} events were processed between two metrics lines (200 ms apart), too fast to time: load more events (--events)`);
        const cpuMs = cpuAt(cpuSamples, endAt) - cpuAt(cpuSamples, startAt);
        return {
          events: data.events,
          seconds,
          eventsPerSecond: data.events / seconds,
          cpuCores: cpuMs / 1000 / seconds,
          cpuMicrosecondsPerEvent: (cpuMs * 1000) / data.events,
          peakRssBytes: child.peakRss() ?? 0,
          secondsToCommit: (committedAt - startAt) / 1000,
          ...(end.processed === undefined ? {} : { processed: end.processed }),
          ...commitRates(child.metrics, startAt, endAt),
        };
      }
    }
    await sleep(pollMs);
  }
}

/** The child's CPU time at the first sample taken at or after `at` (the last sample if none). */
function cpuAt(samples: readonly { at: number; cpuMs: number }[], at: number): number {
  return (samples.find((sample) => sample.at >= at) ?? samples[samples.length - 1])?.cpuMs ?? 0;
}

function directoryBytes(directory: string): number | undefined {
  try {
    return Number(execFileSync('du', ['-sb', directory], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return undefined;
  }
}

/** The pipe on `client` (kafkajs: `pipe.ts`; @platformatic/kafka: `pipe-platformatic.ts`) over the data set's events, into an output topic of its own. */
export async function runCeiling(context: Context, client: BenchClient = 'kafkajs'): Promise<ThroughputMeasurement> {
  const data = await loadedData(context, context.mode.partitions);
  const groupId = uniqueName(context, 'pipe');
  const outputTopic = `${groupId}-out`;
  await context.topics.create([outputTopic], data.partitions);
  const settings: PipeSettings = { groupId, bootstrapServers: context.broker.bootstrap, inputTopic: data.eventsTopic, outputTopic, partitions: data.partitions, expected: data.events, commitIntervalMs: context.commitIntervalMs, metricsIntervalMs: 200 };
  const child = new Child(groupId, nodeFor(context.nodes, client).path, [join(context.distDirectory, client === 'platformatic' ? 'pipe-platformatic.js' : 'pipe.js'), JSON.stringify(settings)]);
  try {
    // The pipes time themselves (see pipe.ts); kafkajs commits only after a batch, and after the
    // last one no batch comes, so its committed offsets would not show the end.
    return await measureGroup(context, child, groupId, data, { inputs: [data.eventsTopic] });
  } finally {
    await child.stop();
  }
}

/** The flagship (Tributary or the Java reference) over the data set with `partitions` partitions; commit interval the run's unless `app` sets one. */
export async function runFlagship(context: Context, app: Omit<FlagshipApp, 'commitIntervalMs'> & { readonly commitIntervalMs?: number }, partitions = context.mode.partitions): Promise<ThroughputMeasurement> {
  const data = await loadedData(context, partitions);
  const applicationId = uniqueName(context, app.implementation === 'tributary' ? 'tributary' : 'kstreams');
  const stateDirectory = await freshStateDirectory(context, applicationId);
  const child = await startFlagship(context, { commitIntervalMs: context.commitIntervalMs, ...app }, data, applicationId, stateDirectory);
  try {
    const inputs = app.topology === 'pipe' ? [data.eventsTopic] : [data.eventsTopic, data.catalogTopic];
    const measurement = await measureGroup(context, child, applicationId, data, { inputs, applicationId });
    const stateBytes = directoryBytes(stateDirectory);
    return stateBytes === undefined ? measurement : { ...measurement, stateBytes };
  } finally {
    await child.stop();
  }
}

/** The topology in process on the EmbeddedRunner, over the same generated records. */
export async function runEngine(context: Context, metricsOff = false): Promise<ThroughputMeasurement> {
  const data = await loadedData(context, context.mode.partitions);
  const stateDirectory = await freshStateDirectory(context, uniqueName(context, 'engine'));
  const settings: EngineSettings = { events: data.events, generator: data.generator, stateDir: stateDirectory, commitIntervalMs: context.commitIntervalMs, ...(metricsOff ? { metricsOff } : {}) };
  const child = new Child('engine', nodeFor(context.nodes, 'kafkajs').path, [join(context.distDirectory, 'engine.js'), JSON.stringify(settings)]);
  const exited = await child.waitForExit(context.mode.runTimeoutMs);
  if (!exited) {
    await child.kill();
    throw new Error(`timed out after ${context.mode.runTimeoutMs / 1000} s`);
  }
  if (child.result === undefined) throw new Error(child.failure() ?? 'the engine printed no result');
  return fromResult(child.result);
}

/** A measurement a child took of itself (the pipe and the engine know exactly when they finish). */
function fromResult(result: NonNullable<Child['result']>): ThroughputMeasurement {
  const seconds = (result.endMs - result.startMs) / 1000;
  return {
    events: result.events,
    seconds,
    eventsPerSecond: result.events / seconds,
    cpuCores: result.cpuMs / 1000 / seconds,
    cpuMicrosecondsPerEvent: (result.cpuMs * 1000) / result.events,
    peakRssBytes: result.peakRssBytes,
  };
}
