/**
 * Turns what the drivers and tasks recorded into Kafka Streams' metrics: client, thread, task,
 * processor node, state store, record cache and consumer lag. Runs when metrics are read, never
 * on the hot path; it keeps the windows of rates whose counters are plain fields.
 */
import { formatTaskId } from '../../processor/processor.js';
import type { StreamTask } from '../../processor/internal/stream-task.js';
import { dropReasons } from '../../processor/internal/task-metrics.js';
import { recordsAt, type Metric, type RecordingLevel } from '../metrics.js';
import { CounterRate, type SampledStat } from './sampled-stat.js';
import type { ThreadSensors } from './thread-sensors.js';

/** Kafka's client states in their order, the value of `client-state` (KIP-1091). */
const clientStates = ['CREATED', 'REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING', 'PENDING_ERROR', 'ERROR'];

/** The client-level facts, from the driver. */
export interface ClientView {
  /** Kafka's `client-id` tag: the application's client id. */
  readonly clientId: string;
  /** Kafka's `application.id`. */
  readonly applicationId: string;
  /** The client's state, as Kafka names it (`RUNNING`, ...). */
  readonly state: string;
  /** Stream threads running now (Kafka's `alive-stream-threads`). */
  readonly aliveStreamThreads: number;
  /** Stream threads that stopped on an error since the client started, replaced or not. */
  readonly failedStreamThreads: number;
}

/** One stream thread's sensors and its current tasks, from the driver. */
export interface ThreadView {
  /** Kafka's `thread-id` tag: `<client-id>-StreamThread-<n>`. */
  readonly threadId: string;
  /** The thread's counters and sampled timings, which the driver updates. */
  readonly sensors: ThreadSensors;
  /** The thread's active tasks (restoring ones too). */
  readonly tasks: Iterable<StreamTask>;
  /** Whether the driver polls a consumer (the Kafka runtime): poll and consumer-lag metrics apply. */
  readonly polls: boolean;
  /** Whether the driver times each task's processing: `active-process-ratio` applies. */
  readonly timesTasks: boolean;
}

/** Reads metrics for one driver; keep one per driver, so rates have their windows. */
export class StreamsMetricsReader {
  private rates = new Map<string, CounterRate>();
  private seenRates = new Map<string, CounterRate>();
  private output: Metric[] = [];
  private now = 0;

  /** Reads the metrics of `level` and below (`'INFO'` reads only the INFO ones). */
  constructor(private readonly level: RecordingLevel) {}

  /** Every metric of the client (when given) and of `threads`, as of `now` (wall clock, ms). */
  read(client: ClientView | undefined, threads: readonly ThreadView[], now: number): Metric[] {
    this.output = [];
    this.now = now;
    this.seenRates = new Map();
    if (client !== undefined) this.readClient(client);
    for (const thread of threads) this.readThread(thread);
    // Rates of threads and tasks gone are forgotten with them.
    this.rates = this.seenRates;
    return this.output;
  }

  private readClient(client: ClientView): void {
    const tags = { 'client-id': client.clientId };
    const group = 'stream-metrics';
    this.gauge(group, 'client-state', tags, 'The state of the client, as a number: 0 CREATED, 1 REBALANCING, 2 RUNNING, 3 PENDING_SHUTDOWN, 4 NOT_RUNNING, 5 PENDING_ERROR, 6 ERROR.', 'INFO', clientStates.indexOf(client.state));
    this.gauge(group, 'alive-stream-threads', tags, 'The number of alive stream threads.', 'INFO', client.aliveStreamThreads);
    this.gauge(group, 'failed-stream-threads', tags, 'The number of stream threads that failed since the client started.', 'INFO', client.failedStreamThreads);
  }

  private readThread(thread: ThreadView): void {
    const { sensors, threadId } = thread;
    const now = this.now;
    const group = 'stream-thread-metrics';
    const tags = { 'thread-id': threadId };
    let punctuations = sensors.closedTaskPunctuations;
    for (const task of thread.tasks) punctuations += task.metrics.punctuations;
    this.counterWithRate(group, 'process', tags, 'records processed', 'INFO', sensors.processedRecords);
    this.latency(group, 'process', tags, 'a process pass over a batch', 'INFO', sensors.process);
    if (thread.polls) {
      this.counterWithRate(group, 'poll', tags, 'polls (batches fetched)', 'INFO', sensors.poll.total);
      this.latency(group, 'poll', tags, 'a poll: the wait for a batch', 'INFO', sensors.poll);
      this.gauge(group, 'poll-records-avg', tags, 'The average number of records in a poll.', 'INFO', sensors.pollRecords.average(now));
      this.gauge(group, 'poll-records-max', tags, 'The largest number of records in a poll.', 'INFO', sensors.pollRecords.maximum(now));
      this.counter(group, 'blocked-time-ns-total', tags, 'The time the thread spent waiting for batches of records, ns.', 'INFO', sensors.blockedNs);
    }
    this.counterWithRate(group, 'commit', tags, 'commits', 'INFO', sensors.commit.total);
    this.latency(group, 'commit', tags, 'a commit', 'INFO', sensors.commit);
    this.counterWithRate(group, 'punctuate', tags, 'punctuator calls', 'INFO', punctuations);
    this.latency(group, 'punctuate', tags, 'a wall-clock punctuation pass', 'INFO', sensors.punctuate);
    this.counterWithRate(group, 'task-created', tags, 'tasks created', 'INFO', sensors.tasksCreated);
    this.counterWithRate(group, 'task-closed', tags, 'tasks closed', 'INFO', sensors.tasksClosed);
    this.gauge(group, 'thread-start-time', tags, 'When the thread started, epoch ms.', 'INFO', sensors.startTime);
    for (const task of thread.tasks) this.readTask(thread, task);
    if (thread.polls) {
      const consumerTags = { 'client-id': `${threadId}-consumer` };
      for (const { topic, partition, lag } of sensors.recordsLag.values()) {
        this.gauge('consumer-fetch-manager-metrics', 'records-lag', { ...consumerTags, topic, partition: String(partition) }, 'The records between the partition\'s high watermark and the next record to process, as of its last fetch.', 'INFO', lag);
      }
    }
  }

  private readTask(thread: ThreadView, task: StreamTask): void {
    const now = this.now;
    const metrics = task.metrics;
    const taskId = formatTaskId(task.id);
    const group = 'stream-task-metrics';
    const tags = { 'thread-id': thread.threadId, 'task-id': taskId };
    const dropped = metrics.droppedTotal();
    this.counterWithRate(group, 'dropped-records', tags, 'records dropped (any reason)', 'INFO', dropped);
    for (const reason of dropReasons) {
      this.counter(group, 'dropped-records-reason-total', { ...tags, reason }, 'Records dropped for this reason (Tributary: Kafka counts only the sum).', 'INFO', metrics.dropped.get(reason) ?? 0);
    }
    if (thread.timesTasks) this.gauge(group, 'active-process-ratio', tags, 'The share of time the thread spent processing this task.', 'INFO', Math.min(1, metrics.processTime.sumRate(now)));
    this.counterWithRate(group, 'restore', tags, 'changelog records restored', 'INFO', metrics.restored);
    this.gauge(group, 'restore-remaining-records-total', tags, 'The changelog records still to restore before the task processes.', 'INFO', metrics.restoreRemaining);
    this.counterWithRate(group, 'process', tags, 'records processed', 'DEBUG', metrics.processed);
    this.counterWithRate(group, 'punctuate', tags, 'punctuator calls', 'DEBUG', metrics.punctuations);
    this.counterWithRate(group, 'enforced-processing', tags, 'records processed although an input partition was empty, once the wait for it (maxTaskIdleMs) was over', 'DEBUG', metrics.enforcedProcessing);
    if (recordsAt(this.level, 'DEBUG')) {
      this.gauge(group, 'record-lateness-avg', tags, 'The average lateness of records: how far behind stream time they came, ms.', 'DEBUG', metrics.lateness.average(now));
      this.gauge(group, 'record-lateness-max', tags, 'The largest lateness of a record, ms.', 'DEBUG', metrics.lateness.maximum(now));
    }
    this.gauge(group, 'stream-time-ahead-of-wall-clock-ms', tags, 'How far stream time was ahead of the wall clock at the last check (Tributary).', 'INFO', metrics.streamTimeAheadOfWallClockMs);
    for (const [node, stat] of metrics.endToEndLatency) {
      const nodeTags = { ...tags, 'processor-node-id': node };
      const nodeGroup = 'stream-processor-node-metrics';
      const what = 'end-to-end latency of a record at this source, sink or terminal node (wall clock minus record timestamp), ms';
      this.gauge(nodeGroup, 'record-e2e-latency-avg', nodeTags, `The average ${what}.`, 'INFO', stat.average(now));
      this.gauge(nodeGroup, 'record-e2e-latency-min', nodeTags, `The smallest ${what}.`, 'INFO', stat.minimum(now));
      this.gauge(nodeGroup, 'record-e2e-latency-max', nodeTags, `The largest ${what}.`, 'INFO', stat.maximum(now));
    }
    for (const [node, counter] of metrics.sourceProcessed) {
      this.counterWithRate('stream-processor-node-metrics', 'process', { ...tags, 'processor-node-id': node }, 'records processed by this source node', 'DEBUG', counter.count);
    }
    for (const [node, counter] of metrics.suppressionEmits) {
      this.counterWithRate('stream-processor-node-metrics', 'suppression-emit', { ...tags, 'processor-node-id': node }, 'records the suppression emitted', 'DEBUG', counter.count);
    }
    if (recordsAt(this.level, 'DEBUG')) {
      for (const [storeName, buffer] of metrics.suppressionBuffers) {
        const bufferTags = { ...tags, 'in-memory-suppression-state-id': storeName };
        const state = 'stream-state-metrics';
        this.gauge(state, 'suppression-buffer-size-avg', bufferTags, 'The average size of buffered records, bytes.', 'DEBUG', buffer.size.average(now));
        this.gauge(state, 'suppression-buffer-size-max', bufferTags, 'The largest size of buffered records, bytes.', 'DEBUG', buffer.size.maximum(now));
        this.gauge(state, 'suppression-buffer-count-avg', bufferTags, 'The average count of buffered records.', 'DEBUG', buffer.count.average(now));
        this.gauge(state, 'suppression-buffer-count-max', bufferTags, 'The largest count of buffered records.', 'DEBUG', buffer.count.maximum(now));
      }
    }
    for (const sensors of metrics.stores.values()) {
      const storeTags = { ...tags, [`${sensors.storeType}-state-id`]: sensors.storeName };
      for (const [operation, stat] of sensors.operations) {
        this.counterWithRate('stream-state-metrics', operation, storeTags, `${operation} operations`, 'DEBUG', stat.total);
        this.latency('stream-state-metrics', operation, storeTags, `a ${operation} operation`, 'DEBUG', stat);
      }
      if (sensors.hitRatio !== undefined) {
        const cacheTags = { ...tags, 'record-cache-id': sensors.storeName };
        const ratio = sensors.hitRatio;
        this.gauge('stream-record-cache-metrics', 'hit-ratio-avg', cacheTags, 'The average cache hit ratio of reads.', 'DEBUG', ratio.average(now));
        this.gauge('stream-record-cache-metrics', 'hit-ratio-min', cacheTags, 'The smallest cache hit ratio of reads.', 'DEBUG', ratio.minimum(now));
        this.gauge('stream-record-cache-metrics', 'hit-ratio-max', cacheTags, 'The largest cache hit ratio of reads.', 'DEBUG', ratio.maximum(now));
      }
    }
  }

  /** `<name>-total` and `<name>-rate` of a plain-field counter. */
  private counterWithRate(group: string, name: string, tags: Readonly<Record<string, string>>, what: string, level: RecordingLevel, total: number): void {
    if (!recordsAt(this.level, level)) return;
    this.counter(group, `${name}-total`, tags, `The number of ${what}.`, level, total);
    const key = `${group}\u0000${name}\u0000${JSON.stringify(tags)}`;
    const rate = this.rates.get(key) ?? new CounterRate();
    this.seenRates.set(key, rate);
    this.gauge(group, `${name}-rate`, tags, `The number of ${what} per second.`, level, rate.rate(total, this.now));
  }

  /** `<name>-latency-avg` and `<name>-latency-max` of a timed stat, ms. */
  private latency(group: string, name: string, tags: Readonly<Record<string, string>>, what: string, level: RecordingLevel, stat: SampledStat): void {
    if (!recordsAt(this.level, level)) return;
    this.gauge(group, `${name}-latency-avg`, tags, `The average time of ${what}, ms.`, level, stat.average(this.now));
    this.gauge(group, `${name}-latency-max`, tags, `The longest time of ${what}, ms.`, level, stat.maximum(this.now));
  }

  private counter(group: string, name: string, tags: Readonly<Record<string, string>>, description: string, level: RecordingLevel, value: number): void {
    if (recordsAt(this.level, level)) this.output.push({ group, name, tags, description, level, type: 'counter', value });
  }

  private gauge(group: string, name: string, tags: Readonly<Record<string, string>>, description: string, level: RecordingLevel, value: number): void {
    if (recordsAt(this.level, level)) this.output.push({ group, name, tags, description, level, type: 'gauge', value });
  }
}
