/**
 * Runs a topology with no broker, for unit tests: pipe records into input topics, read what it
 * wrote from output topics, move the wall clock, and look inside its state stores. Like Kafka
 * Streams' `TopologyTestDriver`, every sub-topology runs as one task (partition 0), records
 * written to a topic the topology reads are fed back in, and stores are flushed after every
 * record, so each input's full effect is visible as soon as `pipeInput` returns.
 */
import type { StreamsConfig } from '../config.js';
import { ConfigError, StateStoreError } from '../errors/streams-error.js';
import { outerJoinEmitIntervalConfig } from '../kstream/internal/ops/stream-stream-join.js';
import { LocalRunner } from '../processor/internal/local-runner.js';
import type { DropReason } from '../processor/drop-reason.js';
import type { Metric } from '../metrics/metrics.js';
import type { Topology } from '../processor/topology.js';
import type { Deserializer, Serializer } from '../serde/serde.js';
import type { KeyValueStore } from '../state/key-value-store.js';
import type { StateStore } from '../state/state-store.js';
import type { QueryableStoreType } from '../state/queryable-store-types.js';
import { TestInputTopic, type InputTopicOptions } from './test-input-topic.js';
import { TestOutputTopic } from './test-output-topic.js';

/** Options of the test driver beyond the streams config. */
export interface TopologyTestDriverOptions {
  /** The mock wall clock's start, epoch ms. Defaults to the real clock at construction. */
  readonly initialWallClockTime?: number;
  /**
   * An existing directory where persistent stores (`@tributary/level`) keep their files, under
   * `<applicationId>/<taskId>/<store>`; they throw `StateDirectoryError` without one. In-memory
   * stores ignore it. No default.
   */
  readonly stateDir?: string;
}

/** The streams config for a test: `applicationId` defaults to `'test'`. */
export type TestDriverConfig = Partial<StreamsConfig> & {
  /** Prefixes internal topic and changelog names, as in production. Defaults to `'test'`. */
  readonly applicationId?: string;
};

/**
 * Runs a {@link Topology} in memory, synchronously, as Kafka Streams' `TopologyTestDriver` does.
 * Every piped record is processed at once: its tasks never wait for an empty input partition
 * (`maxTaskIdleMs` changes nothing here), since all their input is local.
 * Build one per test and {@link close} it (or `closeAsync` it, for persistent stores) afterwards.
 * [Getting started](../../../../docs/getting-started.md#test-it-with-the-topologytestdriver) walks through a full test.
 */
export class TopologyTestDriver {
  private wallClock: number;
  private readonly runner: LocalRunner;
  private closed = false;

  /**
   * A driver for a topology whose stores open synchronously (in-memory ones); use
   * {@link TopologyTestDriver.create} for LevelDB stores.
   *
   * @param config - The streams config; `applicationId` defaults to `'test'`.
   * @param options - The mock wall clock's start, and a state directory.
   * @throws ConfigError when `initialWallClockTime` is not finite or a config option is invalid.
   */
  constructor(topology: Topology, config: TestDriverConfig = {}, options: TopologyTestDriverOptions = {}) {
    this.wallClock = options.initialWallClockTime ?? Date.now();
    if (!Number.isFinite(this.wallClock)) throw new ConfigError(`Option 'initialWallClockTime' must be a finite number, got ${this.wallClock}.`);
    this.runner = new LocalRunner(
      topology,
      // As Kafka's driver does: no wall-clock throttling of left/outer join results, unless the test sets it.
      { ...config, applicationId: config.applicationId ?? 'test', appConfigs: { [outerJoinEmitIntervalConfig]: 0, ...config.appConfigs } },
      { clock: () => this.wallClock, ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }) },
    );
  }

  /**
   * Creates a driver for a topology whose stores open asynchronously (LevelDB from
   * `@tributary/level`), opening them before it returns; works for any topology. Close it with
   * `await driver.closeAsync()` so the store files are released.
   */
  static async create(topology: Topology, config: TestDriverConfig = {}, options: TopologyTestDriverOptions = {}): Promise<TopologyTestDriver> {
    const driver = new TopologyTestDriver(topology, config, options);
    await driver.runner.prepare();
    return driver;
  }

  /** An input topic that serializes with the given serializers (a `Serde` works as either). */
  createInputTopic<K, V>(
    topic: string,
    keySerializer: Serializer<K>,
    valueSerializer: Serializer<V>,
    options: InputTopicOptions = {},
  ): TestInputTopic<K, V> {
    this.checkOpen();
    if (!this.runner.reads(topic)) {
      throw new ConfigError(`No source of this topology reads topic '${topic}'. It reads: ${this.runner.tasks.flatMap((task) => task.sourceTopics).join(', ')}.`);
    }
    return new TestInputTopic(topic, this.runner, keySerializer, valueSerializer, this.wallClock, options);
  }

  /** An output topic that deserializes with the given deserializers (a `Serde` works as either). */
  createOutputTopic<K, V>(topic: string, keyDeserializer: Deserializer<K>, valueDeserializer: Deserializer<V>): TestOutputTopic<K, V> {
    this.checkOpen();
    return new TestOutputTopic(topic, this.runner, keyDeserializer, valueDeserializer);
  }

  /** Moves the mock wall clock forward and fires the wall-clock punctuators that fall due. */
  advanceWallClockTime(ms: number): void {
    this.checkOpen();
    if (!Number.isFinite(ms) || ms < 0) throw new ConfigError(`advanceWallClockTime takes a non-negative number of milliseconds, got ${ms}.`);
    this.wallClock += ms;
    this.runner.punctuateWallClock(this.wallClock);
  }

  /** The mock wall clock, epoch ms. */
  get wallClockTime(): number {
    return this.wallClock;
  }

  /** Every topic the topology has written to, internal topics included (with their full names). */
  producedTopicNames(): string[] {
    return [...this.runner.topics.keys()];
  }

  /** A state store by name. Throws when the topology has none by that name. */
  getStateStore<S extends StateStore = StateStore>(name: string): S {
    this.checkOpen();
    const store = this.runner.store(name);
    if (store === undefined) throw new StateStoreError(`The topology has no state store named '${name}'.`);
    return store as S;
  }

  /** A key-value store by name, typed. */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    return this.getStateStore<KeyValueStore<K, V>>(name);
  }

  /**
   * A read-only view of a named store, as an application's interactive queries see it:
   * `driver.query('counts', QueryableStoreTypes.keyValueStore<string, number>())`.
   */
  query<View>(name: string, type: QueryableStoreType<View>): View {
    this.checkOpen();
    return this.runner.query(name, type);
  }

  /**
   * Kafka Streams' metrics of the topology so far (thread, task, processor node and, at
   * `metricsRecordingLevel: 'DEBUG'`, state store and record cache), with the driver as one stream
   * thread `<applicationId>-StreamThread-1`. Rates and windows follow the mock wall clock.
   *
   * @example
   * ```ts
   * sumMetrics(driver.metrics(), 'stream-task-metrics', 'dropped-records-total'); // records dropped so far
   * ```
   */
  metrics(): Metric[] {
    this.checkOpen();
    return this.runner.metrics();
  }

  /** Records dropped so far, by reason (bad bytes, invalid timestamps, failed processing, ...). */
  droppedRecords(): ReadonlyMap<DropReason, number> {
    return this.runner.droppedRecords();
  }

  /** Closes every task, its processors and stores. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.runner.close();
  }

  /** Closes like {@link close} and waits until persistent stores have released their files. */
  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.runner.closeAndRelease();
  }

  private checkOpen(): void {
    if (this.closed) throw new StateStoreError('This TopologyTestDriver is closed; create a new one for each test.');
  }
}
