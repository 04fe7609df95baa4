/**
 * When the thread's collected output is sent between commits: a collector's records go out in the
 * background once its linger says they are due (see `LINGER_MS` in the collector), at most one
 * timer per thread is armed for the soonest collector still waiting, and a collector holding too
 * much ({@link MAX_PENDING_BYTES}) is flushed before more are processed. Sends happen under the
 * lock, so never between a commit's flush and its commit.
 */
import type { KafkaRecordCollector } from '../kafka-record-collector.js';
import type { ManagedTask } from '../task-manager.js';
import type { TaskKey } from '../task-assignor.js';
import type { ThreadLock } from './thread-lock.js';

/**
 * The memory of records waiting to be sent (`KafkaRecordCollector.pendingBytes`) beyond which
 * processing stops until they are acknowledged: bounds what they hold when the brokers are slower
 * than the thread, as Kafka's producer blocks a send once `buffer.memory` (32 MiB) is full. It is
 * per collector, as Kafka's is per producer: the thread's, or each task's under exactly-once v1.
 * It was 10,000 records, whatever their size: 10 GB of 1 MB records, and for the flagship's small
 * ones a wait for every acknowledgement after nearly each fetched batch (about a fifth of a
 * benchmark run's wall time, in which the thread neither processed nor fetched).
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;

export interface OutputLingerOptions {
  /** The collector every task shares, or `undefined` when each task has its own (exactly-once). */
  readonly sharedCollector: KafkaRecordCollector | undefined;
  readonly tasks: ReadonlyMap<TaskKey, ManagedTask>;
  readonly lock: ThreadLock;
  /** Whether the thread still sends: neither failed nor closing. */
  readonly active: () => boolean;
  /** False, having failed the thread, when it was silent past its session timeout (see `LivenessWatchdog`). */
  readonly mayAct: () => boolean;
  readonly fail: (error: unknown) => void;
}

export class OutputLinger {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutputLingerOptions) {}

  /**
   * After a batch, under the lock: starts a background send of the collector's records when they
   * are due, or arms the linger timer for when they will be, and flushes a collector that holds
   * too much (see {@link MAX_PENDING_BYTES}). False, having failed the thread, when a send had failed.
   */
  async afterProcessing(collector: KafkaRecordCollector): Promise<boolean> {
    if (collector.failure !== undefined) {
      this.options.fail(collector.failure);
      return false;
    }
    if (collector.sendDue(Date.now())) collector.sendInBackground();
    this.arm();
    if (collector.pendingBytes < MAX_PENDING_BYTES) return true;
    if (!this.options.mayAct()) return false;
    try {
      await collector.flush();
      return true;
    } catch (error) {
      this.options.fail(error);
      return false;
    }
  }

  /**
   * Arms the linger timer for the soonest collector whose records wait and that has no send in
   * flight (one that has is re-armed for when its send is done: the collectors call this). Not
   * per record: at most one timer per linger period.
   */
  arm(): void {
    if (this.timer !== undefined || !this.options.active()) return;
    const now = Date.now();
    let wait: number | undefined;
    for (const collector of this.collectors()) {
      if (collector.sending && collector.failure === undefined) continue;
      const left = collector.failure !== undefined ? 0 : collector.lingerLeft(now);
      if (left !== undefined && (wait === undefined || left < wait)) wait = left;
    }
    if (wait === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.options.lock.background(() => this.sendLingering());
    }, wait);
    this.timer.unref();
  }

  /** Stops the timer: the thread is closing. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The timer fired: sends what is due, under the lock. */
  private sendLingering(): void {
    if (!this.options.active() || !this.options.mayAct()) return;
    const now = Date.now();
    for (const collector of this.collectors()) {
      if (collector.failure !== undefined) {
        this.options.fail(collector.failure);
        return;
      }
      if (collector.sendDue(now)) collector.sendInBackground();
    }
    this.arm();
  }

  /** The collectors records are sent through: the thread's, or each task's under exactly-once. */
  private *collectors(): Iterable<KafkaRecordCollector> {
    if (this.options.sharedCollector !== undefined) {
      yield this.options.sharedCollector;
      return;
    }
    for (const managed of this.options.tasks.values()) yield managed.collector;
  }
}
