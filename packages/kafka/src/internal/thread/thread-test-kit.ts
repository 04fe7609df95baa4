/**
 * Test support for the stream thread's parts: a `StreamThread` on the in-memory cluster
 * (`client/testing/fake-kafka-cluster.ts`), reading topic `in` and writing `out`, closed with its
 * state directory when the test ends. Its interval commit never comes by itself (commits happen
 * on a revoke or a close, when the test says), so what each commit wrote is exact.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { LevelStores } from '@tributary/level';
import type { KafkaClientSupplier } from '../../client/kafka-client.js';
import type { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { resolveKafkaStreamsOptions, type KafkaStreamsOptions } from '../../options.js';
import { StreamThread } from '../stream-thread.js';
import { planTopics } from '../topic-plan.js';
import type { ThreadState } from './thread-state.js';

/** `in` to `out`, values upper-cased: no state. */
function upperCaseTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .mapValues((value) => value.toUpperCase())
    .to('out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  return builder.build();
}

/** `in` counted by key into the LevelDB store `counts` (changelog `app-counts-changelog`), each count to `out`. */
export function countTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream('in', Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .count(Materialized.as(LevelStores.persistentKeyValueStore('counts')))
    .toStream()
    .to('out', Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

/**
 * `in` forwarded to `through` as it comes (as the flagship's repartition records go out early),
 * and counted by key into the cached LevelDB store `counts`, each count to `out` at the commit (the
 * store caches).
 */
export function forwardAndCountTopology(): Topology {
  const builder = new StreamsBuilder();
  const events = builder.stream('in', Consumed.with(Serdes.String(), Serdes.String()));
  events.to('through', Produced.with(Serdes.String(), Serdes.String()));
  events
    .groupByKey()
    .count(Materialized.as(LevelStores.persistentKeyValueStore('counts')))
    .toStream()
    .to('out', Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

export interface ThreadUnderTest {
  readonly thread: StreamThread;
  /** What the thread reported to `onFatal`. */
  readonly fatal: unknown[];
  /** The thread's state at each `onRebalancing` and `onRunning` callback, in order. */
  readonly states: ThreadState[];
  /** Resolves once the first assignment runs (rejects as `start()` does). */
  readonly started: Promise<void>;
}

export interface ThreadUnderTestOptions {
  readonly topology?: Topology;
  /** Partitions of `in` (and `out`, and the changelog): 1 by default. */
  readonly partitions?: number;
  readonly options?: Partial<KafkaStreamsOptions>;
  /** The process the thread belongs to: threads of different processes may hold each other's standbys. */
  readonly processId?: string;
  /** Input topics besides `in` the topology reads, with as many partitions. */
  readonly moreInputs?: readonly string[];
  /** The clients, when a test wraps the cluster's (to hold a request back). */
  readonly client?: KafkaClientSupplier;
  /** A state directory of its own by default; threads of one process share theirs. */
  readonly stateDir?: string;
}

/** Creates the topics, starts a thread on `cluster` in group `app`, and closes it when the test ends. */
export async function startThread(cluster: FakeKafkaCluster, setup: ThreadUnderTestOptions = {}): Promise<ThreadUnderTest> {
  const partitions = setup.partitions ?? 1;
  cluster.createTopic('in', partitions);
  cluster.createTopic('out', partitions);
  cluster.createTopic('app-counts-changelog', partitions);
  const inputs = ['in', ...(setup.moreInputs ?? [])];
  for (const topic of inputs) cluster.createTopic(topic, partitions);
  const topology = topologyBuilder(setup.topology ?? upperCaseTopology())!;
  const stateDir = setup.stateDir ?? (await mkdtemp(join(tmpdir(), 'stream-thread-')));
  const client = setup.client ?? cluster.supplier();
  const resolved = resolveKafkaStreamsOptions({ applicationId: 'app', bootstrapServers: '127.0.0.1:9', stateDir, logger: silentLogger, commitIntervalMs: 600_000, client, ...setup.options });
  const fatal: unknown[] = [];
  const states: ThreadState[] = [];
  const thread: StreamThread = new StreamThread({
    client,
    admin: client.admin(),
    builder: topology,
    options: resolved,
    plan: planTopics(topology, 'app', new Map(inputs.map((topic) => [topic, partitions]))),
    globalStores: new Map(),
    flushGlobals: () => {},
    processId: setup.processId ?? 'process',
    threadId: 'app-StreamThread-1',
    threadIndex: 1,
    callbacks: {
      onRunning: () => void states.push(thread.state),
      onRebalancing: () => void states.push(thread.state),
      onFatal: (error) => void fatal.push(error),
    },
  });
  onTestFinished(async () => {
    await thread.close();
    if (setup.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
  });
  const started = thread.start();
  started.catch(() => {});
  return { thread, fatal, states, started };
}

/** The values of fake log records, as strings. */
export const values = (records: readonly { value: Buffer | null }[]): (string | null)[] => records.map((record) => record.value?.toString() ?? null);

/** A gate a test closes to hold sends back (`hold`), opens again (`release`), and asks how many sends wait at it. */
export class SendGate {
  private gate: Promise<void> | undefined;
  private open = (): void => {};
  private held = 0;

  /** Sends from now on wait until {@link release}. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  /** Lets every held send go on. */
  release(): void {
    this.gate = undefined;
    this.open();
  }

  /** How many sends wait at the gate now. */
  waiting(): number {
    return this.held;
  }

  /** Waits while the gate is held; a send calls it first. */
  async pass(): Promise<void> {
    if (this.gate === undefined) return;
    this.held++;
    await this.gate;
    this.held--;
  }
}
