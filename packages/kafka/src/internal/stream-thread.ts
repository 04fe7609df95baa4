/**
 * One member of the application's consumer group, running its tasks: one consumer
 * subscribed to every source topic (repartition topics included), one `StreamTask` per assigned
 * (sub-topology, partition), and behind the record collector either one producer shared by the
 * tasks (at-least-once) or one transactional producer per task (exactly-once, see
 * `task-transaction.ts`).
 *
 * Batches are processed synchronously, one partition at a time, under a lock that commits,
 * punctuation and rebalance handling also take, so a commit never interleaves with processing. A
 * commit flushes the tasks' stores, sends the collected records and waits for their acks, and
 * only then commits the consumed offsets with each task's changelog ends as metadata, and then
 * checkpoints the stores (at-least-once: a restore goes exactly to that point, see
 * `changelog-rollback.ts`), or commits each task's records and offsets in its transaction
 * (exactly-once). The clients come from the client seam (`client/kafka-client.ts`). When a
 * rebalance begins (the revoke) everything is committed while the old generation is still accepted; on the assignment,
 * standbys are updated, tasks no longer assigned are committed and closed, new ones are created,
 * and those with logged stores restore from their changelogs with their partitions paused.
 *
 * What the thread cannot get past — a transaction whose outcome is unknown, a fenced producer,
 * lost group membership, a stop longer than the session timeout, sends the brokers could not
 * take — fails it with a `TaskCorruptedError` before anything more is sent, and `KafkaStreams`
 * replaces it.
 */
import type { StateStore } from '@tributary/streams';
import { ThreadSensors, type ConsumedRecord, type DropReason, type InternalTopologyBuilder, type SubtopologySpec, type ThreadView } from '@tributary/streams/engine';
import type { ResolvedKafkaStreamsOptions } from '../options.js';
import { KafkaRecordCollector } from './kafka-record-collector.js';
import type { FetchedBatch, FetchedRecord, GroupAssignment, KafkaClientSupplier, OffsetCommit, RecordSender, StreamsAdmin, StreamsConsumer, StreamsProducer } from '../client/kafka-client.js';
import { consumedRecord } from './kafka-messages.js';
import { TaskManager, type ManagedTask } from './task-manager.js';
import { taskAssignor, taskKey, type TaskKey } from './task-assignor.js';
import { describeGroup, type DescribedGroup } from './group-description.js';
import type { GroupSnapshot } from './streams-metadata-state.js';
import { StandbyTasks } from './standby-tasks.js';
import type { TopicPlan } from './topic-plan.js';
import { sinkPartitionCount } from './topic-manager.js';
import { TaskCorruptedError, TaskMigratedError } from '../errors.js';
import { encodeChangelogEnds } from './commit-metadata.js';
import { PartitionEndProbe } from './partition-ends.js';

/** How often wall-clock punctuators and the commit interval are checked between batches. */
const TICK_MS = 100;
/**
 * Records waiting to be sent beyond which processing stops until they are acknowledged: bounds
 * the memory records take when the brokers are slower than the thread.
 */
const MAX_PENDING_RECORDS = 10_000;

interface StreamThreadCallbacks {
  /** Every assigned task is restored and processing. */
  onRunning(): void;
  /** The group is rebalancing, or tasks are restoring. */
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
}

/** A task ready to commit: its stores flushed, and the offsets it consumed since the last commit. */
interface PreparedCommit {
  readonly managed: ManagedTask;
  readonly offsets: OffsetCommit[];
  /** The next offset of every input topic the task has consumed from (the task's own map: stable under the lock). */
  readonly consumed: ReadonlyMap<string, number>;
}

export class StreamThread {
  private readonly consumer: StreamsConsumer;
  /** At-least-once: the thread's producer and collector, shared by its tasks. Exactly-once: each task has its own. */
  private readonly producer: StreamsProducer | undefined;
  private readonly collector: KafkaRecordCollector | undefined;
  private readonly exactlyOnce: boolean;
  private readonly taskManager: TaskManager;
  private readonly tasks: Map<TaskKey, ManagedTask>;
  private readonly subtopologyByTopic = new Map<string, SubtopologySpec>();
  private readonly sourceTopics: string[];
  /** Next offset fed to a task per `topic:partition`: batches fetched again after a rebalance are not processed twice. */
  private readonly positions = new Map<string, number>();
  /** Offset last committed per `topic:partition`. */
  private readonly committed = new Map<string, number>();
  private lock: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private lastCommitAt = Date.now();
  /** When the tick timer last ran: a gap longer than the session timeout means the process was stopped. */
  private lastTickAt = Date.now();
  private restoring = 0;
  /** What the thread records for its metrics: per batch, commit and punctuation pass, never per record. */
  readonly sensors = new ThreadSensors(Date.now());
  /** When the last batch's work ended (performance.now()): the wait for the next is its poll time. */
  private lastBatchEnd = performance.now();
  private failed = false;
  private closing = false;
  private joined = false;
  /** Finds the ends of input partitions no batch has reported, for tasks that wait for them (maxTaskIdleMs). */
  private readonly partitionEnds: PartitionEndProbe;

  constructor(private readonly options: StreamThreadOptions) {
    const { client, builder, plan, options: resolved } = options;
    for (const subtopology of builder.subtopologies()) {
      for (const topic of subtopology.sourceTopics) this.subtopologyByTopic.set(builder.resolveTopic(resolved.applicationId, topic), subtopology);
    }
    this.sourceTopics = [...this.subtopologyByTopic.keys()];
    const assignable = builder.subtopologies().map((subtopology) => ({
      id: subtopology.id,
      sourceTopics: subtopology.sourceTopics.map((topic) => builder.resolveTopic(resolved.applicationId, topic)),
      tasks: plan.tasksPerSubtopology.get(subtopology.id) ?? 0,
    }));
    this.consumer = client.consumer({
      groupId: resolved.applicationId,
      sessionTimeoutMs: resolved.sessionTimeoutMs,
      heartbeatIntervalMs: resolved.heartbeatIntervalMs,
      rebalanceTimeoutMs: resolved.rebalanceTimeoutMs,
      // kafkajs waits up to 5 s in a fetch with no data, and partitions resumed after a restore,
      // heartbeats and disconnects all wait for the fetch in flight: bound it by the commit
      // interval so restores, rebalances and close take milliseconds, not seconds.
      maxWaitTimeMs: Math.min(resolved.commitIntervalMs, 500),
      assignor: taskAssignor(
        assignable,
        () => ({ process: options.processId, active: [...this.tasks.keys()], standby: this.standbys?.keys() ?? [], ...(resolved.applicationServer === undefined ? {} : { applicationServer: resolved.applicationServer }) }),
        resolved.numStandbyReplicas,
      ),
      // A client may restart a crashed consumer by itself, even one whose crash raced its
      // disconnect: a failed or closed thread's consumer must not come back as a group member
      // that holds partitions and processes nothing.
      mayRestart: () => !this.failed && !this.closing,
    });
    this.exactlyOnce = resolved.processingGuarantee === 'exactly_once';
    // Output and dead-letter topics the plan does not know: their partition counts are read once,
    // for the collectors to pick each record's partition (see KafkaRecordCollector).
    const fetchPartitionCount = (topic: string): Promise<number | undefined> => sinkPartitionCount(options.admin, topic);
    const newCollector = (producer: RecordSender, transactionalTaskId?: string): KafkaRecordCollector =>
      new KafkaRecordCollector({
        producer,
        transactionalTaskId,
        partitionCounts: plan.partitionCounts,
        fetchPartitionCount,
        changelogTopics: new Set(builder.changelogTopics(resolved.applicationId).values()),
        productionExceptionHandler: resolved.streams.productionExceptionHandler,
        logger: resolved.streams.logger,
        deadLetterMaxBytes: resolved.deadLetterMaxBytes,
        onBackgroundSendDone: () => this.armLinger(),
      });
    if (!this.exactlyOnce) {
      // Idempotent, as Kafka Streams' producers are since 3.0 (see RecordSender).
      this.producer = client.producer();
      this.collector = newCollector(this.producer);
    }
    const collectorFor = (transaction: RecordSender | undefined, taskId: string): KafkaRecordCollector => {
      if (transaction !== undefined) return newCollector(transaction, taskId);
      if (this.collector === undefined) throw new Error(`Task ${taskId} has no transaction under exactly-once`);
      return this.collector;
    };
    this.taskManager = new TaskManager({ client, admin: options.admin, builder, options: resolved, collectorFor, globalStores: options.globalStores, producer: this.producer });
    if (resolved.numStandbyReplicas > 0) {
      this.standbys = new StandbyTasks({ client, builder, options: resolved, logger: resolved.streams.logger, onError: (error) => this.background(() => this.fail(error)) });
    }
    this.tasks = this.taskManager.tasks;
    this.partitionEnds = new PartitionEndProbe(options.admin, resolved.applicationId, resolved.streams.logger);
  }

  /** Connects, joins the group and resolves once the first assignment is restored and running. */
  async start(): Promise<void> {
    const running = new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    // close() can reject it while start() still awaits the consumer: that is no unhandled rejection.
    running.catch(() => {});
    // Armed before anything is awaited: kafkajs' run() awaits the first join, which can wait for
    // ever (see watchStart), and nothing after it would run.
    this.watchStart();
    await this.producer?.connect();
    await this.consumer.connect();
    if (this.sourceTopics.length > 0) {
      await this.consumer.subscribe(this.sourceTopics, {
        onRevoked: () => {
          this.options.callbacks.onRebalancing();
          // The old generation's commits are still accepted while the group prepares to rebalance.
          this.background(() => this.commitAll('rebalance'));
        },
        onLost: () => {
          // The client rejoined under a new member id after its session expired (a long pause, a
          // partition): the tasks may have been processed elsewhere meanwhile, so none of their
          // state can be trusted, even if the same tasks come back. Rebuild the thread.
          if (this.tasks.size > 0) {
            this.fail(new TaskMigratedError(`This member lost its group membership (its session expired) while it held tasks [${[...this.tasks.keys()].join(', ')}]; they may have moved and changed meanwhile.`));
          }
        },
        onAssigned: (assignment) => this.onAssigned(assignment),
        onFailed: (error) => {
          if (!this.closing) this.fail(error);
        },
      });
    }
    if (this.sourceTopics.length === 0) {
      this.joined = true;
      this.checkRunning();
    } else {
      await this.consumer.run((batch, markConsumed) => this.onBatch(batch, markConsumed), { manualPositions: true });
    }
    this.lastTickAt = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    await running;
  }

  /**
   * A join that has not completed within a rebalance timeout plus a session timeout will not
   * (kafkajs can be left waiting after a coordinator that was loading, when the brokers come
   * back, or after the broker holding the group coordinator was killed): the thread is failed
   * then, to be replaced, rather than wait in silence. A restore in progress is not a stuck join,
   * and pushes the check back. Counted from the start of `start()`, connecting included.
   */
  private watchStart(): void {
    const { rebalanceTimeoutMs, sessionTimeoutMs } = this.options.options;
    const limitMs = rebalanceTimeoutMs + sessionTimeoutMs;
    const check = (): void => {
      if (this.startWaiter === undefined || this.failed || this.closing) return;
      if (this.restoring > 0) {
        setTimeout(check, limitMs).unref();
        return;
      }
      this.fail(new TaskCorruptedError(`The stream thread did not join its group and run its tasks within ${Math.round(limitMs / 1000)} s.`, '*'));
    };
    setTimeout(check, limitMs).unref();
  }

  /** A new generation's assignment: pauses the partitions of tasks not yet running, then applies it in the background. */
  private onAssigned({ memberId, partitions }: GroupAssignment): void {
    this.memberId = memberId;
    if (this.failed) return;
    // Pause partitions of tasks not yet running before the first fetch; restored tasks resume them.
    const toPause: { topic: string; partitions: number[] }[] = [];
    for (const [topic, numbers] of Object.entries(partitions)) {
      const subtopology = this.subtopologyByTopic.get(topic);
      const paused = numbers.filter((partition) => subtopology === undefined || this.tasks.get(taskKey(subtopology.id, partition))?.state !== 'running');
      if (paused.length > 0) toPause.push({ topic, partitions: paused });
    }
    if (toPause.length > 0) this.consumer.pause(toPause);
    this.background(() => this.applyAssignment(partitions));
  }

  /** One fetched batch: processed under the lock, its records sent when due, and a commit when the interval has passed. */
  private async onBatch(batch: FetchedBatch, markConsumed: () => void): Promise<void> {
    if (this.failed || this.closing) return;
    await this.exclusive(async () => {
      if (this.failed || this.closing || this.expelled()) return;
      const subtopology = this.subtopologyByTopic.get(batch.topic);
      const managed = subtopology === undefined ? undefined : this.tasks.get(taskKey(subtopology.id, batch.partition));
      // Batches not marked consumed are fetched again once the task runs (the client fetches from the last marked offset).
      if (managed === undefined || managed.state !== 'running') return;
      const lag = Math.max(0, batch.highWatermark - batch.lastOffset - 1);
      if (batch.records.length === 0) {
        // Only transaction markers or aborted records: the client has moved past them, and the
        // partition's lag tells a task waiting for it (maxTaskIdleMs) whether it is at its end.
        managed.task.setFetchedLag(batch.topic, lag);
        return;
      }
      const sensors = this.sensors;
      const arrived = performance.now();
      const waited = arrived - this.lastBatchEnd;
      sensors.poll.record(waited);
      sensors.pollRecords.record(batch.records.length);
      sensors.blockedNs += Math.round(waited * 1e6);
      const lastOffset = batch.lastOffset;
      this.processBatch(managed, batch.topic, batch.partition, batch.records, lastOffset, lag);
      const processed = performance.now();
      sensors.process.record(processed - arrived);
      managed.task.metrics.processTime.record(processed - arrived);
      sensors.setLag(batch.topic, batch.partition, `${batch.topic}:${batch.partition}`, lag);
      this.lastBatchEnd = processed;
      if (this.failed) return;
      markConsumed();
      if (!this.sendDueRecords(managed.collector)) return;
      if (managed.collector.pending >= MAX_PENDING_RECORDS) await this.sendCollected(managed.collector);
      if (Date.now() - this.lastCommitAt >= this.options.options.commitIntervalMs) await this.commitAll('interval');
      this.lastBatchEnd = performance.now();
    });
  }

  private startWaiter: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** Warm copies of other members' tasks, when `numStandbyReplicas` is above 0. */
  private readonly standbys: StandbyTasks | undefined;
  /** This member's id in the group, from its last join. */
  private memberId: string | undefined;

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
    const managed = this.tasks.get(key);
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
    return { threadId: this.options.threadId, sensors, tasks: [...this.tasks.values()].map((managed) => managed.task), polls: true, timesTasks: true };
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
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.startWaiter?.reject(new Error('The application was closed before it was running.'));
    this.startWaiter = undefined;
    try {
      if (this.sourceTopics.length > 0) this.consumer.pause(this.sourceTopics.map((topic) => ({ topic })));
    } catch {
      // Not running yet: nothing to pause.
    }
    await this.exclusive(async () => {
      if (!this.failed) await this.commitAll('close');
      for (const managed of [...this.tasks.values()]) await this.closeTask(managed);
      await this.standbys?.close();
    });
    await this.consumer.disconnect().catch((error: unknown) => this.options.options.streams.logger.warn('Could not leave the consumer group cleanly', { error: String(error) }));
    await this.producer?.disconnect().catch(() => {});
  }

  /** Runs `work` under the lock, in the background: its failure fails the thread (unless closing), never an unhandled rejection. */
  private background(work: () => Promise<void> | void): void {
    this.exclusive(work).catch((error: unknown) => {
      if (!this.closing) this.fail(error);
    });
  }

  private exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const run = this.lock.then(work);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private tick(): void {
    // The first tick after a long stop must see the gap before it resets the clock.
    if (this.failed || this.closing || this.expelled()) return;
    this.lastTickAt = Date.now();
    if (this.tickQueued) return;
    this.tickQueued = true;
    this.background(async () => {
      this.tickQueued = false;
      if (this.failed || this.closing) return;
      const now = Date.now();
      const start = performance.now();
      let fired = 0;
      for (const managed of this.tasks.values()) {
        if (managed.state !== 'running') continue;
        try {
          fired += managed.task.punctuateWallClock(now);
        } catch (error) {
          this.fail(error);
          return;
        }
      }
      if (fired > 0) this.sensors.punctuate.record(performance.now() - start);
      await this.processWaitingTasks(now);
      if (this.failed) return;
      if (now - this.lastCommitAt >= this.options.options.commitIntervalMs) await this.commitAll('interval');
    });
  }

  /**
   * A task waiting for an empty input partition (maxTaskIdleMs) goes on when its wait is over or a
   * probe found the partition's end, not only when a batch comes: each tick processes it again.
   * Under the lock.
   */
  private async processWaitingTasks(now: number): Promise<void> {
    this.partitionEnds.check(this.tasks, this.positions, now);
    for (const managed of this.tasks.values()) {
      if (managed.state !== 'running' || managed.task.idlingSince === undefined) continue;
      try {
        managed.task.wallClockTime = now;
        this.sensors.processedRecords += managed.task.process();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (!this.sendDueRecords(managed.collector)) return;
      if (managed.collector.pending >= MAX_PENDING_RECORDS && !(await this.sendCollected(managed.collector))) return;
    }
  }

  /** Feeds a batch to its task, with the partition's lag after it (high watermark against the batch's end), and processes. */
  private processBatch(managed: ManagedTask, topic: string, partition: number, messages: readonly FetchedRecord[], lastOffset: number, lag: number): void {
    const positionKey = `${topic}:${partition}`;
    const position = this.positions.get(positionKey) ?? -1;
    const records: ConsumedRecord[] = [];
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]!;
      if (Number(message.offset) < position) continue;
      records.push(consumedRecord(topic, partition, message));
    }
    try {
      if (records.length > 0) managed.task.addRecords(topic, records);
      managed.task.setFetchedLag(topic, lag);
      managed.task.wallClockTime = Date.now();
      this.sensors.processedRecords += managed.task.process();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.positions.set(positionKey, Math.max(position, lastOffset + 1));
  }

  /**
   * After a batch, under the lock: starts a background send of the collector's records when the
   * linger says they are due (see `LINGER_MS`), or arms the linger timer for when they will be.
   * Returns false, having failed the thread, when a background send had failed.
   */
  private sendDueRecords(collector: KafkaRecordCollector): boolean {
    if (collector.failure !== undefined) {
      this.fail(collector.failure);
      return false;
    }
    if (collector.sendDue(Date.now())) collector.sendInBackground();
    this.armLinger();
    return true;
  }

  /** The collectors records are sent through: the thread's, or each task's under exactly-once. */
  private *collectors(): Iterable<KafkaRecordCollector> {
    if (this.collector !== undefined) {
      yield this.collector;
      return;
    }
    for (const managed of this.tasks.values()) yield managed.collector;
  }

  /** The linger timer: one for the thread, armed while records wait that no send in flight will take. */
  private lingerTimer: NodeJS.Timeout | undefined;

  /**
   * Arms the linger timer for the soonest collector whose records wait and that has no send in
   * flight (one that has is re-armed for when its send is done). Not per record: at most one
   * timer per linger period.
   */
  private armLinger(): void {
    if (this.lingerTimer !== undefined || this.failed || this.closing) return;
    const now = Date.now();
    let wait: number | undefined;
    for (const collector of this.collectors()) {
      if (collector.sending && collector.failure === undefined) continue;
      const left = collector.failure !== undefined ? 0 : collector.lingerLeft(now);
      if (left !== undefined && (wait === undefined || left < wait)) wait = left;
    }
    if (wait === undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.background(() => this.sendLingering());
    }, wait);
    this.lingerTimer.unref();
  }

  /** The linger timer fired: sends what is due, under the lock (so never between a commit's flush and its commit). */
  private sendLingering(): void {
    if (this.failed || this.closing || this.expelled()) return;
    const now = Date.now();
    for (const collector of this.collectors()) {
      if (collector.failure !== undefined) {
        this.fail(collector.failure);
        return;
      }
      if (collector.sendDue(now)) collector.sendInBackground();
    }
    this.armLinger();
  }

  private async sendCollected(collector: KafkaRecordCollector): Promise<boolean> {
    if (this.expelled()) return false;
    try {
      await collector.flush();
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /**
   * The first half of every commit, under the lock: flushes the stores of the running tasks that
   * need a commit (or for which `mustCommit` says so) and notes the offsets each consumed since
   * the last commit, then flushes the global stores. `undefined` when that failed the thread.
   */
  private prepareCommits(only: readonly ManagedTask[] | undefined, mustCommit: (managed: ManagedTask) => boolean): PreparedCommit[] | undefined {
    const work: PreparedCommit[] = [];
    for (const managed of only ?? this.tasks.values()) {
      if (managed.state !== 'running') continue;
      const task = managed.task;
      if (!task.commitNeeded && !task.hasStores && !mustCommit(managed)) continue;
      let consumed: ReadonlyMap<string, number>;
      try {
        consumed = task.prepareCommit();
      } catch (error) {
        this.fail(error);
        return undefined;
      }
      const offsets: PreparedCommit['offsets'] = [];
      for (const [topic, offset] of consumed) {
        if (this.committed.get(`${topic}:${task.id.partition}`) !== offset) offsets.push({ topic, partition: task.id.partition, offset });
      }
      work.push({ managed, offsets, consumed });
    }
    this.preparedTasks = work.length;
    try {
      this.options.flushGlobals();
    } catch (error) {
      this.fail(error);
      return undefined;
    }
    return work;
  }

  /**
   * At-least-once: flushes stores, sends output and waits for acks, then commits offsets, each
   * task's with the end offsets of its changelogs as metadata (its consistent point, see
   * `commit-metadata.ts`), and only then commits stores to disk and checkpoints them, so local
   * state never runs ahead of the committed offsets. Under the lock.
   */
  private async commitAll(reason: string, only?: readonly ManagedTask[]): Promise<void> {
    if (this.failed || this.expelled()) return;
    const start = performance.now();
    this.preparedTasks = 0;
    await this.commitAllUntimed(reason, only);
    // As Kafka's commit sensor: a pass that had no task to commit is no commit.
    if (this.preparedTasks > 0) this.sensors.commit.record(performance.now() - start);
  }

  /** Tasks the last {@link prepareCommits} prepared, for the commit metrics. */
  private preparedTasks = 0;

  private async commitAllUntimed(reason: string, only?: readonly ManagedTask[]): Promise<void> {
    if (this.exactlyOnce) return this.commitTransactions(reason, only);
    const collector = this.collector!;
    const work = this.prepareCommits(only, () => false);
    if (work === undefined) return;
    const offsets: OffsetCommit[] = [];
    const metadataByTask = new Map<ManagedTask, string>();
    try {
      await collector.flush();
      for (const prepared of work) offsets.push(...this.offsetsToCommit(prepared, metadataByTask));
    } catch (error) {
      this.fail(error);
      return;
    }
    let committed = true;
    if (offsets.length > 0) {
      try {
        await this.consumer.commitOffsets(offsets);
        for (const entry of offsets) this.committed.set(`${entry.topic}:${entry.partition}`, entry.offset);
        for (const [managed, metadata] of metadataByTask) managed.committedMetadata = metadata;
        this.options.options.streams.logger.debug(`Committed ${offsets.length} offset(s) (${reason})`);
      } catch (error) {
        // A rebalance took the partitions; the new owner reprocesses from the last commit (at-least-once).
        committed = false;
        this.options.options.streams.logger.warn(`Could not commit offsets (${reason}); records since the last commit will be processed again`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    for (const { managed } of work) managed.task.postCommit();
    if (only === undefined) this.lastCommitAt = Date.now();
    // Stores' writes are checkpointed only once offsets that cover them are committed.
    if (!committed) return;
    const checkpoints = new Map<string, number>();
    for (const managed of metadataByTask.keys()) {
      for (const [topic, end] of managed.changelogEnds ?? []) checkpoints.set(`${topic}:${managed.task.id.partition}`, end);
    }
    try {
      await this.taskManager.commitStores(only);
      await this.taskManager.writeCheckpoints(checkpoints, only);
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * At-least-once: what to commit for a prepared task. A task with logged stores commits every
   * input partition it has an offset for, with its changelog ends as metadata, whenever its
   * offsets or those ends moved (a punctuator may write stores without consuming); others commit
   * the offsets that moved. Adds the metadata committed to `metadataByTask`.
   */
  private offsetsToCommit({ managed, offsets, consumed }: PreparedCommit, metadataByTask: Map<ManagedTask, string>): OffsetCommit[] {
    const ends = this.taskManager.changelogEndsOf(managed);
    if (ends === undefined) return offsets;
    const metadata = encodeChangelogEnds(managed.key, ends);
    if (offsets.length === 0 && metadata === managed.committedMetadata) return [];
    const all: OffsetCommit[] = [];
    for (const { topic, partition } of managed.topicPartitions) {
      const offset = consumed.get(topic) ?? this.committed.get(`${topic}:${partition}`);
      if (offset !== undefined && offset >= 0) all.push({ topic, partition, offset, metadata });
    }
    if (all.length > 0) metadataByTask.set(managed, metadata);
    return all;
  }

  /**
   * Exactly-once: for each task, in parallel, flushes its stores and sends its records inside its
   * transaction, adds its consumed offsets and commits. Only then are stores committed to disk and
   * checkpointed. A failure is a {@link TaskCorruptedError} (or a record's fatal one): the thread
   * stops and is replaced, never retrying a commit whose outcome is unknown. Under the lock.
   */
  private async commitTransactions(reason: string, only?: readonly ManagedTask[]): Promise<void> {
    // A task with an open transaction commits it even when it has processed nothing since.
    const work = this.prepareCommits(only, (managed) => managed.transaction!.open);
    if (work === undefined) return;
    const groupId = this.options.options.applicationId;
    const nextOffsets = new Map<string, number>();
    const results = await Promise.allSettled(
      work.map(async ({ managed, offsets }) => {
        for (const [key, offset] of await managed.collector.flush()) nextOffsets.set(key, offset);
        await managed.transaction!.commit(groupId, offsets);
      }),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) {
      this.fail(failure.reason);
      return;
    }
    let offsetCount = 0;
    for (const { managed, offsets } of work) {
      for (const entry of offsets) this.committed.set(`${entry.topic}:${entry.partition}`, entry.offset);
      offsetCount += offsets.length;
      managed.task.postCommit();
    }
    if (offsetCount > 0) this.options.options.streams.logger.debug(`Committed ${work.length} transaction(s) with ${offsetCount} offset(s) (${reason})`);
    if (only === undefined) this.lastCommitAt = Date.now();
    try {
      // The transaction is committed: the stores' flushed writes may now be checkpointed.
      await this.taskManager.commitStores(only);
      await this.taskManager.writeCheckpoints(nextOffsets, only);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Applies a new assignment: commits and closes revoked tasks, creates and restores new ones. Under the lock. */
  private async applyAssignment(assignment: Readonly<Record<string, readonly number[]>>): Promise<void> {
    if (this.failed || this.closing) return;
    const wanted = new Map<TaskKey, { subtopology: SubtopologySpec; partition: number }>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      const subtopology = this.subtopologyByTopic.get(topic);
      if (subtopology === undefined) continue;
      for (const partition of partitions) wanted.set(taskKey(subtopology.id, partition), { subtopology, partition });
    }
    const revoked = [...this.tasks.values()].filter((managed) => !wanted.has(managed.key));
    if (revoked.length > 0) {
      await this.commitAll('revoke', revoked);
      for (const managed of revoked) await this.closeTask(managed);
      // The tasks kept get the revoked ones' share now, before anything else can await (a query reads them between).
      this.taskManager.applyCacheBudget();
      this.options.options.streams.logger.info(`Closed revoked tasks [${revoked.map((managed) => managed.key).join(', ')}]`);
    }
    let group: DescribedGroup | undefined;
    try {
      group = await describeGroup(this.options.admin, this.options.options.applicationId, this.memberId);
    } catch (error) {
      // Without standbys only the query metadata needs the description: it waits for the next rebalance.
      if (this.standbys !== undefined) {
        this.fail(error);
        return;
      }
      this.options.options.streams.logger.warn('Could not describe the consumer group; interactive query metadata stays as it was until the next rebalance', { error: error instanceof Error ? error.message : String(error) });
    }
    if (group !== undefined) this.options.callbacks.onGroupSnapshot?.({ members: group.members, partitionCounts: [...this.options.plan.partitionCounts] });
    // Standbys first: one promoted to an active task here must release its stores before the task opens them.
    if (this.standbys !== undefined) {
      try {
        await this.standbys.update(this.assignedStandbys(group?.ownStandby ?? [], wanted));
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    const created: ManagedTask[] = [];
    for (const [key, { subtopology, partition }] of wanted) {
      if (this.tasks.has(key)) continue;
      try {
        created.push(await this.taskManager.create(key, subtopology, partition, assignment));
        this.sensors.tasksCreated++;
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    // Stores exist once tasks are initialized: new tasks get their share after restoring.
    this.joined = true;
    if (created.length === 0) {
      this.checkRunning();
      return;
    }
    this.restoring++;
    this.options.callbacks.onRebalancing();
    // Restoring runs outside the lock, so the consumer keeps heartbeating and running tasks keep processing.
    // A rebalance does not cancel a restore: tasks it keeps here must start fully restored, and
    // the ones it revokes are closed, after which their restore applies nothing more.
    void this.taskManager.restore(created, () => this.closing || this.failed).then(
      () =>
        this.exclusive(async () => {
          this.restoring--;
          this.taskManager.applyCacheBudget();
          const restored = created.filter((managed) => managed.state === 'restoring');
          if (!this.failed && !this.closing) await this.seekToCommitted(this.exactlyOnce ? restored : restored.filter((managed) => managed.startOffsets !== undefined));
          this.markRunning(restored);
        }),
      (error: unknown) => {
        this.restoring--;
        this.fail(error);
      },
    ).catch((error: unknown) => {
      if (!this.closing) this.fail(error);
    });
  }

  /** This member's standby tasks in the current generation that are not also active here. */
  private assignedStandbys(keys: readonly TaskKey[], active: ReadonlyMap<TaskKey, unknown>): Map<TaskKey, { subtopology: SubtopologySpec; partition: number }> {
    const subtopologies = new Map(this.options.builder.subtopologies().map((subtopology) => [subtopology.id, subtopology]));
    const standbys = new Map<TaskKey, { subtopology: SubtopologySpec; partition: number }>();
    for (const key of keys) {
      if (active.has(key)) continue;
      const [subtopologyId, partition] = key.split('_').map(Number);
      const subtopology = subtopologies.get(subtopologyId!);
      if (subtopology !== undefined && Number.isInteger(partition)) standbys.set(key, { subtopology, partition: partition! });
    }
    return standbys;
  }

  /**
   * Starts each restored task's partitions at its committed offsets. Exactly-once: those
   * committed now, after its producer fenced the previous owner (kafkajs may have read them at
   * the assignment, before the fencing, when the previous owner could still commit a
   * transaction). At-least-once: those its stores were restored to the consistent point of.
   */
  private async seekToCommitted(tasks: readonly ManagedTask[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; known: number | undefined }[]>();
    for (const managed of tasks) {
      for (const { topic, partition } of managed.topicPartitions) {
        let partitions = byTopic.get(topic);
        if (partitions === undefined) byTopic.set(topic, (partitions = []));
        partitions.push({ partition, known: managed.startOffsets?.get(topic) });
      }
    }
    const { admin, options } = this.options;
    try {
      for (const [topic, partitions] of byTopic) {
        const committed = partitions.some((entry) => entry.known === undefined) ? await admin.fetchCommittedOffsets(options.applicationId, [topic]) : undefined;
        let earliest: Map<number, number> | undefined;
        for (const { partition, known } of partitions) {
          let offset = known ?? committed?.find((entry) => entry.partition === partition)?.offset ?? -1;
          if (offset < 0) {
            earliest ??= new Map((await admin.listOffsets(topic)).map((entry) => [entry.partition, entry.low]));
            offset = earliest.get(partition) ?? 0;
          }
          this.consumer.seek(topic, partition, offset);
          this.positions.set(`${topic}:${partition}`, offset);
          this.committed.set(`${topic}:${partition}`, offset);
        }
      }
    } catch (error) {
      this.fail(new TaskCorruptedError(`Could not read the committed offsets of restored tasks: ${error instanceof Error ? error.message : String(error)}.`, tasks[0]?.key ?? '', { cause: error }));
    }
  }

  private markRunning(tasks: readonly ManagedTask[]): void {
    const toResume: { topic: string; partitions: number[] }[] = [];
    for (const managed of tasks) {
      managed.state = 'running';
      for (const { topic, partition } of managed.topicPartitions) toResume.push({ topic, partitions: [partition] });
    }
    if (toResume.length > 0 && !this.closing) this.consumer.resume(toResume);
    this.checkRunning();
  }

  private checkRunning(): void {
    if (this.failed || this.closing || !this.joined || this.restoring > 0) return;
    for (const managed of this.tasks.values()) if (managed.state !== 'running') return;
    this.startWaiter?.resolve();
    this.startWaiter = undefined;
    this.options.callbacks.onRunning();
  }

  private async closeTask(managed: ManagedTask): Promise<void> {
    if (managed.state === 'closed') return;
    for (const { topic, partition } of managed.topicPartitions) {
      this.positions.delete(`${topic}:${partition}`);
      this.committed.delete(`${topic}:${partition}`);
    }
    await this.taskManager.close(managed);
    this.sensors.tasksClosed++;
  }

  /**
   * Whether this process did not run (stopped, frozen, starved) for longer than the session
   * timeout, in which case the group has expelled this member and its tasks may have moved on:
   * then the thread fails (and is rebuilt) before it sends anything, since what it would flush —
   * aggregates as they were when it stopped — would land after the new owner's.
   */
  private expelled(): boolean {
    const silentMs = Date.now() - this.lastTickAt;
    if (silentMs <= this.options.options.sessionTimeoutMs) return false;
    this.fail(new TaskMigratedError(`This process did not run for ${Math.round(silentMs / 1000)} s, longer than the session timeout; its group membership has expired and its tasks may have moved.`));
    return true;
  }

  /** Reports an error that happened outside the thread's own work (such as a failed start) as fatal to it. */
  reportFailure(error: unknown): void {
    this.fail(error);
  }

  /** Stops processing for good: nothing more is sent or committed. */
  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.collector?.discard();
    for (const managed of this.tasks.values()) managed.collector.discard();
    try {
      if (this.sourceTopics.length > 0) this.consumer.pause(this.sourceTopics.map((topic) => ({ topic })));
    } catch {
      // The consumer is not running: nothing is fetched anyway.
    }
    this.startWaiter?.reject(error);
    this.startWaiter = undefined;
    this.options.callbacks.onFatal(error);
  }
}
