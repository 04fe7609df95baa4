/**
 * The supervisor of `numStreamThreads` above 1: runs each stream thread in a worker thread (see
 * `stream-thread-worker.ts`), each an ordinary single-thread `KafkaStreams` and a member of the
 * consumer group with its own tasks, and folds their states and metrics into the application's.
 * Topologies and functions cannot cross to a worker, so each builds its own from the thread module.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, type Logger } from '@tributary/streams';
import type { DropReason } from '@tributary/streams/engine';
import { IllegalStateError, StreamsFatalError } from '../errors.js';
import type { Metric } from '@tributary/streams';
import type { KafkaStreamsMetrics, KafkaStreamsState, StreamThreadMetrics } from '../kafka-streams.js';
import { checkThreadModuleExports, type SplitOptions } from '../options.js';
import { StoreUnavailableError } from '../errors.js';
import { isKeyQuery, type StoreQuery, type StoreQueryAnswer } from './store-query.js';
import type { GroupSnapshot } from './streams-metadata-state.js';

/** A worker's counters, in a form `postMessage` can carry. */
export interface MetricsSnapshot {
  readonly processed: number;
  readonly dropped: [DropReason, number][];
  readonly tasks: string[];
  readonly restored: number;
  readonly standbyTasks?: string[];
  readonly standbyRecords?: number;
  readonly streamTimeAheadOfWallClockMs?: number;
  /** The worker's thread, task, node, store and consumer-lag metrics (not its client-level ones). */
  readonly all?: Metric[];
}

/** An error, as a worker reports it. */
export interface ErrorSnapshot {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
}

/** What a worker tells the supervisor. */
export type WorkerMessage =
  | { readonly type: 'state'; readonly state: KafkaStreamsState; readonly metrics: MetricsSnapshot }
  | { readonly type: 'metrics'; readonly metrics: MetricsSnapshot }
  | { readonly type: 'failed'; readonly error: ErrorSnapshot }
  | { readonly type: 'log'; readonly level: keyof Logger; readonly message: string; readonly fields: Record<string, unknown> | undefined }
  | { readonly type: 'closed'; readonly metrics: MetricsSnapshot }
  | { readonly type: 'group'; readonly snapshot: GroupSnapshot }
  | { readonly type: 'query-answer'; readonly id: number; readonly answer?: StoreQueryAnswer; readonly error?: ErrorSnapshot };

/** What the supervisor tells a worker. */
export type SupervisorMessage = CloseMessage | QueryMessage;

/** Asks a worker to close. */
export interface CloseMessage {
  readonly type: 'close';
  readonly timeoutMs: number;
}

/** Asks a worker to answer a store query (keys in bytes); it answers with a `query-answer` of the same id. */
export interface QueryMessage {
  readonly type: 'query';
  readonly id: number;
  readonly query: StoreQuery;
}

/** What a worker starts from (`workerData`). */
export interface StreamThreadWorkerData {
  readonly threadIndex: number;
  readonly threadName: string;
  readonly threadModule: string;
  readonly options: Record<string, unknown>;
  /** Options left out of `options` because they cannot cross; the thread module's `createOptions()` gives them. */
  readonly omitted: readonly string[];
  readonly metricsIntervalMs: number;
  readonly processId: string;
}

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
/** How long a worker gets to answer a query before the query fails as unavailable. */
const QUERY_TIMEOUT_MS = 10_000;
/** How long the threads that did not fail get to close when one did. */
const STOP_TIMEOUT_MS = 30_000;
const emptyMetrics: MetricsSnapshot = { processed: 0, dropped: [], tasks: [], restored: 0 };
/** The compiled worker entry, beside this module in `dist/`. */
const workerUrl = (): URL => new URL('./stream-thread-worker.js', import.meta.url);

/** `error` as a worker posts it. */
export function snapshotError(error: unknown): ErrorSnapshot {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack };
  }
  return { name: 'Error', message: String(error), code: undefined, stack: undefined };
}

/** Runs the stream threads in worker threads and reports them as one application. */
export class ThreadPool {
  private readonly threads: StreamThreadHandle[] = [];
  private closing = false;
  private failure: Error | undefined;
  private allRunning = false;
  private startWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private nextQueryId = 1;
  /** Queries sent to workers and not yet answered, by id. */
  private readonly pendingQueries = new Map<number, { readonly thread: StreamThreadHandle; readonly settle: (answer: StoreQueryAnswer | Error) => void }>();

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
    const running = new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
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

  /**
   * Answers a query (keys in bytes) from the worker threads. A key query goes to the thread that
   * last reported `ownerTask` running, then to the others until one holds it; it rejects with a
   * `StoreUnavailableError` when none does. Other queries ask every thread and join their
   * answers, up to the query's limit; one thread unable to answer fails the query, as a list
   * missing its tasks' entries would be wrong.
   */
  async query(query: StoreQuery, ownerTask: string | undefined): Promise<StoreQueryAnswer> {
    const threads = [...this.threads].sort((a, b) => Number(ownerTask !== undefined && b.metrics.tasks.includes(ownerTask)) - Number(ownerTask !== undefined && a.metrics.tasks.includes(ownerTask)));
    if (threads.length === 0) throw new StoreUnavailableError(`Store '${query.store}' cannot be queried: no stream thread is running yet.`);
    if (isKeyQuery(query)) {
      let unavailable: Error | undefined;
      for (const thread of threads) {
        const answer = await this.ask(thread, query);
        if (!(answer instanceof Error)) return answer;
        if ((answer as { code?: unknown }).code !== 'STORE_UNAVAILABLE') throw answer;
        unavailable ??= answer;
      }
      throw unavailable!;
    }
    const answers = await Promise.all(threads.map((thread) => this.ask(thread, query)));
    const entries: StoreQueryAnswer['entries'] = [];
    let count = 0;
    const limit = 'limit' in query ? query.limit : Infinity;
    for (const answer of answers) {
      // A thread that cannot answer holds tasks whose entries would be missing: no partial list.
      if (answer instanceof Error) throw answer;
      count += answer.count ?? 0;
      for (const entry of answer.entries) if (entries.length < limit) entries.push(entry);
    }
    return query.op === 'kv-count' ? { entries, count } : { entries };
  }

  /** Sends one query to one worker; resolves with its answer or the error it answered with (rebuilt, with its code). */
  private ask(thread: StreamThreadHandle, query: StoreQuery): Promise<StoreQueryAnswer | Error> {
    const id = this.nextQueryId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingQueries.delete(id);
        resolve(new StoreUnavailableError(`${thread.name} did not answer a query of store '${query.store}' within ${QUERY_TIMEOUT_MS} ms.`));
      }, QUERY_TIMEOUT_MS);
      timer.unref();
      this.pendingQueries.set(id, {
        thread,
        settle: (answer) => {
          clearTimeout(timer);
          this.pendingQueries.delete(id);
          resolve(answer);
        },
      });
      try {
        thread.worker.postMessage({ type: 'query', id, query } satisfies QueryMessage);
      } catch (error) {
        this.pendingQueries.get(id)?.settle(new StoreUnavailableError(`${thread.name} cannot take queries: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  /** Asks every thread to close, waits for them (within `timeoutMs`), then ends the workers. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.startWaiter?.reject(new IllegalStateError('The application was closed before it was running.'));
    this.startWaiter = undefined;
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
      for (const pending of [...this.pendingQueries.values()]) if (pending.thread === thread) pending.settle(new StoreUnavailableError(`${threadName} exited before answering a query.`));
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
      case 'failed': {
        const cause = Object.assign(new Error(message.error.message), { name: message.error.name, code: message.error.code });
        if (message.error.stack !== undefined) cause.stack = message.error.stack;
        this.fail(thread, `${thread.name} failed: ${message.error.message}`, cause);
        return;
      }
      case 'closed':
        thread.metrics = message.metrics;
        markDone();
        return;
      case 'group':
        this.options.callbacks.onGroupSnapshot(message.snapshot);
        return;
      case 'query-answer': {
        const pending = this.pendingQueries.get(message.id);
        if (pending === undefined) return;
        if (message.error !== undefined) {
          const { error } = message;
          pending.settle(error.code === 'STORE_UNAVAILABLE' ? new StoreUnavailableError(error.message) : Object.assign(new Error(error.message), { name: error.name, code: error.code }));
        } else pending.settle(message.answer ?? { entries: [] });
        return;
      }
    }
  }

  private onThreadState(): void {
    if (this.closing || this.failure !== undefined) return;
    const allRunning = this.threads.length === this.options.numStreamThreads && this.threads.every((thread) => thread.state === 'RUNNING');
    if (allRunning && !this.allRunning) {
      this.allRunning = true;
      this.options.callbacks.onRunning();
      this.startWaiter?.resolve();
      this.startWaiter = undefined;
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
    this.startWaiter?.reject(error);
    this.startWaiter = undefined;
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
