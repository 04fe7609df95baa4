/**
 * `KafkaStreams`: runs a topology on Apache Kafka. It creates the topology's internal topics,
 * loads global tables, joins the consumer group named by the application id, runs a task per
 * assigned (sub-topology, partition) — restoring their stores from changelogs first — and commits
 * at-least-once. More instances with the same application id share the tasks.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { queryStore, type Metric, type QueryableStoreType, type StateStore, type Topology } from '@tributary/streams';
import { preparableSupplierOf, StreamsMetricsReader, topologyBuilder, type ClientView, type DropReason, type InternalTopologyBuilder } from '@tributary/streams/engine';
import { brokersUnavailable, IllegalStateError, StreamsFatalError, TaskCorruptedError, TaskMigratedError } from './errors.js';
import type { AsyncStoreView, StoreQueryOptions } from './interactive-queries.js';
import type { KeyLocator, KeyQueryMetadata, StreamsMetadata } from './streams-metadata.js';
import { QueryService, type QueryServiceHost, type StoreKind } from './internal/query-service.js';
import { asyncStoreView, decodeAnswer, decodeQuery, encodeAnswer, encodeQuery, isKeyQuery, type StoreQuery, type StoreQueryAnswer } from './internal/store-query.js';
import type { GroupSnapshot } from './internal/streams-metadata-state.js';
import { describeResolvedOptions, redactError, resolveKafkaStreamsOptions, splitCloneableOptions, type KafkaStreamsOptions, type ResolvedKafkaStreamsOptions } from './options.js';
import { brokerFailure } from './internal/connect.js';
import type { KafkaClientSupplier, StreamsAdmin } from './client/kafka-client.js';
import { kafkajsClientSupplier } from './client/internal/kafkajs-supplier.js';
import { GlobalStoreConsumer } from './internal/global-store-bootstrap.js';
import { createStateDirectory, StateDirectoryLock } from './internal/state-directory-lock.js';
import { initializeProcessId } from './internal/process-id.js';
import { StreamThread, type StreamThreadOptions } from './internal/stream-thread.js';
import { ThreadPool } from './internal/thread-pool.js';
import { prepareTopics } from './internal/topic-manager.js';
import { ThreadReplacements } from './internal/thread-replacements.js';
import { withTimeout } from './internal/with-timeout.js';

/** The lifecycle states, as in Kafka Streams. */
export type KafkaStreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

/** Told of every state change. */
export type StateListener = (state: KafkaStreamsState, previous: KafkaStreamsState) => void;

/**
 * Counters of this instance, as {@link KafkaStreams.metrics} returns them: a snapshot,
 * cumulative since start (stream threads that were replaced included); with `numStreamThreads`
 * above 1, summed from the threads' last reports, at most 500 ms old.
 */
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
  /**
   * Kafka Streams' metrics, named as Kafka names them (group, name, tags; see docs/operating.md):
   * client, stream threads, tasks, processor nodes, consumer lag and, at `metricsRecordingLevel`
   * `'DEBUG'`, state stores and record caches. With `numStreamThreads` above 1, each worker
   * thread's as of its last report. `@tributary/prometheus` exports them.
   */
  readonly all: readonly Metric[];
}

/** One stream thread's part of the metrics, with `numStreamThreads` above 1. */
export interface StreamThreadMetrics {
  /** `StreamThread-<n>`, also the suffix of its kafkajs client id. */
  readonly threadName: string;
  /**
   * The thread's own lifecycle state, as it last reported it: `REBALANCING` while it takes part
   * in a rebalance or restores its stores, `ERROR` once it failed (which stops the instance with a
   * `StreamsFatalError`). The instance is `RUNNING` only when every thread is.
   */
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
/** What start() rejects with when close() was called first. */
const CLOSED_WHILE_STARTING = 'The application was closed while starting: close() was called before start() had it RUNNING. Nothing is wrong with it; to run it, create a new KafkaStreams and start() that.';
const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;

const transitions: Record<KafkaStreamsState, readonly KafkaStreamsState[]> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  ERROR: ['PENDING_SHUTDOWN'],
};

/**
 * Whether a stream thread that stopped on `error` may be replaced: a corrupted task (unknown
 * transaction outcome, fenced producer, lost membership, sends the brokers could not take),
 * brokers unreachable while the new thread connects, or an error kafkajs calls retriable.
 */
function recoverable(error: unknown): error is Error {
  return error instanceof TaskCorruptedError || error instanceof TaskMigratedError || (error instanceof Error && brokersUnavailable(error));
}

/**
 * Runs a topology on Kafka: one instance of the application. Instances with the same
 * `applicationId` form a consumer group and share the input partitions (the tasks). The state
 * goes `CREATED` → `REBALANCING` → `RUNNING` after {@link start}, back to `REBALANCING` while
 * partitions move, `PENDING_SHUTDOWN` → `NOT_RUNNING` after {@link close}, and `ERROR` on a fatal
 * error. [Running on Kafka](../../../docs/running-on-kafka.md) covers it start to finish.
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
  /** Makes this instance's Kafka clients: the option `client`, or kafkajs ones from the option `kafka`. */
  private readonly client: KafkaClientSupplier;
  private admin: StreamsAdmin | undefined;
  private thread: StreamThread | undefined;
  /** The worker threads' supervisor, when `numStreamThreads` is above 1; then `run()` is not used. */
  private readonly pool: ThreadPool | undefined;
  private globals: GlobalStoreConsumer | undefined;
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private fatalError: unknown;
  /** Rejects start() at once when close() is called while starting. */
  private abortStart: ((error: Error) => void) | undefined;
  /** The lock on `<stateDir>/<applicationId>`, held while running (persistent stores only, as in Kafka Streams). */
  private stateLock: StateDirectoryLock | undefined;
  /** Taking {@link stateLock}; close() waits for it, to release what it took. */
  private locking: Promise<void> | undefined;
  /** A worker thread of `numStreamThreads`: its process's main thread holds the state directory lock. */
  private underProcessLock = false;
  /** The counters of stream threads that were replaced, so that metrics stay cumulative. */
  private readonly retired = { processed: 0, restored: 0, standbyRecords: 0, dropped: new Map<DropReason, number>() };
  /** Interactive queries: the group's metadata, store serdes, local answers. */
  private readonly queries: QueryService;
  /** Told of each group snapshot (a worker thread forwards them to its supervisor). */
  private readonly snapshotListeners: ((snapshot: GroupSnapshot) => void)[] = [];
  /** What the query service reads of this instance's stores. */
  private readonly queryHost: QueryServiceHost = {
    readable: () => this.currentState === 'RUNNING' || this.currentState === 'REBALANCING',
    settled: () => this.currentState === 'RUNNING',
    storesNamed: (store) => this.thread?.storesNamed(store) ?? [],
    storeOfTask: (task, store) => this.thread?.storeOfTask(task, store),
    globalStore: (store) => this.globals?.updater.stores().get(store),
    standbyStoreOfTask: (task, store) => this.thread?.standbyStoreOfTask(task, store),
    standbyStoresNamed: (store) => this.thread?.standbyStoresNamed(store) ?? [],
  };
  /** Reads the metrics; keeps the windows of their rates between reads. */
  private readonly metricsReader: StreamsMetricsReader;
  /** Stream threads that stopped on an error since start (Kafka's `failed-stream-threads`), replaced or not. */
  private failedThreads = 0;
  /** Stream threads started, for the next one's `StreamThread-<n>`. */
  private threadCount = 0;
  /** A worker thread of `numStreamThreads`: its client id already ends in its `StreamThread-<n>`. */
  private workerThread = false;
  /** The stream thread's index in this process (a worker's `<n>`), which its replacements keep. */
  private threadIndex = 1;

  /**
   * Validates the options and the topology. Connects nothing until {@link start}.
   *
   * @throws ConfigError naming the first bad option (a missing `applicationId`, an unknown
   *   `processingGuarantee`, a negative interval, ...).
   * @throws IllegalStateError when `topology` is not a `Topology` or has no nodes.
   */
  constructor(topology: Topology, options: KafkaStreamsOptions) {
    const builder = topologyBuilder(topology);
    if (builder === undefined) throw new IllegalStateError('KafkaStreams needs a Topology: pass builder.build() or a new Topology() you added nodes to.');
    this.builder = builder;
    this.options = resolveKafkaStreamsOptions(options);
    this.queries = new QueryService(this.builder, this.options.applicationId, this.options.streams, this.options.applicationServer);
    this.metricsReader = new StreamsMetricsReader(this.options.streams.metricsRecordingLevel);
    // Built before any consumer fetches: the kafkajs supplier fixes kafkajs 2.2.4's read_committed
    // filter, which lets some aborted records through (a worker thread's KafkaStreams fixes its own).
    this.client =
      this.options.client ??
      kafkajsClientSupplier({ kafka: this.options.kafka, clientId: this.clientId(), brokers: this.options.brokers, fetchSizes: this.options.fetchSizes, logger: this.options.streams.logger, closing: () => this.closing() });
    if (this.builder.nodes.size === 0 && this.builder.globalStores.size === 0) {
      throw new IllegalStateError('The topology is empty: add sources, processors and sinks before creating KafkaStreams.');
    }
    if (this.options.numStreamThreads > 1) {
      this.pool = new ThreadPool({
        numStreamThreads: this.options.numStreamThreads,
        threadModule: this.options.threadModule!,
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
          onGroupSnapshot: (snapshot) => this.onGroupSnapshot(snapshot),
        },
      });
    }
  }

  /** What `JSON.stringify(app)` prints: the application id, state and options, secrets redacted. */
  toJSON(): Record<string, unknown> {
    return { applicationId: this.options.applicationId, state: this.currentState, options: describeResolvedOptions(this.options) };
  }

  /** What `util.inspect(app)` and `console.log(app)` print: as {@link toJSON}, never a client's secrets. */
  [inspect.custom](depth: number, inspectOptions: Parameters<typeof inspect>[1]): string {
    return `KafkaStreams ${inspect(this.toJSON(), { ...inspectOptions, depth: Math.max(depth, 4) })}`;
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
   * tasks. Resolves once `RUNNING`; rejects (and the state is `ERROR`) on a fatal error:
   * {@link MissingSourceTopicsError}, {@link BrokerUnreachableError} (nothing answered within
   * 30 s), {@link CopartitionError}, {@link InternalTopicMismatchError},
   * {@link StateDirectoryLockedError} or {@link StreamsFatalError}. Rejects with
   * {@link IllegalStateError} when called twice, or when {@link close} is called before it resolves.
   */
  start(): Promise<void> {
    if (this.currentState !== 'CREATED' || this.startPromise !== undefined) {
      return Promise.reject(new IllegalStateError(`start() can be called once, on a new KafkaStreams; the application is ${this.currentState}.`));
    }
    this.setState('REBALANCING');
    const work =
      this.pool !== undefined
        ? this.lockStateDirectory().then(() => {
            this.checkNotClosing();
            return this.pool!.start(this.processId);
          })
        : this.run();
    // Whatever the work was doing when close() was called, start() settles at once.
    const aborted = new Promise<never>((_, reject) => {
      this.abortStart = reject;
    });
    work.catch(() => {});
    this.startPromise = Promise.race([work, aborted]).catch((error: unknown) => {
      if (this.closing()) {
        this.options.streams.logger.debug('start() stopped by close()', { error: redactError(error, this.options.secrets) });
        throw new IllegalStateError(CLOSED_WHILE_STARTING);
      }
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

  /**
   * A read-only view of a store across this instance's running tasks (and global tables), for
   * interactive queries: `app.query('counts', QueryableStoreTypes.keyValueStore())`. The view
   * reads the tasks' stores as they are at each call.
   *
   * @throws IllegalStateError unless the state is `RUNNING` or `REBALANCING`, and with
   *   `numStreamThreads` above 1 (each thread's stores live in its worker).
   * @throws StateStoreError when no running task holds a store of that name, or it is of
   *   another kind than `type`.
   */
  query<View>(storeName: string, type: QueryableStoreType<View>): View {
    if (this.pool !== undefined) {
      throw new IllegalStateError(
        "query() reads stores synchronously, and with numStreamThreads > 1 each thread's stores live in its own worker thread: use queryAsync(storeName, type), which asks the thread holding the store.",
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

  /**
   * An asynchronous read-only view of a store, with any `numStreamThreads`: each read is answered
   * by the thread holding the store (a worker thread's answers cross back in bytes, through the
   * store's serdes). Key reads go to the task holding the key's partition and reject with
   * `StoreUnavailableError` when it does not run here (restoring, moved, rebalancing); range
   * and `all` reads return this instance's entries, at most `limit` of them. Takes the
   * key-value, window and session kinds of `QueryableStoreTypes`. With `options.staleStores`,
   * standby replicas answer too, as Kafka Streams' `enableStaleStores()` (see
   * {@link StoreQueryOptions.staleStores}).
   *
   * @example
   * ```ts
   * const counts = app.queryAsync('counts', QueryableStoreTypes.keyValueStore<string, number>());
   * const count = await counts.get('alice');
   * ```
   */
  queryAsync<View>(storeName: string, type: QueryableStoreType<View>, options: StoreQueryOptions = {}): AsyncStoreView<View> {
    const kind = type.kind;
    this.queries.metadata.checkStore(storeName);
    const stale = options.staleStores === true;
    const answer =
      this.pool === undefined
        ? async (query: StoreQuery): Promise<StoreQueryAnswer> => this.queries.execute(query, this.queryHost)
        : async (query: StoreQuery): Promise<StoreQueryAnswer> => {
            const serdes = this.queries.serdesOf(storeName);
            const owner = isKeyQuery(query) && query.partition >= 0 ? `${this.queries.metadata.checkStore(storeName)!.subtopology}_${query.partition}` : undefined;
            return decodeAnswer(query, await this.pool!.query(encodeQuery(query, serdes), owner), serdes);
          };
    const run = stale ? (query: StoreQuery): Promise<StoreQueryAnswer> => answer({ ...query, stale: true }) : answer;
    return asyncStoreView(storeName, kind, { partitionOf: (store, key) => this.queries.partitionOf(store, key), run }) as AsyncStoreView<View>;
  }

  /**
   * Every instance of the application that has an `applicationServer`, with the stores and
   * partitions it holds, active and standby, as of the last rebalance (empty before the first).
   */
  metadataForAllStreamsClients(): StreamsMetadata[] {
    return this.queries.allMetadata();
  }

  /** The instances holding `storeName`, active or standby; throws `UnknownStoreError` for a name the topology lacks. */
  streamsMetadataForStore(storeName: string): StreamsMetadata[] {
    return this.queries.metadataForStore(storeName);
  }

  /**
   * Where `key` of `storeName` lives: the instance whose active task holds the key's partition,
   * those holding standbys of it, and the partition. The partition is the default partitioner's
   * (murmur2 of the key serialized with `keySerializer`, the store's key serde when omitted), or
   * `{ partitioner }`'s when the input topic was written with a custom one. For a windowed store,
   * pass the plain key. Throws `UnknownStoreError` for a name the topology lacks.
   */
  queryMetadataForKey<K>(storeName: string, key: K, keySerializer?: KeyLocator<K>): KeyQueryMetadata {
    return this.queries.keyQueryMetadata(storeName, key, keySerializer);
  }

  private onGroupSnapshot(snapshot: GroupSnapshot): void {
    this.queries.update(snapshot);
    for (const listener of this.snapshotListeners) listener(snapshot);
  }

  /** Counters of this instance. */
  metrics(): KafkaStreamsMetrics {
    const clientId = this.clientId();
    const client: ClientView = {
      clientId,
      applicationId: this.options.applicationId,
      state: this.currentState,
      aliveStreamThreads: this.pool !== undefined ? this.pool.aliveThreads() : this.thread !== undefined && this.currentState !== 'ERROR' && this.currentState !== 'NOT_RUNNING' ? 1 : 0,
      failedStreamThreads: this.pool !== undefined ? this.pool.failedThreads() : this.failedThreads,
    };
    if (this.pool !== undefined) return this.pool.metrics(this.metricsReader.read(client, [], Date.now()));
    const all = this.metricsReader.read(client, this.thread === undefined ? [] : [this.thread.metricsView()], Date.now());
    const { retired } = this;
    const dropped = new Map(retired.dropped);
    for (const [reason, count] of this.thread?.droppedCounts() ?? []) dropped.set(reason, (dropped.get(reason) ?? 0) + count);
    for (const [reason, count] of this.globals?.updater.metrics.dropped ?? []) dropped.set(reason, (dropped.get(reason) ?? 0) + count);
    return {
      processed: retired.processed + (this.thread?.processedCount() ?? 0),
      dropped,
      tasks: this.thread?.taskIds() ?? [],
      restored: retired.restored + (this.thread?.restoredRecords ?? 0),
      standbyTasks: this.thread?.standbyTaskIds() ?? [],
      standbyRecords: retired.standbyRecords + (this.thread?.standbyRecords ?? 0),
      streamTimeAheadOfWallClockMs: this.thread?.streamTimeAheadOfWallClockMs() ?? 0,
      all,
    };
  }

  /** Kafka's `client-id` tag: the kafkajs client id, or the application id. */
  private clientId(): string {
    return this.options.kafka.clientId ?? this.options.applicationId;
  }

  /**
   * Commits what was processed, closes the tasks and leaves the group. Works in any state,
   * `ERROR` included (then nothing is committed), and a second call returns the first one's
   * promise. Waits at most `options.timeoutMs` (default 30000 ms) for the commit and for leaving
   * the group; resolves once `NOT_RUNNING`. Rejects with {@link IllegalStateError} when
   * `timeoutMs` is negative or not a finite number.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise !== undefined) return this.closePromise;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return Promise.reject(new IllegalStateError(`close() option 'timeoutMs' must be a non-negative number, got ${timeoutMs}.`));
    this.setState('PENDING_SHUTDOWN');
    this.abortStart?.(new IllegalStateError(CLOSED_WHILE_STARTING));
    this.runningWaiter?.reject(new IllegalStateError(CLOSED_WHILE_STARTING));
    this.runningWaiter = undefined;
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
      // A lock still being taken is released once taken, before close() resolves: the next instance may take it then.
      if (this.locking !== undefined) await attempt(() => this.locking!.catch(() => {}).then(() => this.stateLock?.release()));
      if (failure !== undefined) this.options.streams.logger.warn('Closing did not go cleanly', { error: failure instanceof Error ? failure.message : String(failure) });
    })();
    this.closePromise = withTimeout(work, timeoutMs, () => new Error('timeout'))
      .catch(() => this.options.streams.logger.warn(`close() did not finish within ${timeoutMs} ms; its connections to the brokers are dropped now.`))
      .then(() => {
        // Nothing of this application may keep the process alive: not a connect a client is still retrying, nor a socket it left open.
        this.client.shutdown();
        this.queries.metadata.clear();
        this.setState('NOT_RUNNING');
      });
    return this.closePromise;
  }

  private closing(): boolean {
    return this.closePromise !== undefined;
  }

  private async run(): Promise<void> {
    const { options, builder } = this;
    await this.lockStateDirectory();
    const admin = this.client.admin();
    this.admin = admin;
    await admin.connect({ timeoutMs: CONNECT_TIMEOUT_MS, stopped: () => this.closing() || this.fatalError !== undefined });
    this.checkNotClosing();
    const plan = await prepareTopics(admin, builder, options.applicationId, options.replicationFactor, options.streams.logger).catch((error: unknown) => {
      throw brokerFailure(error, options.brokers, 'while checking and creating topics');
    });
    this.checkNotClosing();
    const globals = new GlobalStoreConsumer(this.client, builder, options.streams, options.stateDir, {
      groupIdPrefix: options.applicationId,
      logger: options.streams.logger,
      sessionTimeoutMs: options.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      onFatal: (error) => this.onFatal(error),
    });
    this.globals = globals;
    await globals.start(admin).catch((error: unknown) => {
      throw brokerFailure(error, options.brokers, 'while loading the global tables');
    });
    this.checkNotClosing();
    const globalStores = globals.updater.stores();
    const running = new Promise<void>((resolve, reject) => {
      this.runningWaiter = { resolve, reject };
    });
    this.startThread({ client: this.client, admin, builder, options, plan, globalStores, flushGlobals: () => globals.flush(), processId: this.processId });
    await running;
    if (this.fatalError !== undefined) throw this.fatalError;
    if (this.currentState === 'REBALANCING') this.setState('RUNNING');
  }

  /** Settled when the first stream thread runs (or the application fails first). */
  private runningWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** Which failed threads may be replaced, and when (internal/thread-replacements.ts). */
  private readonly replacements = new ThreadReplacements();
  /**
   * This instance, to the assignor (standby replicas go to other instances) and in its threads'
   * transactional ids under exactly-once v2. Kept in the state directory across restarts when the
   * topology has persistent stores (set when the directory is locked); else a new one per instance.
   */
  private processId: string = randomUUID();

  /**
   * Starts a stream thread. A thread that stops on a {@link TaskCorruptedError} (a transaction
   * whose outcome is unknown, a fenced producer) or a {@link TaskMigratedError} (it lost its group
   * membership) is replaced: the new thread's producers fence the old ones and its tasks resume
   * from the committed offsets and changelogs. Any other error, or too many replacements of
   * corrupted tasks in a row, is fatal (see `ThreadReplacements`).
   */
  private startThread(setup: Omit<StreamThreadOptions, 'callbacks' | 'threadId' | 'threadIndex'>): void {
    let reported = false;
    this.threadCount++;
    const threadId = this.workerThread ? this.clientId() : `${this.clientId()}-StreamThread-${this.threadCount}`;
    const thread: StreamThread = new StreamThread({
      ...setup,
      threadId,
      threadIndex: this.threadIndex,
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
        onGroupSnapshot: (snapshot) => {
          if (thread === this.thread) this.onGroupSnapshot(snapshot);
        },
        onFatal: (error) => {
          if (reported || thread !== this.thread) return;
          reported = true;
          if (this.closing()) {
            this.runningWaiter?.reject(error);
            this.runningWaiter = undefined;
            return;
          }
          this.failedThreads++;
          const delayMs = recoverable(error) && !this.closing() ? this.replacements.admit(error, Date.now()) : undefined;
          if (delayMs !== undefined) void this.replaceThread(thread, setup, error as Error, delayMs);
          else this.onFatal(error);
        },
      },
    });
    if (this.thread !== undefined) this.retire(this.thread);
    this.thread = thread;
    // A failure to start is reported like any other: replaced or fatal.
    thread.start().catch((error: unknown) => thread.reportFailure(error));
  }

  /** Adds a replaced thread's counters to the retired ones, so that metrics stay cumulative. */
  private retire(thread: StreamThread): void {
    const { retired } = this;
    retired.processed += thread.processedCount();
    retired.restored += thread.restoredRecords;
    retired.standbyRecords += thread.standbyRecords;
    for (const [reason, count] of thread.droppedCounts()) retired.dropped.set(reason, (retired.dropped.get(reason) ?? 0) + count);
  }

  /**
   * Creates `<stateDir>/<applicationId>` (0700) and, when the topology has persistent stores,
   * locks it for this instance, as Kafka Streams does: a second instance on the same directory
   * fails with a {@link StateDirectoryLockedError}. Under the lock, it reads the process id kept
   * there (or keeps a new one there), as Kafka's `StateDirectory.initializeProcessId`. Worker
   * threads run under their process's lock, with its process id.
   */
  private lockStateDirectory(): Promise<void> {
    this.locking ??= (async () => {
      const { stateDir, applicationId } = this.options;
      const directory = await createStateDirectory(stateDir, applicationId);
      if (this.underProcessLock || !hasPersistentStores(this.builder)) return;
      this.stateLock = await StateDirectoryLock.acquire(directory, applicationId);
      this.processId = await initializeProcessId(directory, this.options.streams.logger);
    })();
    return this.locking;
  }

  private async replaceThread(failed: StreamThread, setup: Omit<StreamThreadOptions, 'callbacks' | 'threadId' | 'threadIndex'>, error: Error, delayMs: number): Promise<void> {
    this.options.streams.logger.warn(`Replacing the stream thread in ${delayMs} ms: ${error.message}`, { taskId: (error as Partial<TaskCorruptedError>).taskId });
    if (this.currentState === 'RUNNING') this.setState('REBALANCING');
    // Closing a failed thread commits nothing; it leaves the group so the new one can join.
    await withTimeout(failed.close(), DEFAULT_CLOSE_TIMEOUT_MS, () => new Error('timeout')).catch((closeError: unknown) =>
      this.options.streams.logger.warn('The failed stream thread did not close cleanly', { error: String(closeError) }),
    );
    this.options.streams.logger.debug(`The failed stream thread closed; its replacement starts in ${delayMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (this.closing() || this.fatalError !== undefined) return;
    this.startThread(setup);
    this.options.streams.logger.debug('Started the replacement stream thread');
  }

  private checkNotClosing(): void {
    if (this.closing()) throw new IllegalStateError(CLOSED_WHILE_STARTING);
    if (this.fatalError !== undefined) throw this.fatalError;
  }

  private onFatal(error: unknown): void {
    const safe = redactError(brokerFailure(error, this.options.brokers, 'while running'), this.options.secrets);
    if (this.closing()) {
      // Connections close under the clients while the application closes: not a failure.
      this.options.streams.logger.debug('A failure while closing', { error: safe instanceof Error ? safe.message : String(safe) });
      return;
    }
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

/**
 * Internal: makes a worker thread's instance part of its process's instance, so standbys avoid
 * its siblings, and it runs under the state directory lock the process's main thread holds.
 */
export function joinProcess(app: KafkaStreams, processId: string, threadIndex: number): void {
  app['processId'] = processId;
  app['threadIndex'] = threadIndex;
  app['underProcessLock'] = true;
  app['workerThread'] = true;
}

/** Internal: calls `listener` with each snapshot of the group `app`'s stream thread takes. */
export function onGroupSnapshot(app: KafkaStreams, listener: (snapshot: GroupSnapshot) => void): void {
  app['snapshotListeners'].push(listener);
}

/** Internal: the kind of a store of `app`'s topology (`undefined` for one queries cannot read); throws `UnknownStoreError`. */
export function storeKindOf(app: KafkaStreams, storeName: string): StoreKind | undefined {
  return app['queries'].kindOf(storeName);
}

/** Internal: whether `storeName` is a global store of `app`'s topology; throws `UnknownStoreError`. */
export function isGlobalStore(app: KafkaStreams, storeName: string): boolean {
  return app['queries'].metadata.checkStore(storeName) === undefined;
}

/** Internal: the partitions of `storeName` no instance holds active now (`undefined` before the first assignment). */
export function unhostedPartitionsOf(app: KafkaStreams, storeName: string): number[] | undefined {
  return app['queries'].metadata.unhostedPartitions(storeName);
}

/** Internal: `app`'s `applicationServer` option. */
export function applicationServerOf(app: KafkaStreams): string | undefined {
  return app['options'].applicationServer;
}

/** Internal: answers a query (its keys in bytes) from `app`'s stores, the answer in bytes, for a worker thread's supervisor. */
export function answerEncodedQuery(app: KafkaStreams, query: StoreQuery): StoreQueryAnswer {
  const service = app['queries'];
  const serdes = service.serdesOf(query.store);
  return encodeAnswer(query, service.execute(decodeQuery(query, serdes), app['queryHost']), serdes);
}

/** Whether any store of the topology keeps its data on disk (its supplier opens a handle for the runtime). */
function hasPersistentStores(builder: InternalTopologyBuilder): boolean {
  for (const { builder: storeBuilder } of builder.stores.values()) if (preparableSupplierOf(storeBuilder) !== undefined) return true;
  return false;
}
