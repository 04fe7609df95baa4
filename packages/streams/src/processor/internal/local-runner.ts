/**
 * Runs a whole topology in one process, with topics as in-memory arrays: one task per
 * sub-topology (partition 0), and records written to a topic that a sub-topology reads (a
 * repartition topic, or a user's `to` then `stream`) fed back in until the topology is quiet.
 * The test driver is built on it; so is the embedded runner.
 */
import { resolveStreamsConfig, type ResolvedStreamsConfig, type StreamsConfig } from '../../config.js';
import { StateStoreError, TopologyError } from '../../errors/streams-error.js';
import type { StateStore } from '../../state/state-store.js';
import { queryStore, type QueryableStoreType } from '../../state/queryable-store-types.js';
import { isCachingStore, type CachingStateStore } from '../../state/store-suppliers.js';
import type { Headers } from '../headers.js';
import type { ConsumedRecord, RecordCollector } from '../record-collector.js';
import { topologyBuilder, type Topology } from '../topology.js';
import { GlobalStateUpdater } from './global-state-updater.js';
import { RecordList } from './record-list.js';
import { StreamTask } from './stream-task.js';
import type { DropReason } from './task-metrics.js';
import type { Metric } from '../../metrics/metrics.js';
import { StreamsMetricsReader, type ClientView } from '../../metrics/internal/metrics-reader.js';
import { ThreadSensors } from '../../metrics/internal/thread-sensors.js';

/** A record written to an in-memory topic. */
export interface StoredRecord extends ConsumedRecord {
  /**
   * Set when the record was sent without a timestamp: `timestamp` is then the runner's clock when
   * it was sent, as a producer stamps it, and test output topics read it as having none (Kafka's
   * `TopologyTestDriver` gives such records a null timestamp).
   */
  readonly stampedBySender?: true;
}

/** Options of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  /** Directory handed to persistent stores (such as `@tributary/level`'s) as `stateDir`; in-memory stores ignore it. */
  readonly stateDir?: string;
  /** Tells persistent stores their files are the only copy of their data (`StoreLocation.dataOnlyOnDisk`): the embedded runner. */
  readonly dataOnlyOnDisk?: boolean;
  /** Wall-clock time; defaults to `Date.now`. */
  readonly clock?: () => number;
  /**
   * Whether every record processed (an input, or one the topology wrote to a topic it reads) and
   * every wall-clock punctuation is followed by a commit, so its full effect is visible at once,
   * at the same points as in Kafka Streams' `TopologyTestDriver` (the test driver). Defaults to `true`. With `false`, tasks commit only on
   * {@link LocalRunner.commit} or when a processor requests it, so store caches deduplicate
   * updates between commits as they do on Kafka (the embedded runner).
   */
  readonly commitEachRecord?: boolean;
  /**
   * Which records {@link LocalRunner.topics} keeps: `'all'` (the default; the test driver reads
   * its outputs from there) or `'none'`, for long runs, where records reach only sub-topologies
   * that read their topic and {@link onRecord}, so memory does not grow with the input.
   */
  readonly retainRecords?: 'all' | 'none';
  /** Called with every record written to any topic, input, output, internal or dead-letter, in order. */
  readonly onRecord?: (record: StoredRecord) => void;
  /**
   * The topics {@link onRecord} wants records of, asked at each record; defaults to all. With
   * `retainRecords: 'none'`, a record no task, global store or listener reads (a changelog record
   * of the embedded runner, say) only moves its topic's offset on: no record object is made.
   */
  readonly listensTo?: (topic: string) => boolean;
}

/**
 * Runs a topology synchronously in memory: each call ({@link pipe}, {@link commit},
 * {@link punctuateWallClock}) returns once the topology is quiet. Collects its own output, so
 * it is the tasks' {@link RecordCollector}.
 */
export class LocalRunner implements RecordCollector {
  /** The validated config, with defaults filled in. */
  readonly config: ResolvedStreamsConfig;
  /** One task per sub-topology, in sub-topology order, all on partition 0. */
  readonly tasks: StreamTask[] = [];
  /** Every record written to each topic, in order. */
  readonly topics = new Map<string, StoredRecord[]>();
  private readonly taskByTopic = new Map<string, StreamTask>();
  /** Records sent to topics that a task reads, not yet handed to it. */
  private readonly pending = new RecordList<StoredRecord>();
  /**
   * Records sent and not yet in {@link topics} (the test driver): as Kafka's `TopologyTestDriver`
   * captures its producer's output only after each record's commit, a record whose processing
   * throws leaves what it sent here until the driver next runs, so it is not read as that record's output.
   */
  private readonly uncaptured: StoredRecord[] = [];
  /** The next offset of each topic: how many records were written to it. */
  private readonly nextOffsets = new Map<string, number>();
  private readonly commitEachRecord: boolean;
  private readonly retainRecords: boolean;
  private readonly onRecord: ((record: StoredRecord) => void) | undefined;
  private readonly listensTo: ((topic: string) => boolean) | undefined;
  private draining = false;
  private closed = false;
  private initialized = false;
  /** Global tables' stores, updated as soon as their topics get a record. */
  readonly globals: GlobalStateUpdater;
  /** The runner's one "stream thread": its process, commit and punctuate timings. */
  readonly threadSensors: ThreadSensors;
  private readonly metricsReader: StreamsMetricsReader;
  private readonly clock: () => number;

  /**
   * Builds a task per sub-topology (one partition each) and the global stores, and starts them
   * at once, unless a store opens asynchronously (LevelDB): then `await runner.prepare()` does.
   *
   * @throws ConfigError when `config` is invalid.
   */
  constructor(topology: Topology, config: StreamsConfig, options: LocalRunnerOptions = {}) {
    this.config = resolveStreamsConfig(config);
    const builder = topologyBuilder(topology);
    if (builder === undefined) throw new TopologyError('Expected a Topology: pass builder.build() or a new Topology() you added nodes to.');
    const clock = options.clock ?? Date.now;
    this.clock = clock;
    this.threadSensors = new ThreadSensors(clock());
    this.metricsReader = new StreamsMetricsReader(this.config.metricsRecordingLevel);
    this.commitEachRecord = options.commitEachRecord ?? true;
    this.retainRecords = (options.retainRecords ?? 'all') === 'all';
    this.onRecord = options.onRecord;
    this.listensTo = options.listensTo;
    for (const subtopology of builder.subtopologies()) {
      const task = new StreamTask({
        taskId: { subtopology: subtopology.id, partition: 0 },
        builder,
        subtopology,
        config: this.config,
        collector: this,
        clock,
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
        ...(options.dataOnlyOnDisk === true ? { dataOnlyOnDisk: true } : {}),
      });
      this.tasks.push(task);
      for (const topic of task.sourceTopics) this.taskByTopic.set(topic, task);
    }
    this.globals = new GlobalStateUpdater(builder, this.config, options.stateDir);
    // Global stores are readable from every task, with no connection to a processor (as in Kafka).
    for (const task of this.tasks) for (const [name, store] of this.globals.stores()) task.context.stores.set(name, store);
    // Stores that open asynchronously (LevelDB) wait for prepare(); everything else starts now.
    if (!this.tasks.some((task) => task.needsPrepare)) this.initialize();
  }

  /** Whether the tasks have started: at construction, or after {@link prepare} for persistent stores. */
  get ready(): boolean {
    return this.initialized;
  }

  /** Opens the stores that open asynchronously (LevelDB), then starts every task. */
  async prepare(): Promise<void> {
    if (this.initialized) return;
    for (const task of this.tasks) await task.prepare();
    this.initialize();
  }

  private initialize(): void {
    for (const task of this.tasks) task.initialize();
    if (this.config.cacheMaxBytes !== undefined) applyCacheBudget(this.tasks, this.config.cacheMaxBytes);
    this.initialized = true;
  }

  /** Whether some sub-topology reads `topic`. */
  reads(topic: string): boolean {
    return this.taskByTopic.has(topic) || this.globals.reads(topic);
  }

  /** Appends a record to an input topic and processes everything it leads to. */
  pipe(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number): void {
    // Closed tasks would otherwise run closed processors against closed stores.
    if (this.closed) throw new StateStoreError('This topology was closed with its driver; records can no longer be piped in. Create a new driver for each test or run.');
    if (!this.initialized) {
      throw new StateStoreError('This topology has stores that open asynchronously (LevelDB): create the driver with `await TopologyTestDriver.create(topology, config, { stateDir })`.');
    }
    if (!this.reads(topic)) {
      throw new TopologyError(`No source reads topic '${topic}'; the topology reads [${[...this.taskByTopic.keys()].join(', ')}].`);
    }
    this.send(topic, key, value, headers, timestamp, 0);
    this.drain(this.commitEachRecord ? 'each-record' : 'requested');
  }

  /**
   * The next offset of `topic` (partition 0): how many records were written to it so far. For a
   * changelog topic, the offset its store's checkpoint records.
   */
  endOffset(topic: string): number {
    return this.nextOffsets.get(topic) ?? 0;
  }

  /**
   * Makes `topic` start at `offset`, as a driver that reopens persistent stores does for their
   * changelogs, so checkpoints keep counting from where the last run left off.
   */
  resumeTopicAt(topic: string, offset: number): void {
    this.nextOffsets.set(topic, offset);
  }

  send(topic: string, key: Buffer | null, value: Buffer | null, headers: Headers, timestamp: number | undefined, _partition: number | undefined): void {
    const offset = this.nextOffsets.get(topic) ?? 0;
    this.nextOffsets.set(topic, offset + 1);
    const global = this.globals.reads(topic);
    const task = this.taskByTopic.has(topic);
    const listened = this.onRecord !== undefined && (this.listensTo === undefined || this.listensTo(topic));
    if (!this.retainRecords && !listened && !global && !task) return;
    const record: StoredRecord =
      timestamp === undefined
        ? { topic, partition: 0, offset, timestamp: this.clock(), key, value, headers, stampedBySender: true }
        : { topic, partition: 0, offset, timestamp, key, value, headers };
    if (this.retainRecords) {
      if (this.commitEachRecord) this.uncaptured.push(record);
      else this.retain(record);
    }
    if (listened) this.onRecord!(record);
    if (global) this.globals.update(record);
    if (task) this.pending.push(record);
  }

  private retain(record: StoredRecord): void {
    let log = this.topics.get(record.topic);
    if (log === undefined) {
      log = [];
      this.topics.set(record.topic, log);
    }
    log.push(record);
  }

  /** Moves the records sent so far into {@link topics}, in the order they were sent. */
  private capture(): void {
    const uncaptured = this.uncaptured;
    for (let index = 0; index < uncaptured.length; index++) this.retain(uncaptured[index]!);
    uncaptured.length = 0;
  }

  partitionCount(_topic: string): number | undefined {
    return 1;
  }

  /** Fires wall-clock punctuators due at `now` in every task. */
  punctuateWallClock(now: number): void {
    const start = performance.now();
    let fired = 0;
    for (const task of this.tasks) fired += task.punctuateWallClock(now);
    if (fired > 0) this.threadSensors.punctuate.record(performance.now() - start);
    this.drain(this.commitEachRecord ? 'each-record' : 'requested');
  }

  /**
   * Commits every task (flushing stores, which forwards cached updates) and processes whatever
   * that sends on, until the topology is quiet.
   */
  commit(): void {
    this.drain(this.commitEachRecord ? 'each-record' : 'all');
  }

  /** A store by name, from the task that owns it. */
  store(name: string): StateStore | undefined {
    for (const task of this.tasks) {
      const store = task.stores.get(name);
      if (store !== undefined) return store;
    }
    return this.globals.stores().get(name);
  }

  /** A read-only view of a named store, across every task that holds it (interactive queries). */
  query<View>(name: string, type: QueryableStoreType<View>): View {
    const stores: StateStore[] = [];
    for (const task of this.tasks) {
      const store = task.stores.get(name);
      if (store !== undefined) stores.push(store);
    }
    const global = this.globals.stores().get(name);
    if (global !== undefined) stores.push(global);
    return queryStore(name, type, stores);
  }

  /**
   * Kafka Streams' metrics of this runner's tasks, as one stream thread `<clientId>-StreamThread-1`,
   * with the client-level ones when `client` is given. Rates and windows are as of the runner's clock.
   */
  metrics(client?: ClientView): Metric[] {
    let processed = 0;
    for (const task of this.tasks) processed += task.metrics.processed;
    this.threadSensors.processedRecords = processed;
    const threadId = `${client?.clientId ?? this.config.applicationId}-StreamThread-1`;
    return this.metricsReader.read(client, [{ threadId, sensors: this.threadSensors, tasks: this.tasks, polls: false, timesTasks: false }], this.clock());
  }

  /** Dropped records over all tasks, by reason. */
  droppedRecords(): Map<DropReason, number> {
    const total = new Map<DropReason, number>();
    for (const metrics of [...this.tasks.map((task) => task.metrics), this.globals.metrics]) {
      for (const [reason, count] of metrics.dropped) total.set(reason, (total.get(reason) ?? 0) + count);
    }
    return total;
  }

  /**
   * Closes every task and the global stores, even when one fails (the first failure is
   * rethrown). Persistent stores may still hold their files: use {@link closeAndRelease}.
   */
  close(): void {
    this.closed = true;
    // Kafka's driver captures its producer's output once more as it closes.
    this.capture();
    let failure: unknown;
    for (const task of this.tasks) {
      try {
        task.close();
      } catch (error) {
        failure ??= error;
      }
    }
    try {
      this.globals.close();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
  }

  /** Closes like {@link close}, then waits for persistent stores to release their files. */
  async closeAndRelease(): Promise<void> {
    let failure: unknown;
    try {
      this.close();
    } catch (error) {
      failure = error;
    }
    for (const task of this.tasks) {
      try {
        await task.closeAndRelease();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Delivers pending records, processes, and commits (flushing stores, which may send more),
   * until nothing is left. Records are delivered in the order they were written. `commits` says
   * when: after each record (the test driver), or after the batch, every task (`all`) or those
   * whose processors asked to (`requested`).
   */
  private drain(commits: 'each-record' | 'all' | 'requested'): void {
    if (this.draining) return;
    this.draining = true;
    // The embedded runner drains after every record sent: timing those would read the clock twice
    // per record, so it times only its commit passes (the test driver, no hot path, times all).
    const timed = commits !== 'requested';
    const start = timed ? performance.now() : 0;
    try {
      if (commits === 'each-record') this.drainCommittingEachRecord();
      else this.drainInBatches(commits === 'all');
    } finally {
      this.draining = false;
      if (timed) this.threadSensors.process.record(performance.now() - start);
    }
  }

  /**
   * As Kafka Streams' `TopologyTestDriver`: commit what happened so far (a punctuation's
   * updates), then process one record at a time, committing every task after each, so caches
   * flush at the same points as Kafka's and records fed back in arrive after that flush.
   */
  private drainCommittingEachRecord(): void {
    const pending = this.pending;
    this.commitTasks(true);
    this.capture();
    // Records sent while processing or committing are appended and reached by the same loop.
    for (let index = 0; index < pending.length; index++) {
      const record = pending.at(index);
      const task = this.taskByTopic.get(record.topic)!;
      task.addRecord(record.topic, record);
      task.process();
      this.commitTasks(true);
      this.capture();
    }
    pending.clear();
  }

  /** Processes every pending record, then commits (every task, or those that asked to), until quiet (the embedded runner). */
  private drainInBatches(commitAll: boolean): void {
    for (;;) {
      // Records sent while processing are appended and reached by the same loop.
      const pending = this.pending;
      for (let index = 0; index < pending.length; index++) {
        const record = pending.at(index);
        const task = this.taskByTopic.get(record.topic)!;
        task.addRecord(record.topic, record);
        task.process();
      }
      pending.clear();
      this.commitTasks(commitAll);
      if (this.pending.length === 0) break;
    }
  }

  /** Commits every task that processed or holds stores (`all`), or only those whose processors asked to. */
  private commitTasks(all: boolean): void {
    let start = 0;
    for (const task of this.tasks) {
      if (all ? !task.commitNeeded && !task.hasStores : !task.context.commitRequested) continue;
      if (start === 0) start = performance.now();
      task.prepareCommit();
      task.postCommit();
    }
    if (start !== 0) this.threadSensors.commit.record(performance.now() - start);
  }
}

/**
 * Divides an application-wide cache budget evenly among the caching stores of the tasks, as
 * Kafka Streams divides `statestore.cache.max.bytes`: each store's bound becomes its share.
 */
function applyCacheBudget(tasks: readonly StreamTask[], budget: number): void {
  const caching: CachingStateStore[] = [];
  for (const task of tasks) {
    for (const store of task.stores.values()) if (isCachingStore(store)) caching.push(store);
  }
  if (caching.length === 0) return;
  const share = Math.floor(budget / caching.length);
  for (const store of caching) store.setCacheMaxBytes(share);
}
