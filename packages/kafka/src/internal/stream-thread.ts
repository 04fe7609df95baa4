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
 * linger (`output-linger.ts`). What it shows the application of its tasks (ids, stores for
 * queries, counters for metrics) is its base class's (`thread-tasks-view.ts`).
 *
 * What the thread cannot get past — a transaction whose outcome is unknown, a fenced producer,
 * lost group membership, a stop longer than the session timeout, sends the brokers could not
 * take — fails it with a `TaskCorruptedError` or `TaskMigratedError` before anything more is
 * sent, and `KafkaStreams` replaces it.
 */
import type { StateStore } from '@tributary/streams';
import type { InternalTopologyBuilder } from '@tributary/streams/engine';
import type { ResolvedKafkaStreamsOptions } from '../options.js';
import type { KafkaClientSupplier, StreamsAdmin, StreamsConsumer, StreamsProducer } from '../client/kafka-client.js';
import { TaskManager } from './task-manager.js';
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
import { ThreadTasksView } from './thread/thread-tasks-view.js';
import { StartSignal } from './start-signal.js';

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

export class StreamThread extends ThreadTasksView {
  private readonly lifecycle: ThreadStateMachine;
  private readonly consumer: StreamsConsumer;
  /** At-least-once: the thread's producer, shared by its tasks. Exactly-once: a transactional one instead. */
  private readonly producer: StreamsProducer | undefined;
  /** Exactly-once v2: the thread's transaction, shared by its tasks. */
  private readonly transaction: ThreadTransaction | undefined;
  /** Exactly-once v2: the abort of the open transaction when the thread failed, awaited by {@link close}. */
  private aborting: Promise<void> | undefined;
  private readonly strategy: CommitStrategy;
  protected readonly taskManager: TaskManager;
  protected readonly standbys: StandbyTasks | undefined;
  private readonly sourceTopics: string[];
  private readonly lock: ThreadLock;
  private readonly watchdog: LivenessWatchdog;
  private readonly linger: OutputLinger;
  private readonly batches: BatchLoop;
  private readonly listener: RebalanceListener;
  private readonly started = new StartSignal();

  constructor(private readonly options: StreamThreadOptions) {
    super(options.threadId);
    const { client, admin, builder, plan, options: resolved, callbacks } = options;
    const logger = resolved.streams.logger;
    this.lifecycle = new ThreadStateMachine(options.threadId, (next) => this.onStateChange(next));
    const fail = (error: unknown): void => this.fail(error);
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
      // The first send after a stop past the session timeout fails the thread (LivenessWatchdog.expelled), before anything reaches the brokers.
      mayDispatch: () => !this.watchdog.expelled(),
    });
    const { sharedCollector, collectorFor, subtopologyByTopic } = clients;
    this.sourceTopics = [...subtopologyByTopic.keys()];
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
      starting: () => this.started.waiting && this.lifecycle.isActive,
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
    const running = this.started.wait();
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
    this.started.resolve();
    this.options.callbacks.onRunning();
  }

  /** Commits what was processed (unless the thread failed), closes the tasks and leaves the group. */
  async close(): Promise<void> {
    this.lifecycle.beginShutdown();
    this.linger.stop();
    this.started.reject(new Error('The application was closed before it was running.'));
    this.pauseAll();
    await this.lock.exclusive(() => this.listener.closeAll());
    // Only now: the tick keeps the liveness clock that the last commit's sends ask (it does nothing else once closing).
    this.batches.stop();
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
    this.started.reject(error);
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
