/**
 * One member of the application's consumer group, running its tasks: one consumer subscribed to
 * every source topic (repartition topics included), one `StreamTask` per assigned (sub-topology,
 * partition), and behind the record collector one producer shared by the tasks (at-least-once),
 * one transactional producer per task (exactly-once v1, see `task-transaction.ts`), or one
 * transactional producer shared by the tasks (exactly-once v2, see `thread/thread-transaction.ts`).
 * The clients come from the client seam (`client/kafka-client.ts`).
 *
 * This file only wires the thread's parts, under `thread/`: its clients (`thread-clients.ts`),
 * its lifecycle (`thread-state.ts`, Kafka's `StreamThread.State`), the lock every part takes
 * (`thread-lock.ts`), the rebalance listener (`rebalance-listener.ts`), the commit strategies
 * (`commit-strategy.ts`, `at-least-once-commit.ts`, `exactly-once-commit.ts`,
 * `exactly-once-v2-commit.ts`), the liveness
 * watchdog (`liveness-watchdog.ts`), positions and the seek to committed offsets
 * (`partition-positions.ts`), and the batch loop with its tick (`batch-loop.ts`) and output
 * linger (`output-linger.ts`).
 *
 * What the thread cannot get past — a transaction whose outcome is unknown, a fenced producer,
 * lost group membership, a stop longer than the session timeout, sends the brokers could not
 * take — fails it with a `TaskCorruptedError` or `TaskMigratedError` before anything more is
 * sent, and `KafkaStreams` replaces it.
 */
import type { StateStore } from '@tributary/streams';
import { ThreadSensors, type DropReason, type InternalTopologyBuilder, type SubtopologySpec, type ThreadView } from '@tributary/streams/engine';
import type { ResolvedKafkaStreamsOptions } from '../options.js';
import type { KafkaClientSupplier, StreamsAdmin, StreamsConsumer, StreamsProducer } from '../client/kafka-client.js';
import { TaskManager } from './task-manager.js';
import type { TaskKey } from './task-assignor.js';
import type { GroupSnapshot } from './streams-metadata-state.js';
import { StandbyTasks } from './standby-tasks.js';
import type { TopicPlan } from './topic-plan.js';
import { PartitionEndProbe } from './partition-ends.js';
import { ThreadStateMachine, type ThreadState } from './thread/thread-state.js';
import { ThreadLock } from './thread/thread-lock.js';
import { PartitionPositions } from './thread/partition-positions.js';
import { LivenessWatchdog } from './thread/liveness-watchdog.js';
import { ThreadCommitter, type CommitContext, type CommitStrategy } from './thread/commit-strategy.js';
import { AtLeastOnceCommit } from './thread/at-least-once-commit.js';
import { ExactlyOnceCommit } from './thread/exactly-once-commit.js';
import { ExactlyOnceV2Commit } from './thread/exactly-once-v2-commit.js';
import type { ThreadTransaction } from './thread/thread-transaction.js';
import { OutputLinger } from './thread/output-linger.js';
import { BatchLoop } from './thread/batch-loop.js';
import { RebalanceListener } from './thread/rebalance-listener.js';
import { threadClients } from './thread/thread-clients.js';

interface StreamThreadCallbacks {
  /** Every assigned task is restored and processing (the thread moved to `RUNNING`). */
  onRunning(): void;
  /** The group is rebalancing, or tasks are restoring (`PARTITIONS_REVOKED` or `PARTITIONS_ASSIGNED`). */
  onRebalancing(): void;
  /** Processing cannot go on; the thread has stopped consuming. */
  onFatal(error: unknown): void;
  /** The group after a rebalance: every member's endpoint and tasks, for interactive queries' metadata. */
  onGroupSnapshot?(snapshot: GroupSnapshot): void;
}

export interface StreamThreadOptions {
  readonly client: KafkaClientSupplier;
  readonly admin: StreamsAdmin;
  readonly builder: InternalTopologyBuilder;
  readonly options: ResolvedKafkaStreamsOptions;
  readonly plan: TopicPlan;
  /** Global stores, readable by every task. */
  readonly globalStores: ReadonlyMap<string, StateStore>;
  /** Flushes the global stores at each commit. */
  readonly flushGlobals: () => void;
  readonly callbacks: StreamThreadCallbacks;
  /** Identifies this application instance (process) to the assignor, which keeps standbys off it. */
  readonly processId: string;
  /** Kafka's `thread-id` tag of the thread's metrics: `<clientId>-StreamThread-<n>`. */
  readonly threadId: string;
  /**
   * The thread's index in its process, 1 for the first: its replacements keep it, so under
   * exactly-once v2 a replacement's producer (`<applicationId>-<processId>-<threadIndex>`)
   * fences the failed thread's and aborts its open transaction.
   */
  readonly threadIndex: number;
}

export class StreamThread {
  /** What the thread records for its metrics: per batch, commit and punctuation pass, never per record. */
  readonly sensors = new ThreadSensors(Date.now());
  private readonly lifecycle: ThreadStateMachine;
  private readonly consumer: StreamsConsumer;
  /** At-least-once: the thread's producer, shared by its tasks. Exactly-once: a transactional one instead. */
  private readonly producer: StreamsProducer | undefined;
  /** Exactly-once v2: the thread's transaction, shared by its tasks. */
  private readonly transaction: ThreadTransaction | undefined;
  /** Exactly-once v2: the abort of the open transaction when the thread failed, awaited by {@link close}. */
  private aborting: Promise<void> | undefined;
  private readonly strategy: CommitStrategy;
  private readonly taskManager: TaskManager;
  /** Warm copies of other members' tasks, when `numStandbyReplicas` is above 0. */
  private readonly standbys: StandbyTasks | undefined;
  private readonly sourceTopics: string[];
  private readonly lock: ThreadLock;
  private readonly watchdog: LivenessWatchdog;
  private readonly linger: OutputLinger;
  private readonly batches: BatchLoop;
  private readonly listener: RebalanceListener;
  private startWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(private readonly options: StreamThreadOptions) {
    const { client, admin, builder, plan, options: resolved, callbacks } = options;
    const logger = resolved.streams.logger;
    this.lifecycle = new ThreadStateMachine(options.threadId, (next) => this.onStateChange(next));
    const fail = (error: unknown): void => this.fail(error);
    const subtopologyByTopic = new Map<string, SubtopologySpec>();
    for (const subtopology of builder.subtopologies()) {
      for (const topic of subtopology.sourceTopics) subtopologyByTopic.set(builder.resolveTopic(resolved.applicationId, topic), subtopology);
    }
    this.sourceTopics = [...subtopologyByTopic.keys()];
    const clients = threadClients({
      client,
      admin,
      builder,
      plan,
      options: resolved,
      processId: options.processId,
      threadIndex: options.threadIndex,
      heldTasks: () => ({ active: [...this.taskManager.tasks.keys()], standby: this.standbys?.keys() ?? [] }),
      mayRestart: () => this.lifecycle.isActive,
      onBackgroundSendDone: () => this.linger.arm(),
    });
    const { sharedCollector, collectorFor } = clients;
    this.consumer = clients.consumer;
    this.producer = clients.producer;
    this.transaction = clients.transaction;
    this.taskManager = new TaskManager({ client, admin, builder, options: resolved, collectorFor, globalStores: options.globalStores, producer: this.producer });
    this.lock = new ThreadLock((error) => {
      if (this.lifecycle.isActive) this.fail(error);
    });
    if (resolved.numStandbyReplicas > 0) {
      this.standbys = new StandbyTasks({ client, builder, options: resolved, logger, onError: (error) => this.lock.background(() => this.fail(error)) });
    }
    const positions = new PartitionPositions(this.consumer, admin, resolved.applicationId);
    this.watchdog = new LivenessWatchdog({
      sessionTimeoutMs: resolved.sessionTimeoutMs,
      rebalanceTimeoutMs: resolved.rebalanceTimeoutMs,
      fail,
      starting: () => this.startWaiter !== undefined && this.lifecycle.isActive,
      restoring: () => [...this.taskManager.tasks.values()].some((managed) => managed.state === 'restoring'),
    });
    const context: CommitContext = { taskManager: this.taskManager, positions, groupId: resolved.applicationId, logger, flushGlobals: options.flushGlobals, fail };
    if (sharedCollector === undefined) this.strategy = new ExactlyOnceCommit(context);
    else if (this.transaction !== undefined) this.strategy = new ExactlyOnceV2Commit(context, this.transaction, sharedCollector, () => this.listener.groupMetadata(), (reason) => this.listener.loseAll(reason));
    else this.strategy = new AtLeastOnceCommit(context, this.consumer, sharedCollector);
    const committer = new ThreadCommitter(this.strategy, resolved.commitIntervalMs, this.sensors, () => !this.lifecycle.failed && !this.watchdog.expelled());
    const active = (): boolean => this.lifecycle.isActive;
    const tasks = this.taskManager.tasks;
    this.linger = new OutputLinger({ sharedCollector, tasks, lock: this.lock, active, mayAct: () => !this.watchdog.expelled(), fail });
    this.batches = new BatchLoop({
      tasks,
      subtopologyByTopic,
      positions,
      sensors: this.sensors,
      lock: this.lock,
      watchdog: this.watchdog,
      committer,
      linger: this.linger,
      partitionEnds: new PartitionEndProbe(admin, resolved.applicationId, logger),
      active,
      failed: () => this.lifecycle.failed,
      fail,
    });
    this.listener = new RebalanceListener({
      state: this.lifecycle,
      consumer: this.consumer,
      admin,
      groupId: resolved.applicationId,
      builder,
      subtopologyByTopic,
      taskManager: this.taskManager,
      standbys: this.standbys,
      positions,
      committer,
      watchdog: this.watchdog,
      lock: this.lock,
      sensors: this.sensors,
      logger,
      exactlyOnce: resolved.processingGuarantee !== 'at_least_once',
      partitionCounts: plan.partitionCounts,
      onGroupSnapshot: callbacks.onGroupSnapshot?.bind(callbacks),
      fail,
    });
  }

  /** The thread's lifecycle state. */
  get state(): ThreadState {
    return this.lifecycle.state;
  }

  /** Connects, joins the group and resolves once the first assignment is restored and running. */
  async start(): Promise<void> {
    this.lifecycle.transitionTo('STARTING');
    const running = new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    // close() can reject it while start() still awaits the consumer: that is no unhandled rejection.
    running.catch(() => {});
    // Armed before anything is awaited: a client's run() may await the first join, which can
    // wait for ever (see LivenessWatchdog.watchStart), and nothing after it would run.
    this.watchdog.watchStart();
    await this.producer?.connect();
    // Exactly-once v2: InitProducerId once per thread start, before the group join (it fences the thread this one replaces).
    await this.transaction?.initialize();
    await this.consumer.connect();
    if (this.sourceTopics.length > 0) {
      await this.consumer.subscribe(this.sourceTopics, this.listener);
      await this.consumer.run((batch, markConsumed) => this.batches.onBatch(batch, markConsumed), { manualPositions: true });
    } else if (this.lifecycle.isActive) {
      // Nothing to consume: joined as soon as connected.
      this.lifecycle.transitionTo('PARTITIONS_ASSIGNED');
      this.listener.checkRunning();
    }
    this.batches.start();
    await running;
  }

  private onStateChange(next: ThreadState): void {
    if (next === 'PARTITIONS_REVOKED' || next === 'PARTITIONS_ASSIGNED') this.options.callbacks.onRebalancing();
    if (next !== 'RUNNING') return;
    this.startWaiter?.resolve();
    this.startWaiter = undefined;
    this.options.callbacks.onRunning();
  }
  /** Task ids of running tasks, as `<subtopology>_<partition>`. */
  taskIds(): string[] {
    return this.taskManager.taskIds();
  }

  /** The running tasks' instances of a store. */
  storesNamed(name: string): StateStore[] {
    return this.taskManager.storesNamed(name);
  }

  /** The instance of a store in task `key`, when that task runs here: `'restoring'` while it restores, `undefined` when not here. */
  storeOfTask(key: TaskKey, name: string): StateStore | 'restoring' | undefined {
    const managed = this.taskManager.tasks.get(key);
    if (managed === undefined || managed.state === 'closed') return undefined;
    if (managed.state !== 'running') return 'restoring';
    return managed.task.stores.get(name);
  }

  /** A read-only instance of standby task `key`'s store, for stale queries; `undefined` when this thread holds no such standby. */
  standbyStoreOfTask(key: TaskKey, name: string): StateStore | undefined {
    return this.standbys?.storeOf(key, name);
  }

  /** Read-only instances of this thread's standby tasks' store `name`, for stale queries. */
  standbyStoresNamed(name: string): StateStore[] {
    return this.standbys?.storesNamed(name) ?? [];
  }

  processedCount(): number {
    return this.taskManager.processedCount();
  }

  /** The thread's sensors and tasks, for the metrics reader. */
  metricsView(): ThreadView {
    const sensors = this.sensors;
    sensors.closedTaskPunctuations = this.taskManager.closedPunctuations;
    return { threadId: this.options.threadId, sensors, tasks: [...this.taskManager.tasks.values()].map((managed) => managed.task), polls: true, timesTasks: true };
  }

  /** The furthest a running task's stream time is ahead of the wall clock, ms, at the last tick. */
  streamTimeAheadOfWallClockMs(): number {
    return this.taskManager.streamTimeAheadOfWallClockMs();
  }

  droppedCounts(): Map<DropReason, number> {
    return this.taskManager.droppedCounts();
  }

  /** Changelog records restored into stores since start. */
  get restoredRecords(): number {
    return this.taskManager.restoredRecords;
  }

  /** Standby tasks held, as `<subtopology>_<partition>`. */
  standbyTaskIds(): string[] {
    return this.standbys?.keys() ?? [];
  }

  /** Changelog records applied to standby stores since start. */
  get standbyRecords(): number {
    return this.standbys?.applied ?? 0;
  }

  /** Commits what was processed (unless the thread failed), closes the tasks and leaves the group. */
  async close(): Promise<void> {
    this.lifecycle.beginShutdown();
    this.batches.stop();
    this.linger.stop();
    this.startWaiter?.reject(new Error('The application was closed before it was running.'));
    this.startWaiter = undefined;
    this.pauseAll();
    await this.lock.exclusive(() => this.listener.closeAll());
    await this.consumer.disconnect().catch((error: unknown) => this.options.options.streams.logger.warn('Could not leave the consumer group cleanly', { error: String(error) }));
    await this.producer?.disconnect().catch(() => {});
    await this.aborting;
    await this.transaction?.close();
    this.lifecycle.completeShutdown();
  }

  /** Reports an error that happened outside the thread's own work (such as a failed start) as fatal to it. */
  reportFailure(error: unknown): void {
    this.fail(error);
  }

  /** Stops processing for good: nothing more is sent or committed. */
  private fail(error: unknown): void {
    if (!this.lifecycle.fail(error)) {
      // What went wrong after the failure (a commit it stopped, say), for a post-mortem.
      this.options.options.streams.logger.debug(`After the stream thread failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.strategy.sharedCollector?.discard();
    for (const managed of this.taskManager.tasks.values()) managed.collector.discard();
    // Exactly-once v2: nothing of the open transaction may become visible, and the tasks' next owners need not wait for its timeout.
    this.aborting = this.transaction?.abortQuietly();
    this.pauseAll();
    this.startWaiter?.reject(error);
    this.startWaiter = undefined;
    this.options.callbacks.onFatal(error);
  }

  private pauseAll(): void {
    try {
      if (this.sourceTopics.length > 0) this.consumer.pause(this.sourceTopics.map((topic) => ({ topic })));
    } catch {
      // The consumer is not running: nothing is fetched anyway.
    }
  }
}
