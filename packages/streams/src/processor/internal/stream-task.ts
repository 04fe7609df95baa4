/**
 * A task: one partition number of one sub-topology. It buffers input per source partition,
 * processes the oldest record first, advances stream time, fires punctuators and, at commit,
 * flushes its stores and reports the offsets it has consumed. Everything here is synchronous;
 * a driver (test driver, embedded runner, Kafka runtime) feeds it and commits for it.
 */
import type { ResolvedStreamsConfig } from '../../config.js';
import { TopologyError } from '../../errors/streams-error.js';
import type { Serde } from '../../serde/serde.js';
import type { StateStore, StateStoreContext, StoreBuilder } from '../../state/state-store.js';
import { isPreparableSupplier, type StoreHandle, type StoreLocation } from '../../state/store-suppliers.js';
import { formatTaskId, type TaskId } from '../processor.js';
import type { ConsumedRecord, RecordCollector } from '../record-collector.js';
import { Headers } from '../headers.js';
import { StreamRecord } from '../stream-record.js';
import { ProcessorNode } from './processor-node.js';
import { RecordQueue } from './record-queue.js';
import { SinkProcessor, SourceProcessor } from './sink-processor.js';
import { TaskContext } from './task-context.js';
import { ENFORCED, TaskIdling, WAIT } from './task-idling.js';
import { TaskMetrics, type SourceProcessCounter } from './task-metrics.js';
import { recordsAt } from '../../metrics/metrics.js';
import { perRecordSensorsOff, SampledStat } from '../../metrics/internal/sampled-stat.js';
import { meterStore } from '../../metrics/internal/store-sensors.js';
import { changelogTopicName, type InternalTopologyBuilder, type SubtopologySpec } from './topology-builder.js';

/** Stream time further ahead of the wall clock than this is warned about: more than clock jitter. */
const STREAM_TIME_AHEAD_WARNING_MS = 1_000;
/** At most one such warning per task per this much wall-clock time. */
const STREAM_TIME_AHEAD_WARNING_INTERVAL_MS = 60_000;

/** What a driver gives a task. */
export interface StreamTaskOptions {
  /** The sub-topology and partition number this task runs; stores and changelogs are keyed by it. */
  readonly taskId: TaskId;
  /** The whole topology; the task instantiates only `subtopology`'s nodes and stores from it. */
  readonly builder: InternalTopologyBuilder;
  /** The part of `builder` this task runs, one of `builder.subtopologies()`. */
  readonly subtopology: SubtopologySpec;
  /** The validated config, from `resolveStreamsConfig`: default serdes, handlers, logger. */
  readonly config: ResolvedStreamsConfig;
  /** Receives every record the task outputs (sinks, changelogs, dead letters), synchronously. */
  readonly collector: RecordCollector;
  /** Wall-clock time; the test driver passes a mock. */
  readonly clock: () => number;
  /** Directory for persistent stores of this task, when the driver has one. */
  readonly stateDir?: string;
  /** Tells persistent stores they have no changelog to be restored from (`dataOnlyOnDisk` of {@link StoreLocation}). */
  readonly dataOnlyOnDisk?: boolean;
  /**
   * Whether the task's input is fetched from brokers, so that a partition with nothing buffered
   * may hold records the driver has not fetched yet (the Kafka runtime). Such a task, when it
   * reads several partitions, waits for them as the config's `maxTaskIdleMs` says, and the driver
   * reports each partition's lag with {@link StreamTask.setFetchedLag}. Absent or `false` (the
   * test driver, the embedded runner): all input is local and already buffered, and the task
   * never waits.
   */
  readonly fetchesInput?: boolean;
}

/**
 * Runs one partition of one sub-topology, as Kafka Streams' `StreamTask` does. A driver builds
 * one per task id, calls {@link prepare} (when {@link needsPrepare}) and {@link initialize},
 * feeds it with {@link addRecords}, calls {@link process}, and commits through
 * {@link prepareCommit} and {@link postCommit}. Not safe to share between drivers.
 */
export class StreamTask {
  /** The task's id, from `options.taskId`. */
  readonly id: TaskId;
  /** Records processed and dropped by this task; drivers sum these for their own metrics. */
  readonly metrics = new TaskMetrics();
  /** @internal The processors' shared context; drivers reach into it only to wire global stores. */
  readonly context: TaskContext;
  /** @internal Queues by (resolved) source topic. */
  readonly queues = new Map<string, RecordQueue>();
  private readonly queueList: RecordQueue[] = [];
  /** The end-to-end latency stat of each queue's source node, by the queue's index in {@link queueList}. */
  private readonly queueLatency: SampledStat[] = [];
  /** The process counter of each queue's source node, by the queue's index in {@link queueList}. */
  private readonly queueSourceCounters: SourceProcessCounter[] = [];
  /** Whether record lateness is recorded (`DEBUG`), per record. */
  private readonly recordsLateness: boolean;
  /** Whether per-record sensors (end-to-end latency, source node counts) record; off only for a benchmark's comparison. */
  private readonly recordsPerRecord: boolean;
  private readonly nodes: ProcessorNode[] = [];
  private readonly storeList: StateStore[] = [];
  /** Next offset to consume per source topic, for the driver to commit. */
  private readonly consumedOffsets = new Map<string, number>();
  private processedSinceCommit = false;
  private state: 'created' | 'running' | 'closed' = 'created';
  /** When the stream-time-ahead warning was last logged, wall clock. */
  private warnedAheadAt = Number.NEGATIVE_INFINITY;
  /** The wait for empty input partitions; `undefined` when the task never waits (one partition, local input, or `maxTaskIdleMs` -1). */
  private readonly idling: TaskIdling | undefined;
  /** The index of each queue in {@link queueList}, by topic. */
  private readonly queueIndex = new Map<string, number>();

  /**
   * Builds the task's processor nodes and stores for `options.subtopology` and partition
   * `options.taskId.partition`; stores open and processors initialize in {@link initialize} (or
   * the first {@link process}).
   */
  constructor(private readonly options: StreamTaskOptions) {
    this.id = options.taskId;
    const { builder, subtopology, config } = options;
    this.context = new TaskContext(options.taskId, config, options.collector, this.metrics, options.clock);
    this.context.wallClockTime = options.clock();
    this.recordsLateness = recordsAt(config.metricsRecordingLevel, 'DEBUG');
    this.recordsPerRecord = !perRecordSensorsOff(config.appConfigs);
    const byName = new Map<string, ProcessorNode>();
    for (const name of subtopology.nodes) {
      const spec = builder.nodes.get(name)!;
      let node: ProcessorNode;
      if (spec.kind === 'source') {
        node = new ProcessorNode(name, new SourceProcessor(this.context), new Set());
        const latency = this.endToEndStat(name);
        const sourceCounter = this.metrics.sourceProcessCounter(name);
        const keySerde = this.serdeFor(spec.keySerde, config.defaultKeySerde, `Source '${name}' (topics [${spec.topics.join(', ')}])`, 'key', 'Consumed.with');
        const valueSerde = this.serdeFor(spec.valueSerde, config.defaultValueSerde, `Source '${name}' (topics [${spec.topics.join(', ')}])`, 'value', 'Consumed.with');
        for (const topic of spec.topics) {
          const resolved = builder.resolveTopic(config.applicationId, topic);
          const queue = new RecordQueue(resolved, node, keySerde, valueSerde, spec.timestampExtractor ?? config.defaultTimestampExtractor, this.context);
          this.queues.set(resolved, queue);
          this.queueList.push(queue);
          this.queueLatency.push(latency);
          this.queueSourceCounters.push(sourceCounter);
        }
      } else if (spec.kind === 'processor') {
        const processor = spec.supplier();
        if (processor === null || typeof processor !== 'object' || typeof processor.process !== 'function') {
          throw new TopologyError(`The supplier of processor '${name}' must return an object with a process(record) method.`);
        }
        node = new ProcessorNode(name, processor, new Set(spec.stores));
      } else {
        const what = `Sink '${name}' (topic ${typeof spec.topic === 'string' ? `'${spec.topic}'` : '<dynamic>'})`;
        const fix = typeof spec.topic === 'string' && builder.internalTopics.has(spec.topic) ? 'Repartitioned.with (or Grouped.with)' : 'Produced.with';
        const keySerde = this.serdeFor(spec.keySerde, config.defaultKeySerde, what, 'key', fix);
        const valueSerde = this.serdeFor(spec.valueSerde, config.defaultValueSerde, what, 'value', fix);
        const topic = typeof spec.topic === 'string' ? builder.resolveTopic(config.applicationId, spec.topic) : spec.topic;
        node = new ProcessorNode(name, new SinkProcessor(name, topic, keySerde, valueSerde, spec.partitioner, this.context, this.recordsPerRecord ? this.endToEndStat(name) : undefined), new Set());
      }
      byName.set(name, node);
      this.nodes.push(node);
    }
    for (const node of this.nodes) {
      for (const childName of builder.children.get(node.name) ?? []) {
        const child = byName.get(childName);
        if (child !== undefined) node.addChild(child);
      }
    }
    for (let index = 0; index < this.queueList.length; index++) this.queueIndex.set(this.queueList[index]!.topic, index);
    if (options.fetchesInput === true && config.maxTaskIdleMs !== -1 && this.queueList.length > 1) {
      this.idling = new TaskIdling(config.maxTaskIdleMs, this.queueList.map((queue) => queue.topic));
    }
    // Kafka records end-to-end latency at source and terminal nodes; sinks record their own.
    for (const node of this.nodes) {
      if (this.recordsPerRecord && node.children.length === 0 && builder.nodes.get(node.name)!.kind === 'processor') node.endToEndLatency = this.endToEndStat(node.name);
    }
  }

  /**
   * The wall clock as of the driver's last batch: end-to-end latency is measured against it. The
   * Kafka runtime sets it before each batch; {@link punctuateWallClock} sets it too.
   */
  set wallClockTime(now: number) {
    this.context.wallClockTime = now;
  }

  /** The wall clock as of the driver's last batch or wall-clock punctuation, epoch ms. */
  get wallClockTime(): number {
    return this.context.wallClockTime;
  }

  /** The end-to-end latency stat of a source, sink or terminal processor node. */
  private endToEndStat(nodeName: string): SampledStat {
    let stat = this.metrics.endToEndLatency.get(nodeName);
    if (stat === undefined) this.metrics.endToEndLatency.set(nodeName, (stat = new SampledStat()));
    return stat;
  }

  /** Handles of stores that open asynchronously (LevelDB), by store name, once {@link prepare} ran. */
  readonly storeHandles = new Map<string, StoreHandle>();

  /** Whether some store of this task must be opened asynchronously, with {@link prepare}, before it starts. */
  get needsPrepare(): boolean {
    return this.options.subtopology.stores.some((name) => isPreparableSupplier(this.options.builder.stores.get(name)?.builder.supplier));
  }

  /**
   * Opens the stores whose backends open asynchronously and keeps their handles. Drivers await
   * this before {@link initialize} (which is synchronous, like the rest of the engine).
   */
  async prepare(): Promise<void> {
    const { builder, subtopology, config } = this.options;
    const location: StoreLocation = { applicationId: config.applicationId, taskId: this.id, stateDir: this.options.stateDir, dataOnlyOnDisk: this.options.dataOnlyOnDisk === true };
    for (const storeName of subtopology.stores) {
      if (this.storeHandles.has(storeName)) continue;
      const supplier = builder.stores.get(storeName)?.builder.supplier;
      if (isPreparableSupplier(supplier)) this.storeHandles.set(storeName, await supplier.prepare(location));
    }
  }

  /** Closes the task (if open) and waits for its persistent stores to release their files. */
  async closeAndRelease(): Promise<void> {
    try {
      this.close();
    } finally {
      for (const handle of this.storeHandles.values()) await handle.close();
      this.storeHandles.clear();
    }
  }

  /** Opens the task's stores and initializes its processors. */
  initialize(): void {
    if (this.state !== 'created') return;
    const { builder, subtopology, config } = this.options;
    const context = this.context;
    // Each store's changelog topic, or `null` when its changelog is off: looked up once, not per changelog record.
    const changelogTopics = new Map<string, string | null>();
    const changelogTopicOf = (storeName: string): string | null => {
      let topic = changelogTopics.get(storeName);
      if (topic === undefined) {
        topic = builder.stores.get(storeName)?.builder.changelog.enabled === true ? changelogTopicName(config.applicationId, storeName) : null;
        changelogTopics.set(storeName, topic);
      }
      return topic;
    };
    const storeContext: StateStoreContext = {
      applicationId: config.applicationId,
      taskId: this.id,
      appConfigs: config.appConfigs,
      stateDir: this.options.stateDir,
      logger: config.logger,
      currentStreamTimeMs: () => context.streamTime,
      currentRecordTimestampMs: () => context.recordTimestamp,
      copyRecordOrigin: (target) => context.copyRecordOrigin(target),
      setRecordOrigin: (origin) => context.setRecordOrigin(origin),
      changelogTopic: (storeName) => changelogTopicName(config.applicationId, storeName),
      logChange: (storeName, key, value, timestamp, headers) => {
        const topic = changelogTopicOf(storeName);
        if (topic === null) return;
        context.collector.send(topic, key, value, new Headers(headers), timestamp, this.id.partition);
      },
      recordDropped: (reason) => context.dropRecord(reason, 'A window or session store skipped a write to an expired window (older than its retention).'),
    };
    const meterStores = recordsAt(config.metricsRecordingLevel, 'DEBUG');
    for (const storeName of subtopology.stores) {
      let store = buildStore(builder.stores.get(storeName)!.builder, config.cacheMaxBytes);
      if (meterStores) {
        const metered = meterStore(store);
        store = metered.store;
        this.metrics.stores.set(storeName, metered.sensors);
      }
      store.init(storeContext);
      context.stores.set(storeName, store);
      this.storeList.push(store);
    }
    for (const node of this.nodes) {
      const processor = node.processor as { init?: (context: TaskContext) => void };
      if (processor.init === undefined) continue;
      context.currentNode = node;
      try {
        processor.init(context);
      } finally {
        context.currentNode = undefined;
      }
    }
    this.state = 'running';
  }

  /** The task's stream time: the largest timestamp processed, or -1. */
  get streamTime(): number {
    return this.context.streamTime;
  }

  /** The task's open stores, by name. */
  get stores(): ReadonlyMap<string, StateStore> {
    return this.context.stores;
  }

  /** Source topics this task reads (internal topics with their full names). */
  get sourceTopics(): string[] {
    return [...this.queues.keys()];
  }

  /** Buffers records of one source topic's partition. */
  addRecords(topic: string, records: readonly ConsumedRecord[]): void {
    const index = this.indexOf(topic);
    this.queueList[index]!.add(records);
    if (records.length > 0) this.idling?.dataArrived(index);
  }

  /** Buffers one record of one source topic's partition. */
  addRecord(topic: string, record: ConsumedRecord): void {
    const index = this.indexOf(topic);
    this.queueList[index]!.addOne(record);
    this.idling?.dataArrived(index);
  }

  private indexOf(topic: string): number {
    const index = this.queueIndex.get(topic);
    if (index === undefined) throw new TopologyError(`Task ${formatTaskId(this.id)} does not read topic '${topic}'; it reads [${this.sourceTopics.join(', ')}].`);
    return index;
  }

  /**
   * Tells a task that fetches its input (`fetchesInput`) how far the driver's fetch position in
   * one source topic's partition is behind the partition's end: `0` when it has fetched
   * everything the broker holds (the high watermark), more when records are still to fetch, `-1`
   * when it does not know. While that partition has nothing buffered, a lag other than 0 makes
   * the task wait (see `maxTaskIdleMs`). Ignored by a task that never waits.
   */
  setFetchedLag(topic: string, lag: number): void {
    const index = this.indexOf(topic);
    this.idling?.setLag(index, lag);
  }

  /**
   * Tells a task that fetches its input that its partition of `topic` does not exist: the topic
   * has fewer partitions than the sub-topology has tasks (a `merge` or a multi-topic source of
   * topics that are not co-partitioned), so Kafka assigns the task no partition of it. The task
   * never waits for it.
   */
  markPartitionMissing(topic: string): void {
    const index = this.indexOf(topic);
    this.idling?.setMissing(index);
  }

  /**
   * When the task, having records buffered, last started waiting for an empty input partition
   * (wall clock, ms, from the driver's clock), or `undefined` while it is not waiting. A driver
   * calls {@link process} again for a waiting task as time passes or lags change: a wait for new
   * records ends with the wall clock, not with input.
   */
  get idlingSince(): number | undefined {
    return this.idling?.since;
  }

  /**
   * The source topics whose partition has nothing buffered and is not known to be fetched to its
   * end (no lag of 0 reported): what a waiting task waits for, and what a driver that has not
   * fetched anything from them should find the end of.
   */
  emptyTopicsNotAtEnd(): string[] {
    return this.idling?.emptyTopicsNotAtEnd(this.queueList) ?? [];
  }

  /** Whether the task holds state stores (which a commit flushes even when nothing was processed). */
  get hasStores(): boolean {
    return this.storeList.length > 0;
  }

  /** Records buffered and not yet processed. */
  get bufferedCount(): number {
    let count = 0;
    for (const queue of this.queueList) count += queue.size;
    return count;
  }

  /**
   * Processes up to `maxRecords` buffered records, oldest event time first across partitions,
   * firing stream-time punctuators as time passes. Returns how many were processed. A task that
   * fetches its input stops early while it waits for an empty partition (see {@link idlingSince}).
   */
  process(maxRecords = Number.POSITIVE_INFINITY): number {
    if (this.state !== 'running') this.initialize();
    const context = this.context;
    const queues = this.queueList;
    const idling = this.idling;
    // One clock read per call, as Kafka reads it once per pass of its thread.
    const now = idling === undefined ? 0 : this.options.clock();
    let processed = 0;
    while (processed < maxRecords) {
      let queue: RecordQueue | undefined;
      let chosen = 0;
      let someEmpty = false;
      for (let index = 0; index < queues.length; index++) {
        const candidate = queues[index]!;
        if (candidate.head === undefined) someEmpty = true;
        else if (queue === undefined || candidate.headTimestamp < queue.headTimestamp) {
          queue = candidate;
          chosen = index;
        }
      }
      if (queue === undefined) break;
      if (someEmpty && idling !== undefined) {
        const readiness = idling.readiness(queues, now);
        if (readiness === WAIT) {
          idling.since ??= now;
          break;
        }
        if (readiness === ENFORCED) this.metrics.enforcedProcessing++;
      }
      if (idling !== undefined) idling.since = undefined;
      const raw = queue.head!;
      const timestamp = queue.headTimestamp;
      const record = new StreamRecord(queue.headKey, queue.headValue, timestamp, raw.headers);
      queue.poll();
      if (this.recordsPerRecord) this.queueLatency[chosen]!.record(context.wallClockTime - timestamp);
      if (this.recordsLateness) this.metrics.lateness.record(timestamp < context.streamTime ? context.streamTime - timestamp : 0);
      if (timestamp > context.streamTime) context.streamTime = timestamp;
      context.topic = raw.topic;
      context.partition = raw.partition;
      context.offset = raw.offset;
      context.sourceKey = raw.key;
      context.sourceValue = raw.value;
      context.sourceHeaders = raw.headers;
      context.sourceTimestamp = raw.timestamp;
      context.processAt(queue.source, record);
      if (this.recordsPerRecord) this.queueSourceCounters[chosen]!.count++;
      this.consumedOffsets.set(raw.topic, raw.offset + 1);
      processed++;
      if (context.streamTime >= context.streamTimePunctuations.nextTime) context.punctuate(context.streamTimePunctuations, context.streamTime);
    }
    context.topic = undefined;
    if (processed > 0) {
      this.metrics.processed += processed;
      this.processedSinceCommit = true;
    }
    return processed;
  }

  /**
   * Fires wall-clock punctuators due at `now`, and checks stream time against the wall clock
   * (a metric, and a warning at most once a minute). Returns how many punctuators fired.
   */
  punctuateWallClock(now: number): number {
    if (this.state !== 'running') this.initialize();
    this.context.wallClockTime = now;
    this.checkStreamTimeAhead(now);
    return this.context.punctuate(this.context.wallClockPunctuations, now);
  }

  /** Once per wall-clock check, never per record: one comparison, and a warning rate-limited per task. */
  private checkStreamTimeAhead(now: number): void {
    const ahead = this.context.streamTime - now;
    this.metrics.streamTimeAheadOfWallClockMs = ahead > 0 ? ahead : 0;
    if (ahead <= STREAM_TIME_AHEAD_WARNING_MS || now - this.warnedAheadAt < STREAM_TIME_AHEAD_WARNING_INTERVAL_MS) return;
    this.warnedAheadAt = now;
    this.context.config.logger.warn(
      `Stream time of task ${formatTaskId(this.id)} is ${ahead} ms ahead of the wall clock: a record stamped in the future moved it, so records stamped now are late for windows with less grace than that. Find the producer whose clock is wrong, and guard the source with boundedTimestampExtractor so such records are dead-lettered instead.`,
      { task: formatTaskId(this.id), streamTime: this.context.streamTime, wallClock: now, aheadMs: ahead },
    );
  }

  /** Whether a commit would change anything (records processed, or a processor asked). */
  get commitNeeded(): boolean {
    return this.processedSinceCommit || this.context.commitRequested;
  }

  /**
   * First half of a commit: flushes every store (which may forward records and send changelog
   * records) and returns the next offset to consume per source topic. The driver then sends the
   * collected output, commits the offsets and calls {@link postCommit}. The map is the task's
   * own, read-only and valid until the task processes again: copy it to keep it.
   */
  prepareCommit(): ReadonlyMap<string, number> {
    for (const store of this.storeList) store.flush();
    return this.consumedOffsets;
  }

  /** Second half of a commit, once the driver has made output and offsets durable. */
  postCommit(): void {
    this.processedSinceCommit = false;
    this.context.commitRequested = false;
  }

  /** Closes processors and stores. The task cannot be used afterwards. */
  close(): void {
    if (this.state === 'closed') return;
    const context = this.context;
    let failure: unknown;
    for (const node of this.nodes) {
      const processor = node.processor as { close?: () => void };
      if (processor.close === undefined) continue;
      context.currentNode = node;
      try {
        processor.close();
      } catch (error) {
        failure ??= error;
      } finally {
        context.currentNode = undefined;
      }
    }
    for (const store of this.storeList) {
      try {
        store.close();
      } catch (error) {
        failure ??= error;
      }
    }
    for (const queue of this.queueList) queue.clear();
    this.state = 'closed';
    if (failure !== undefined) throw failure;
  }

  private serdeFor(own: Serde<any> | undefined, fallback: Serde<any> | undefined, what: string, part: 'key' | 'value', fix: string): Serde<any> {
    const serde = own ?? fallback;
    if (serde === undefined) {
      throw new TopologyError(
        `${what} has no ${part} serde: give one with ${fix}(keySerde, valueSerde), or set default${part === 'key' ? 'Key' : 'Value'}Serde in the streams config.`,
      );
    }
    return serde;
  }
}

/** A store builder that can turn its cache off (the `Stores` builders). */
interface CacheSwitchableBuilder {
  readonly cachingEnabled: boolean;
  withCachingDisabled(): StoreBuilder;
}

/**
 * Builds a task's store. With a cache budget of 0 the store is built without a cache, as Kafka
 * Streams builds its DSL stores when `statestore.cache.max.bytes` is 0: updates are forwarded
 * and logged as they happen, not through a cache flush (which would, for one, skip deleting a
 * key that was never there).
 */
function buildStore(storeBuilder: StoreBuilder, cacheMaxBytes: number | undefined): StateStore {
  const switchable = storeBuilder as Partial<CacheSwitchableBuilder>;
  if (cacheMaxBytes === 0 && switchable.cachingEnabled === true && typeof switchable.withCachingDisabled === 'function') {
    return switchable.withCachingDisabled().build();
  }
  return storeBuilder.build();
}
