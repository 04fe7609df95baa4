/**
 * The supervisor of `numStreamThreads` above 1: runs each stream thread in a worker thread (see
 * `stream-thread-worker.ts`), each an ordinary single-thread `KafkaStreams` and a member of the
 * consumer group with its own tasks, and folds their states and metrics into the application's.
 * Topologies and functions cannot cross to a worker, so each builds its own from the thread module.
 * What crosses is in `worker-messages.ts`; queries across the workers are `worker-queries.ts`'s.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, type Logger, type Metric } from '@tributary/streams';
import type { DropReason } from '@tributary/streams/engine';
import { IllegalStateError, StreamsFatalError } from '../errors.js';
import type { KafkaStreamsMetrics, KafkaStreamsState, StreamThreadMetrics } from '../kafka-streams.js';
import { checkThreadModuleExports, type SplitOptions } from '../options.js';
import { StartSignal } from './start-signal.js';
import type { StoreQuery, StoreQueryAnswer } from './store-query.js';
import type { GroupSnapshot } from './streams-metadata-state.js';
import { errorFromSnapshot, type CloseMessage, type MetricsSnapshot, type StreamThreadWorkerData, type WorkerMessage } from './worker-messages.js';
import { WorkerQueries } from './worker-queries.js';

interface ThreadPoolCallbacks {
  /** Every thread is running. */
  onRunning(): void;
  /** A thread is rebalancing. */
  onRebalancing(): void;
  /** A thread failed or exited: the application is in error. */
  onFatal(error: Error): void;
  /** A thread described the group after a rebalance. */
  onGroupSnapshot(snapshot: GroupSnapshot): void;
}

export interface ThreadPoolOptions {
  readonly numStreamThreads: number;
  /** The `file:` URL of the thread module. */
  readonly threadModule: string;
  readonly options: SplitOptions;
  /** Where the workers' log lines go, unless the thread module gives them a logger. */
  readonly logger: Logger;
  readonly callbacks: ThreadPoolCallbacks;
}

interface StreamThreadHandle {
  readonly name: string;
  readonly worker: Worker;
  state: KafkaStreamsState;
  metrics: MetricsSnapshot;
  /** Resolves when the worker has closed its application (on close(), or when another thread failed) or exited. */
  readonly done: Promise<void>;
}

const METRICS_INTERVAL_MS = 500;
/** How long the threads that did not fail get to close when one did. */
const STOP_TIMEOUT_MS = 30_000;
const emptyMetrics: MetricsSnapshot = { processed: 0, dropped: [], tasks: [], restored: 0 };
/** The compiled worker entry, beside this module in `dist/`. */
const workerUrl = (): URL => new URL('./stream-thread-worker.js', import.meta.url);

/** Runs the stream threads in worker threads and reports them as one application. */
export class ThreadPool {
  private readonly threads: StreamThreadHandle[] = [];
  private closing = false;
  private failure: Error | undefined;
  private allRunning = false;
  private readonly started = new StartSignal();
  private readonly queries = new WorkerQueries();

  constructor(private readonly options: ThreadPoolOptions) {}

  /**
   * Starts every thread with the instance's `processId` (shared by its threads: standbys go to
   * other instances, and exactly-once v2's transactional ids are `<applicationId>-<processId>-<threadIndex>`);
   * resolves once all are RUNNING, rejects with the first thread's failure.
   */
  async start(processId: string): Promise<void> {
    const { options } = this;
    let exports: unknown;
    try {
      exports = await import(options.threadModule);
    } catch (error) {
      throw new ConfigError(`Option 'threadModule' (${options.threadModule}) could not be imported: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    checkThreadModuleExports(exports, options.options.omitted, options.threadModule);
    if (this.closing) throw new IllegalStateError('The application was closed before it was running.');
    const running = this.started.wait();
    for (let index = 1; index <= options.numStreamThreads; index += 1) this.threads.push(this.spawn(index, processId));
    return running;
  }

  /** The threads' latest counters, summed; `threads` breaks the tasks down by thread. */
  metrics(clientMetrics: readonly Metric[]): KafkaStreamsMetrics & { readonly threads: readonly StreamThreadMetrics[] } {
    let processed = 0;
    let restored = 0;
    let standbyRecords = 0;
    let streamTimeAheadOfWallClockMs = 0;
    const standbyTasks: string[] = [];
    const dropped = new Map<DropReason, number>();
    const tasks: string[] = [];
    const all: Metric[] = [...clientMetrics];
    for (const thread of this.threads) {
      if (thread.metrics.all !== undefined) all.push(...thread.metrics.all);
      processed += thread.metrics.processed;
      restored += thread.metrics.restored;
      for (const [reason, count] of thread.metrics.dropped) dropped.set(reason, (dropped.get(reason) ?? 0) + count);
      tasks.push(...thread.metrics.tasks);
      standbyRecords += thread.metrics.standbyRecords ?? 0;
      streamTimeAheadOfWallClockMs = Math.max(streamTimeAheadOfWallClockMs, thread.metrics.streamTimeAheadOfWallClockMs ?? 0);
      standbyTasks.push(...(thread.metrics.standbyTasks ?? []));
    }
    const threads = this.threads.map((thread) => ({ threadName: thread.name, state: thread.state, tasks: [...thread.metrics.tasks] }));
    return { processed, dropped, tasks: tasks.sort(), restored, standbyTasks: standbyTasks.sort(), standbyRecords, streamTimeAheadOfWallClockMs, threads, all };
  }

  /** Answers a query (keys in bytes) from the worker threads (see {@link WorkerQueries.query}). */
  query(query: StoreQuery, ownerTask: string | undefined): Promise<StoreQueryAnswer> {
    return this.queries.query(this.threads, query, ownerTask);
  }

  /** Asks every thread to close, waits for them (within `timeoutMs`), then ends the workers. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.started.reject(new IllegalStateError('The application was closed before it was running.'));
    // Leave the workers a margin to post their last metrics before they are ended.
    const message: CloseMessage = { type: 'close', timeoutMs: Math.floor(timeoutMs * 0.8) };
    for (const thread of this.threads) thread.worker.postMessage(message);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.floor(timeoutMs * 0.9));
    });
    await Promise.race([Promise.all(this.threads.map((thread) => thread.done)), deadline]).finally(() => clearTimeout(timer));
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private spawn(threadIndex: number, processId: string): StreamThreadHandle {
    const { options } = this;
    const threadName = `StreamThread-${threadIndex}`;
    const workerData: StreamThreadWorkerData = {
      threadIndex,
      threadName,
      threadModule: options.threadModule,
      options: options.options.cloneable,
      omitted: options.options.omitted,
      metricsIntervalMs: METRICS_INTERVAL_MS,
      processId,
    };
    const worker = new Worker(workerUrl(), { workerData, name: threadName });
    let markDone: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    const thread: StreamThreadHandle = { name: threadName, worker, state: 'CREATED', metrics: emptyMetrics, done };
    worker.on('message', (message: WorkerMessage) => this.onMessage(thread, message, markDone));
    worker.on('error', (error) => this.fail(thread, `${threadName} crashed: ${error.message}`, error));
    worker.on('exit', (code) => {
      markDone();
      this.queries.abandon(thread);
      if (!this.closing) this.fail(thread, `${threadName} exited unexpectedly with code ${code}`, undefined);
    });
    return thread;
  }

  private onMessage(thread: StreamThreadHandle, message: WorkerMessage, markDone: () => void): void {
    switch (message.type) {
      case 'log':
        this.options.logger[message.level](message.message, { ...message.fields, thread: thread.name });
        return;
      case 'metrics':
        thread.metrics = message.metrics;
        return;
      case 'state':
        thread.metrics = message.metrics;
        thread.state = message.state;
        this.onThreadState();
        return;
      case 'failed':
        this.fail(thread, `${thread.name} failed: ${message.error.message}`, errorFromSnapshot(message.error));
        return;
      case 'closed':
        thread.metrics = message.metrics;
        markDone();
        return;
      case 'group':
        this.options.callbacks.onGroupSnapshot(message.snapshot);
        return;
      case 'query-answer':
        this.queries.settle(message.id, message.answer, message.error);
        return;
    }
  }

  private onThreadState(): void {
    if (this.closing || this.failure !== undefined) return;
    const allRunning = this.threads.length === this.options.numStreamThreads && this.threads.every((thread) => thread.state === 'RUNNING');
    if (allRunning && !this.allRunning) {
      this.allRunning = true;
      this.options.callbacks.onRunning();
      this.started.resolve();
    } else if (!allRunning && this.allRunning) {
      this.allRunning = false;
      this.options.callbacks.onRebalancing();
    }
  }

  /** Threads neither failed nor stopped (Kafka's `alive-stream-threads`). */
  aliveThreads(): number {
    return this.threads.filter((thread) => thread.state !== 'ERROR' && thread.state !== 'NOT_RUNNING').length;
  }

  /** Threads that failed (Kafka's `failed-stream-threads`). */
  failedThreads(): number {
    return this.threads.filter((thread) => thread.state === 'ERROR').length;
  }

  private fail(thread: StreamThreadHandle, message: string, cause: unknown): void {
    if (this.closing || this.failure !== undefined) return;
    thread.state = 'ERROR';
    const error = new StreamsFatalError(message, cause === undefined ? undefined : { cause });
    this.failure = error;
    this.options.callbacks.onFatal(error);
    this.started.reject(error);
    // As with one thread, ERROR means stopped: the other threads commit, close and leave the group now.
    const stop: CloseMessage = { type: 'close', timeoutMs: STOP_TIMEOUT_MS };
    for (const other of this.threads) {
      try {
        other.worker.postMessage(stop);
      } catch {
        // A worker that already exited has nothing to stop.
      }
    }
  }
}
