/**
 * `KafkaStreams`: runs a topology on Apache Kafka. It creates the topology's internal topics,
 * loads global tables, joins the consumer group named by the application id, runs a task per
 * assigned (sub-topology, partition) — restoring their stores from changelogs first — and commits
 * at-least-once. More instances with the same application id share the tasks.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry, type logCreator } from 'kafkajs';
import { queryStore, type Logger, type QueryableStoreType, type StateStore, type Topology } from '@tributary/streams';
import type { DropReason, InternalTopologyBuilder } from '@tributary/streams/engine';
import { BrokerUnreachableError, brokersUnavailable, IllegalStateError, StreamsFatalError, TaskCorruptedError } from './errors.js';
import { redactError, resolveKafkaStreamsOptions, splitCloneableOptions, type KafkaStreamsOptions, type ResolvedKafkaStreamsOptions } from './options.js';
import { GlobalStoreConsumer } from './internal/global-store-bootstrap.js';
import { StreamThread, type StreamThreadOptions } from './internal/stream-thread.js';
import { ThreadPool } from './internal/thread-pool.js';
import { prepareTopics } from './internal/topic-manager.js';

/** The lifecycle states, as in Kafka Streams. */
export type KafkaStreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

/** Told of every state change. */
export type StateListener = (state: KafkaStreamsState, previous: KafkaStreamsState) => void;

/** Counters of this instance. */
export interface KafkaStreamsMetrics {
  /** Records processed by this instance's tasks, since start. */
  readonly processed: number;
  /** Records dropped, by reason (global tables included). */
  readonly dropped: Map<DropReason, number>;
  /** Running tasks, as `<subtopology>_<partition>`. */
  readonly tasks: string[];
  /** Changelog records restored into stores since start. */
  readonly restored: number;
  /** Standby tasks this instance holds, as `<subtopology>_<partition>` (with `numStandbyReplicas`). */
  readonly standbyTasks: string[];
  /** Changelog records applied to standby stores since start. */
  readonly standbyRecords: number;
  /**
   * The furthest any running task's stream time is ahead of the wall clock, ms (0 when none is):
   * a record stamped in the future moved it, and records stamped now are late for windows with
   * less grace. Each task also logs a warning, at most once a minute, when it is over a second.
   */
  readonly streamTimeAheadOfWallClockMs: number;
  /** With `numStreamThreads` above 1: each thread's state and tasks (the sums above are of their last reports, at most 500 ms old). */
  readonly threads?: readonly StreamThreadMetrics[];
}

/** One stream thread's part of the metrics, with `numStreamThreads` above 1. */
export interface StreamThreadMetrics {
  /** `StreamThread-<n>`, also the suffix of its kafkajs client id. */
  readonly threadName: string;
  readonly state: KafkaStreamsState;
  /** Its running tasks, as `<subtopology>_<partition>`. */
  readonly tasks: readonly string[];
}

/** Options of {@link KafkaStreams.close}. */
export interface CloseOptions {
  /** How long to wait for the commit and for leaving the group. Default 30000 ms. */
  readonly timeoutMs?: number;
}

/** How long start() tries to reach the brokers before it gives up. */
const CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;
/** At most this many stream-thread replacements within {@link THREAD_REPLACEMENT_WINDOW_MS}; then a corrupted task is fatal. */
const MAX_THREAD_REPLACEMENTS = 10;
const THREAD_REPLACEMENT_WINDOW_MS = 5 * 60_000;

const transitions: Record<KafkaStreamsState, readonly KafkaStreamsState[]> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  ERROR: ['PENDING_SHUTDOWN'],
};

function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const text = `kafkajs ${namespace}: ${message}`;
      if (level === logLevel.ERROR) logger.error(text, fields);
      else if (level === logLevel.WARN) logger.warn(text, fields);
      else if (level === logLevel.INFO) logger.info(text, fields);
      else logger.debug(text, fields);
    };
}

/**
 * Whether a stream thread that stopped on `error` may be replaced: a corrupted task (unknown
 * transaction outcome, fenced producer, lost membership, sends the brokers could not take),
 * brokers unreachable while the new thread connects, or an error kafkajs calls retriable.
 */
function recoverable(error: unknown): error is Error {
  return error instanceof TaskCorruptedError || (error instanceof Error && brokersUnavailable(error));
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs a topology on Kafka.
 *
 * @example
 * ```ts
 * const app = new KafkaStreams(builder.build(), { applicationId: 'orders-app', bootstrapServers: 'localhost:9092' });
 * process.once('SIGTERM', () => void app.close());
 * await app.start();
 * ```
 */
export class KafkaStreams {
  private currentState: KafkaStreamsState = 'CREATED';
  private readonly listeners: StateListener[] = [];
  private readonly options: ResolvedKafkaStreamsOptions;
  private readonly builder: InternalTopologyBuilder;
  private kafka: Kafka | undefined;
  private admin: Admin | undefined;
  private thread: StreamThread | undefined;
  /** The worker threads' supervisor, when `numStreamThreads` is above 1; then `run()` is not used. */
  private readonly pool: ThreadPool | undefined;
  private globals: GlobalStoreConsumer | undefined;
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private fatalError: unknown;

  /** Validates the options; throws `ConfigError` naming a bad one. Connects nothing until {@link start}. */
  constructor(topology: Topology, options: KafkaStreamsOptions) {
    const internal = (topology as { internal?: unknown } | null)?.internal;
    if (typeof internal !== 'object' || internal === null || typeof (internal as InternalTopologyBuilder).subtopologies !== 'function') {
      throw new IllegalStateError('KafkaStreams needs a Topology: pass builder.build() or a new Topology() you added nodes to.');
    }
    this.builder = internal as InternalTopologyBuilder;
    this.options = resolveKafkaStreamsOptions(options);
    if (this.builder.nodes.size === 0 && this.builder.globalStores.size === 0) {
      throw new IllegalStateError('The topology is empty: add sources, processors and sinks before creating KafkaStreams.');
    }
    if (this.options.numStreamThreads > 1) {
      this.pool = new ThreadPool({
        numStreamThreads: this.options.numStreamThreads,
        threadModule: this.options.threadModule!,
        processId: this.processId,
        options: splitCloneableOptions(options),
        logger: this.options.streams.logger,
        callbacks: {
          onRunning: () => {
            if (this.currentState === 'REBALANCING') this.setState('RUNNING');
          },
          onRebalancing: () => {
            if (this.currentState === 'RUNNING') this.setState('REBALANCING');
          },
          onFatal: (error) => this.onFatal(error),
        },
      });
    }
  }

  /** The current state. */
  get state(): KafkaStreamsState {
    return this.currentState;
  }

  /** Registers a listener of state changes; returns a function that removes it. */
  onStateChange(listener: StateListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /**
   * Creates internal topics, loads global tables, joins the group and restores the assigned
   * tasks. Resolves once `RUNNING`; rejects (and the state is `ERROR`) on a fatal error, such as
   * missing source topics or unreachable brokers.
   */
  start(): Promise<void> {
    if (this.currentState !== 'CREATED' || this.startPromise !== undefined) {
      return Promise.reject(new IllegalStateError(`start() can be called once, on a new KafkaStreams; the application is ${this.currentState}.`));
    }
    this.setState('REBALANCING');
    this.startPromise = (this.pool !== undefined ? this.pool.start() : this.run()).catch((error: unknown) => {
      const safe = redactError(error, this.options.secrets);
      if (this.currentState === 'REBALANCING' || this.currentState === 'RUNNING') {
        this.options.streams.logger.error('The application failed to start', { error: safe instanceof Error ? safe.message : String(safe) });
        this.fatalError = safe;
        this.setState('ERROR');
      }
      throw safe;
    });
    return this.startPromise;
  }

  /** A read-only view of a store across this instance's running tasks (and global tables). */
  query<View>(storeName: string, type: QueryableStoreType<View>): View {
    if (this.pool !== undefined) {
      throw new IllegalStateError(
        "Interactive queries are not available with numStreamThreads > 1 in this version: each thread's stores live in its own worker thread. Query with numStreamThreads: 1, or serve queries from the output topics.",
      );
    }
    if (this.currentState !== 'RUNNING' && this.currentState !== 'REBALANCING') {
      throw new IllegalStateError(`Stores can be queried while the application is RUNNING (or REBALANCING); it is ${this.currentState}.`);
    }
    const stores: StateStore[] = this.thread?.storesNamed(storeName) ?? [];
    const global = this.globals?.updater.stores().get(storeName);
    if (global !== undefined) stores.push(global);
    return queryStore(storeName, type, stores);
  }

  /** Counters of this instance. */
  metrics(): KafkaStreamsMetrics {
    if (this.pool !== undefined) return this.pool.metrics();
    const dropped = this.thread?.droppedCounts() ?? new Map<DropReason, number>();
    for (const [reason, count] of this.globals?.updater.metrics.dropped ?? []) dropped.set(reason, (dropped.get(reason) ?? 0) + count);
    return {
      processed: this.thread?.processedCount() ?? 0,
      dropped,
      tasks: this.thread?.taskIds() ?? [],
      restored: this.thread?.restoredRecords ?? 0,
      standbyTasks: this.thread?.standbyTaskIds() ?? [],
      standbyRecords: this.thread?.standbyRecords ?? 0,
      streamTimeAheadOfWallClockMs: this.thread?.streamTimeAheadOfWallClockMs() ?? 0,
    };
  }

  /**
   * Commits what was processed, closes the tasks and leaves the group. Works in any state,
   * `ERROR` included (then nothing is committed). Resolves once `NOT_RUNNING`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return Promise.reject(new IllegalStateError(`close() option 'timeoutMs' must be a non-negative number, got ${timeoutMs}.`));
    this.setState('PENDING_SHUTDOWN');
    const work = (async () => {
      let failure: unknown;
      const attempt = async (step: () => Promise<void>): Promise<void> => {
        try {
          await step();
        } catch (error) {
          failure ??= error;
        }
      };
      if (this.pool !== undefined) await attempt(() => this.pool!.close(timeoutMs));
      if (this.thread !== undefined) await attempt(() => this.thread!.close());
      if (this.globals !== undefined) await attempt(() => this.globals!.close());
      if (this.admin !== undefined) await attempt(() => this.admin!.disconnect());
      if (failure !== undefined) this.options.streams.logger.warn('Closing did not go cleanly', { error: failure instanceof Error ? failure.message : String(failure) });
    })();
    this.closePromise = withTimeout(work, timeoutMs, () => new Error('timeout'))
      .catch(() => this.options.streams.logger.warn(`close() did not finish within ${timeoutMs} ms; leaving the rest to finish in the background.`))
      .then(() => {
        this.setState('NOT_RUNNING');
      });
    return this.closePromise;
  }

  private closing(): boolean {
    return this.closePromise !== undefined;
  }

  private async run(): Promise<void> {
    const { options, builder } = this;
    // As Kafka Streams does, the state directory is created when missing.
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw new IllegalStateError(`Could not create the state directory '${options.stateDir}' (option 'stateDir'): ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
    });
    const kafkaOptions = options.kafka;
    const config: KafkaConfig = {
      ...kafkaOptions,
      clientId: kafkaOptions.clientId ?? options.applicationId,
      brokers: options.brokers,
      logLevel: kafkaOptions.logLevel ?? logLevel.WARN,
      logCreator: kafkaOptions.logCreator ?? kafkaLogCreator(options.streams.logger),
    };
    const kafka = new Kafka(config);
    this.kafka = kafka;
    const admin = kafka.admin();
    this.admin = admin;
    await withTimeout(
      admin.connect(),
      CONNECT_TIMEOUT_MS,
      () => new BrokerUnreachableError(`Could not reach the Kafka brokers [${options.brokers.join(', ')}] within ${CONNECT_TIMEOUT_MS / 1000} s. Check 'bootstrapServers', that the brokers run, and the 'kafka.ssl' / 'kafka.sasl' options.`),
    ).catch((error: unknown) => {
      if (error instanceof BrokerUnreachableError) throw error;
      throw new BrokerUnreachableError(
        `Could not connect to the Kafka brokers [${options.brokers.join(', ')}]: ${error instanceof Error ? error.message : String(error)}. Check 'bootstrapServers', that the brokers run, and the 'kafka.ssl' / 'kafka.sasl' options.`,
        { cause: error },
      );
    });
    this.checkNotClosing();
    const plan = await prepareTopics(admin, builder, options.applicationId, options.streams.logger);
    this.checkNotClosing();
    const globals = new GlobalStoreConsumer(kafka, builder, options.streams, options.stateDir, {
      groupIdPrefix: options.applicationId,
      logger: options.streams.logger,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      retry: options.kafka.retry,
      onFatal: (error) => this.onFatal(error),
    });
    this.globals = globals;
    await globals.start(admin);
    this.checkNotClosing();
    const globalStores = globals.updater.stores();
    const running = new Promise<void>((resolve, reject) => {
      this.runningWaiter = { resolve, reject };
    });
    this.startThread({ kafka, admin, builder, options, plan, globalStores, flushGlobals: () => globals.flush(), processId: this.processId });
    await running;
    if (this.fatalError !== undefined) throw this.fatalError;
    if (this.currentState === 'REBALANCING') this.setState('RUNNING');
  }

  /** Settled when the first stream thread runs (or the application fails first). */
  private runningWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** When recent threads were replaced, to bound replacements. */
  private readonly replacements: number[] = [];
  /** This instance, to the assignor: standby replicas go to other instances. */
  private processId: string = randomUUID();

  /**
   * Starts a stream thread. A thread that stops on a {@link TaskCorruptedError} (a transaction
   * whose outcome is unknown, a fenced producer) is replaced: the new thread's producers fence the
   * old ones and its tasks resume from the committed offsets and changelogs. Any other error, or
   * too many replacements in a row, is fatal.
   */
  private startThread(setup: Omit<StreamThreadOptions, 'callbacks'>): void {
    let reported = false;
    const thread: StreamThread = new StreamThread({
      ...setup,
      callbacks: {
        onRunning: () => {
          if (thread !== this.thread) return;
          this.runningWaiter?.resolve();
          this.runningWaiter = undefined;
          if (this.currentState === 'REBALANCING') this.setState('RUNNING');
        },
        onRebalancing: () => {
          if (thread === this.thread && this.currentState === 'RUNNING') this.setState('REBALANCING');
        },
        onFatal: (error) => {
          if (reported || thread !== this.thread) return;
          reported = true;
          if (this.closing()) {
            this.runningWaiter?.reject(error);
            this.runningWaiter = undefined;
            return;
          }
          if (recoverable(error) && !this.closing() && this.mayReplaceThread()) void this.replaceThread(thread, setup, error);
          else this.onFatal(error);
        },
      },
    });
    this.thread = thread;
    // A failure to start is reported like any other: replaced or fatal.
    thread.start().catch((error: unknown) => thread.reportFailure(error));
  }

  private mayReplaceThread(): boolean {
    const now = Date.now();
    while (this.replacements.length > 0 && now - this.replacements[0]! > THREAD_REPLACEMENT_WINDOW_MS) this.replacements.shift();
    if (this.replacements.length >= MAX_THREAD_REPLACEMENTS) return false;
    this.replacements.push(now);
    return true;
  }

  private async replaceThread(failed: StreamThread, setup: Omit<StreamThreadOptions, 'callbacks'>, error: Error): Promise<void> {
    // Back off, so that brokers down for a while get time to come back: 0.5 s, then doubling up to 10 s.
    const delayMs = Math.min(500 * 2 ** (this.replacements.length - 1), 10_000);
    this.options.streams.logger.warn(`Replacing the stream thread in ${delayMs} ms: ${error.message}`, { taskId: (error as Partial<TaskCorruptedError>).taskId });
    if (this.currentState === 'RUNNING') this.setState('REBALANCING');
    // Closing a failed thread commits nothing; it leaves the group so the new one can join.
    await withTimeout(failed.close(), DEFAULT_CLOSE_TIMEOUT_MS, () => new Error('timeout')).catch((closeError: unknown) =>
      this.options.streams.logger.warn('The failed stream thread did not close cleanly', { error: String(closeError) }),
    );
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.closing() || this.fatalError !== undefined) return;
    this.startThread(setup);
  }

  private checkNotClosing(): void {
    if (this.closing()) throw new IllegalStateError('The application was closed before it was running.');
    if (this.fatalError !== undefined) throw this.fatalError;
  }

  private onFatal(error: unknown): void {
    const safe = redactError(error, this.options.secrets);
    const wrapped = safe instanceof Error && 'code' in safe ? safe : new StreamsFatalError(`The application stopped on a fatal error: ${safe instanceof Error ? safe.message : String(safe)}`, { cause: safe });
    this.fatalError ??= wrapped;
    this.runningWaiter?.reject(this.fatalError);
    this.runningWaiter = undefined;
    this.options.streams.logger.error('The application stopped on a fatal error; close() it and fix the cause', {
      error: safe instanceof Error ? safe.message : String(safe),
    });
    if (this.currentState === 'REBALANCING' || this.currentState === 'RUNNING' || this.currentState === 'CREATED') this.setState('ERROR');
  }

  private setState(next: KafkaStreamsState): void {
    const previous = this.currentState;
    if (previous === next || !transitions[previous].includes(next)) return;
    this.currentState = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next, previous);
      } catch (error) {
        this.options.streams.logger.warn('A state listener threw', { error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}

/** The error that stopped `app` (state `ERROR`), for a stream thread's worker to report; not exported from the package. */
export function fatalErrorOf(app: KafkaStreams): unknown {
  return app['fatalError'];
}

/** Internal: makes a worker thread's instance part of its process's instance, so standbys avoid its siblings. */
export function joinProcess(app: KafkaStreams, processId: string): void {
  app['processId'] = processId;
}
