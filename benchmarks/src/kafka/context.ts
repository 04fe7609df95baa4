/**
 * What every scenario shares: the broker and admin client, the run's topics, where the built
 * children are, the mode's sizes, and the data sets already loaded (one per partition count).
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import type { GeneratorOptions } from '../../../examples/product-analytics/src/generator.js';
import { Child, sleep } from './child.js';
import { dataSet, endOffset, loadRecords, type Broker, type Topics } from './cluster.js';
import { flagshipOutputTopics, topologyEnvironmentVariable, type FlagshipSettings } from './flagship.js';
import { nodeFor, type AppNodes } from './node-binaries.js';
import type { AppSettings, BenchClient, BenchGuarantee } from './protocol.js';
import { pipeOutputTopic } from './pipe-topology.js';

/**
 * The Java reference's heap cap, MB (`-Xmx`). The `heap-cap` scenarios give the Tributary app the
 * same cap on its old generation (`--max-old-space-size`), so that both runtimes size their heaps
 * against one limit.
 */
export const javaHeapMb = 1024;

/** Sizes and repetitions of a mode (`--quick` or `--full`). */
export interface ModeSettings {
  readonly name: 'quick' | 'full';
  /** Events pre-loaded for the throughput scenarios. */
  readonly events: number;
  readonly runs: number;
  readonly partitions: number;
  /** Threads of the multi-threaded variants: the machine's cores. */
  readonly cores: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly latencyWarmupSeconds: number;
  /** Products (catalog keys) of the recovery scenario. */
  readonly recoveryKeys: number;
  readonly recoveryEvents: number;
  /** Distinct keys of the keyed-state scenario (`keyed-state.ts`). */
  readonly stateKeys: number;
  /** Longest a throughput run may take before it is reported as failed. */
  readonly runTimeoutMs: number;
}

/** One loaded data set: events and catalog topics with `partitions` partitions. */
export interface DataSet {
  readonly partitions: number;
  readonly eventsTopic: string;
  readonly catalogTopic: string;
  readonly events: number;
  readonly catalogRecords: number;
  readonly generator: GeneratorOptions;
}

export interface Context {
  readonly broker: Broker;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly topics: Topics;
  /** Prefixes every topic, application id and group of this run. */
  readonly runId: string;
  readonly distDirectory: string;
  readonly scratchDirectory: string;
  readonly mode: ModeSettings;
  readonly javaJar: string;
  readonly commitIntervalMs: number;
  /** The Node binaries the app processes run on, per client. */
  readonly nodes: AppNodes;
  readonly log: (line: string) => void;
  readonly dataSets: Map<number, DataSet>;
  /** Whether the latency scenarios also time each hop (`--latency-hops`, `latency-hops.ts`). */
  readonly latencyHops: boolean;
  sequence: number;
}

/** The generator settings of the throughput data: the flagship's defaults, event time ending about now (so retention keeps it). */
function throughputGenerator(events: number): GeneratorOptions {
  const eventsPerSecond = 2_000;
  return { seed: 42, eventsPerSecond, startTime: Date.now() - Math.ceil(events / eventsPerSecond) * 1000 - 60_000 };
}

/** The mode's events in topics with `partitions` partitions, loaded once per run. */
export async function loadedData(context: Context, partitions: number): Promise<DataSet> {
  const existing = context.dataSets.get(partitions);
  if (existing !== undefined) return existing;
  const eventsTopic = `${context.runId}-p${partitions}-product-events`;
  const catalogTopic = `${context.runId}-p${partitions}-product-catalog`;
  await context.topics.create([eventsTopic, catalogTopic], partitions);
  const generator = throughputGenerator(context.mode.events);
  const started = Date.now();
  const counts = await loadRecords(context.producer, dataSet(context.mode.events, generator), { events: eventsTopic, catalog: catalogTopic });
  const end = await endOffset(context.admin, eventsTopic);
  if (end !== counts.events) throw new Error(`Loaded ${counts.events} events into ${eventsTopic} but its end offsets sum to ${end}.`);
  context.log(`loaded ${counts.events} events and ${counts.catalog} catalog records into ${partitions} partitions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const data: DataSet = { partitions, eventsTopic, catalogTopic, events: counts.events, catalogRecords: counts.catalog, generator };
  context.dataSets.set(partitions, data);
  return data;
}

/** A new name under the run's prefix, for an application id or a group. */
export function uniqueName(context: Context, what: string): string {
  context.sequence++;
  return `${context.runId}-${what}-${context.sequence}`;
}

export async function freshStateDirectory(context: Context, name: string): Promise<string> {
  const directory = join(context.scratchDirectory, name);
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  return directory;
}

/** A flagship app in the same topics, Tributary or the Java reference. */
export interface FlagshipApp {
  readonly implementation: 'tributary' | 'kafka-streams';
  readonly guarantee: BenchGuarantee;
  /** Tributary only: its Kafka client; default kafkajs. */
  readonly client?: BenchClient;
  readonly threads: number;
  readonly commitIntervalMs: number;
  readonly sessionTimeoutMs?: number;
  /** Tributary only: run with the engine's per-record metric sensors off, to measure what they cost. */
  readonly metricsOff?: boolean;
  /** Tributary only: the stateless pipe (`pipe-topology.ts`) instead of the flagship. */
  readonly topology?: 'flagship' | 'pipe';
  /**
   * Tributary only: the app's V8 semi-space, MB (`--max-semi-space-size`); V8's default when
   * absent (16 MB on Node 20, 64 MB on Node 24 without pointer compression).
   */
  readonly semiSpaceMb?: number;
  /**
   * Tributary only: a cap on the app's V8 old generation, MB (`--max-old-space-size`); none when
   * absent (V8 sizes it from the machine's memory, 4 GB here).
   */
  readonly oldSpaceMb?: number;
  /**
   * The record caches' budget, bytes (Tributary's `cacheMaxBytes`, Kafka Streams'
   * `statestore.cache.max.bytes`); each implementation's default (10 MiB) when absent. 0 turns
   * the caches off: every update is forwarded as it happens, not at the next commit.
   */
  readonly cacheMaxBytes?: number;
  /** Tributary only: how often the app prints its metrics line, ms; 200 when absent (the Java reference prints one a second). */
  readonly metricsIntervalMs?: number;
}

/** Creates the outputs and starts the app as a child process; its group id is `applicationId`. */
export async function startFlagship(context: Context, app: FlagshipApp, data: Pick<DataSet, 'eventsTopic' | 'catalogTopic' | 'partitions'>, applicationId: string, stateDirectory: string): Promise<Child> {
  const flagship: FlagshipSettings = { eventsTopic: data.eventsTopic, catalogTopic: data.catalogTopic, outputPrefix: `${applicationId}-out-`, emitFinalOnly: false };
  await context.topics.create(app.topology === 'pipe' ? [pipeOutputTopic(flagship)] : flagshipOutputTopics(flagship), data.partitions);
  if (app.implementation === 'tributary') {
    const settings: AppSettings = {
      applicationId,
      bootstrapServers: context.broker.bootstrap,
      stateDir: stateDirectory,
      guarantee: app.guarantee,
      ...(app.client === undefined ? {} : { client: app.client }),
      threads: app.threads,
      commitIntervalMs: app.commitIntervalMs,
      metricsIntervalMs: app.metricsIntervalMs ?? 200,
      ...(app.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: app.cacheMaxBytes }),
      ...(app.metricsOff === true ? { metricsOff: true } : {}),
      ...(app.topology === undefined ? {} : { topology: app.topology }),
      ...(app.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: app.sessionTimeoutMs, heartbeatIntervalMs: Math.floor(app.sessionTimeoutMs / 3) }),
    };
    const nodeFlags = [
      ...(app.semiSpaceMb === undefined ? [] : [`--max-semi-space-size=${app.semiSpaceMb}`]),
      ...(app.oldSpaceMb === undefined ? [] : [`--max-old-space-size=${app.oldSpaceMb}`]),
    ];
    return new Child(applicationId, nodeFor(context.nodes, app.client).path, [...nodeFlags, join(context.distDirectory, 'app.js'), JSON.stringify(settings)], { [topologyEnvironmentVariable]: JSON.stringify(flagship) });
  }
  const args = [`-Xmx${javaHeapMb}m`, '-jar', context.javaJar, '--bootstrap-servers', context.broker.bootstrap, '--application-id', applicationId];
  args.push('--events-topic', data.eventsTopic, '--catalog-topic', data.catalogTopic, '--output-prefix', flagship.outputPrefix);
  args.push('--guarantee', app.guarantee === 'at_least_once' ? 'at_least_once' : 'exactly_once_v2', '--threads', String(app.threads));
  args.push('--state-dir', stateDirectory, '--commit-interval-ms', String(app.commitIntervalMs));
  if (app.cacheMaxBytes !== undefined) args.push('--cache-max-bytes', String(app.cacheMaxBytes));
  return new Child(applicationId, 'java', args);
}

/** Why the Java reference cannot run, or undefined when its jar is there. */
export function javaUnavailable(context: Context): string | undefined {
  return existsSync(context.javaJar) ? undefined : 'skipped: reference jar not built';
}

/** Waits until the child says RUNNING; throws its failure or a timeout. */
export async function waitForRunning(child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (child.runningAt === undefined) {
    const failure = child.failure();
    if (failure !== undefined) throw new Error(failure);
    if (Date.now() > deadline) throw new Error(`${child.label} was not RUNNING within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}
