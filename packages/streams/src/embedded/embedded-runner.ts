/**
 * The engine's third driver, next to the test driver and the Kafka runtime: runs any topology
 * in this process with no broker. Topics are in memory and hold nothing: a record reaches the
 * sub-topologies that read its topic and the listeners of that topic, then is gone, so a long
 * run does not grow. Unlike the test driver, it commits on a timer (and on `commit()` and
 * `close()`), so store caches deduplicate updates between commits as they do on Kafka.
 *
 * Persistent (LevelDB) stores are the only copy of their data here: their changelogs hold
 * nothing to restore from. So they are opened with `dataOnlyOnDisk`, and a restart with the same
 * `stateDir`, after a close or a crash, keeps each store as of its last completed flush. Every
 * commit waits for the stores' flushes to reach disk; checkpoint files, which only carry the
 * changelog offsets on to the next run, are written as Kafka Streams writes them: when a task's
 * changelogs moved more than 10,000 records past its last one, and at
 * close.
 */
import type { StreamsConfig } from '../config.js';
import { ConfigError, StateStoreError } from '../errors/streams-error.js';
import { Headers } from '../processor/headers.js';
import { LocalRunner, type StoredRecord } from '../processor/internal/local-runner.js';
import type { DropReason } from '../processor/drop-reason.js';
import type { Metric } from '../metrics/metrics.js';
import { changelogTopicName } from '../processor/internal/topology-builder.js';
import type { Topology } from '../processor/topology.js';
import type { QueryableStoreType } from '../state/queryable-store-types.js';
import { resolveEmbeddedRunnerOptions, type EmbeddedRunnerOptions, type ResolvedEmbeddedRunnerOptions } from './options.js';

/** Changelog records a task's stores may move past their checkpoints before a commit writes new ones (Kafka Streams' `OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT`). */
const checkpointThresholdRecords = 10_000;

/** A record written to a topic, as {@link EmbeddedRunner.onRecord} listeners get it. */
export interface EmbeddedRecord {
  /** The key bytes, or `null`. */
  readonly key: Buffer | null;
  /** The value bytes, or `null` (a tombstone). */
  readonly value: Buffer | null;
  /** The record's timestamp, epoch ms. */
  readonly timestamp: number;
  /** The record's headers (dead letters carry the failure here). */
  readonly headers: Headers;
}

/** Options of {@link EmbeddedRunner.send}. */
export interface EmbeddedSendOptions {
  /** The record's timestamp, epoch ms. Defaults to the wall clock. */
  readonly timestamp?: number;
  /** The record's headers. Defaults to none. */
  readonly headers?: Headers;
}

/** What {@link EmbeddedRunner.metrics} reports. */
export interface EmbeddedRunnerMetrics {
  /** Input records run through the topology, over every task. */
  readonly processed: number;
  /** Records dropped, by reason, over every task and global store. */
  readonly dropped: ReadonlyMap<DropReason, number>;
  /** Wall-clock time of the last completed commit, epoch ms, or `undefined` before the first. */
  readonly committedAt: number | undefined;
  /**
   * The furthest any task's stream time was ahead of the wall clock at the last commit timer, ms
   * (0 when none was): a record stamped in the future moved it, and on-time records are late.
   */
  readonly streamTimeAheadOfWallClockMs: number;
  /**
   * Kafka Streams' metrics: client (`client-id` the application id), one stream thread
   * `<applicationId>-StreamThread-1` and its tasks, processor nodes and (at `DEBUG`) stores.
   */
  readonly all: readonly Metric[];
}

/** Listens to every record written to one topic. */
export type EmbeddedRecordListener = (record: EmbeddedRecord) => void;

/**
 * Runs a topology in process, with no broker: `send` records in, listen to topics with
 * `onRecord`, query stores, and `close` when done. A record is processed as it is sent: its tasks
 * never wait for an empty input partition (all input is local), whatever `maxTaskIdleMs` says.
 *
 * ```ts
 * const runner = await EmbeddedRunner.start(builder.build(), { applicationId: 'analytics' }, { stateDir: './state' });
 * runner.onRecord('counts', (record) => console.log(record.key?.toString(), record.value?.readDoubleBE()));
 * runner.send('clicks', Buffer.from('ann'), Buffer.from('/home'));
 * await runner.close();
 * ```
 */
export class EmbeddedRunner {
  private readonly listeners = new Map<string, Set<EmbeddedRecordListener>>();
  private readonly runner: LocalRunner;
  private readonly timer: ReturnType<typeof setInterval>;
  /** Commits run one after another: the timer's and the caller's never overlap. */
  private commitChain: Promise<void> = Promise.resolve();
  /** A failure of a timer-driven commit, rethrown by the next call so it is never lost. */
  private failure: unknown;
  private committedAt: number | undefined;
  private closed = false;

  private constructor(topology: Topology, config: StreamsConfig, options: ResolvedEmbeddedRunnerOptions) {
    this.runner = new LocalRunner(topology, config, {
      commitEachRecord: false,
      retainRecords: 'none',
      dataOnlyOnDisk: true,
      onRecord: (record) => this.deliver(record),
      listensTo: (topic) => (this.listeners.get(topic)?.size ?? 0) > 0,
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
    if (options.stateDir === undefined && this.runner.tasks.some((task) => task.needsPrepare)) {
      throw new ConfigError(`EmbeddedRunner option 'stateDir' is required: the topology has stores on disk (LevelDB). Give a directory, such as { stateDir: './state' }.`);
    }
    this.timer = setInterval(() => this.tick(), options.commitIntervalMs);
    // A running commit timer must not keep the process alive on its own.
    this.timer.unref();
  }

  /**
   * Validates the options, opens the stores (reopening persistent ones in `stateDir` with their
   * data) and starts the topology and its commit timer.
   */
  static async start(topology: Topology, config: StreamsConfig, options?: EmbeddedRunnerOptions): Promise<EmbeddedRunner> {
    const resolved = resolveEmbeddedRunnerOptions(options);
    const runner = new EmbeddedRunner(topology, config, resolved);
    try {
      await runner.runner.prepare();
      // Changelog offsets continue from the checkpoints, so the next checkpoint is never behind.
      for (const task of runner.runner.tasks) {
        for (const [storeName, handle] of task.storeHandles) {
          const offset = handle.checkpointOffset();
          if (offset !== undefined) runner.runner.resumeTopicAt(changelogTopicName(runner.runner.config.applicationId, storeName), offset);
        }
      }
    } catch (error) {
      clearInterval(runner.timer);
      runner.closed = true;
      await runner.runner.closeAndRelease().catch(() => {});
      throw error;
    }
    return runner;
  }

  /**
   * Writes a record to `topic` and processes it and everything it leads to before returning.
   * Throws when a handler configured to fail (such as `logAndFail`) fails the record.
   */
  send(topic: string, key: Buffer | null, value: Buffer | null, options: EmbeddedSendOptions = {}): void {
    this.checkUsable();
    try {
      this.runner.pipe(topic, key, value, options.headers ?? new Headers(), options.timestamp ?? Date.now());
    } catch (error) {
      // A failure the config chose not to survive (logAndFail, a throwing handler) stops the runner, as it stops a Kafka stream thread.
      this.failure ??= error;
      throw error;
    }
  }

  /** Calls `listener` with every record written to `topic` from now on (outputs, dead letters, internal topics). Returns the unsubscribe function. */
  onRecord(topic: string, listener: EmbeddedRecordListener): () => void {
    let listeners = this.listeners.get(topic);
    if (listeners === undefined) {
      listeners = new Set();
      this.listeners.set(topic, listeners);
    }
    listeners.add(listener);
    return () => {
      this.listeners.get(topic)?.delete(listener);
    };
  }

  /** A read-only view of a named store (interactive queries): `runner.query('counts', QueryableStoreTypes.keyValueStore<string, number>())`. */
  query<View>(name: string, type: QueryableStoreType<View>): View {
    if (this.closed) throw new StateStoreError(`This EmbeddedRunner is closed; store '${name}' can no longer be queried.`);
    return this.runner.query(name, type);
  }

  /** Records processed and dropped so far, and when the last commit completed. */
  metrics(): EmbeddedRunnerMetrics {
    let processed = 0;
    let ahead = 0;
    for (const task of this.runner.tasks) {
      processed += task.metrics.processed;
      ahead = Math.max(ahead, task.metrics.streamTimeAheadOfWallClockMs);
    }
    const { applicationId } = this.runner.config;
    const state = this.closed ? 'NOT_RUNNING' : this.failure !== undefined ? 'ERROR' : 'RUNNING';
    const all = this.runner.metrics({ clientId: applicationId, applicationId, state, aliveStreamThreads: state === 'RUNNING' ? 1 : 0, failedStreamThreads: this.failure === undefined ? 0 : 1 });
    return { processed, dropped: this.runner.droppedRecords(), committedAt: this.committedAt, streamTimeAheadOfWallClockMs: ahead, all };
  }

  /**
   * Commits now: flushes every store (forwarding cached updates downstream) until the topology
   * is quiet, and waits for persistent stores to reach disk (and writes their checkpoints when
   * their changelogs moved more than 10,000 records since the last ones).
   */
  async commit(): Promise<void> {
    this.checkUsable();
    await this.enqueueCommit();
  }

  /** Commits, stops the timer, closes every task and releases store files. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    let failure = this.failure;
    this.failure = undefined;
    if (failure === undefined) {
      try {
        await this.enqueueCommit(true);
      } catch (error) {
        failure = error;
      }
    }
    this.closed = true;
    try {
      await this.runner.closeAndRelease();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
  }

  /** Queues a commit; `checkpoint` writes every store's checkpoint whatever its changelogs moved (at close). */
  private enqueueCommit(checkpoint = false): Promise<void> {
    const next = this.commitChain.then(() => this.commitNow(checkpoint));
    // The chain survives a failed commit; the caller still sees the failure through `next`.
    this.commitChain = next.catch(() => {});
    return next;
  }

  private async commitNow(checkpoint: boolean): Promise<void> {
    if (this.closed) return;
    this.runner.commit();
    // Offsets are taken now, synchronously after the flush that produced them.
    const writes: Promise<void>[] = [];
    const applicationId = this.runner.config.applicationId;
    for (const task of this.runner.tasks) {
      // As Kafka Streams decides per task: the changelog records its stores moved past their checkpoints, summed.
      let moved = 0;
      for (const [storeName, handle] of task.storeHandles) moved += this.runner.endOffset(changelogTopicName(applicationId, storeName)) - (handle.checkpointOffset() ?? 0);
      const checkpointTask = checkpoint || moved > checkpointThresholdRecords;
      for (const [storeName, handle] of task.storeHandles) {
        writes.push(checkpointTask ? handle.writeCheckpoint(this.runner.endOffset(changelogTopicName(applicationId, storeName))) : handle.commit());
      }
    }
    await Promise.all(writes);
    this.committedAt = Date.now();
  }

  private tick(): void {
    // Until `start` has opened the stores (LevelDB opens asynchronously), a tick would start the
    // tasks on stores that are not open yet: the timer runs from construction, and a slow open
    // (a loaded machine) outlasts its first interval.
    if (this.closed || this.failure !== undefined || !this.runner.ready) return;
    try {
      this.runner.punctuateWallClock(Date.now());
    } catch (error) {
      this.fail(error);
      return;
    }
    this.enqueueCommit().catch((error: unknown) => this.fail(error));
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.runner.config.logger.error('The embedded runner failed in the background; the next call rethrows it.', { error });
  }

  private deliver(record: StoredRecord): void {
    const listeners = this.listeners.get(record.topic);
    if (listeners === undefined) return;
    for (const listener of listeners) listener(record);
  }

  private checkUsable(): void {
    if (this.closed) throw new StateStoreError('This EmbeddedRunner is closed; start a new one with EmbeddedRunner.start.');
    if (this.failure !== undefined) {
      const failure = this.failure;
      throw failure;
    }
  }
}
