/**
 * Whether the thread may still act for its group: it fails the thread, to be rebuilt, when the
 * process was silent for longer than the session timeout (stopped, frozen, starved: the group has
 * expelled it and a new owner may have moved its tasks on, so what it would flush now would land
 * after the new owner's), when it lost its membership while holding tasks, and when its first join
 * never completes.
 */
import { TaskCorruptedError, TaskMigratedError } from '../../errors.js';

export interface LivenessWatchdogOptions {
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Fails the thread. */
  readonly fail: (error: unknown) => void;
  /** Whether the thread is still waiting to run its first assignment (and has neither failed nor closed). */
  readonly starting: () => boolean;
  /** Whether a task of the thread is restoring: a slow start that is no stuck join. */
  readonly restoring: () => boolean;
  /** The wall clock (`Date.now`; tests move it). */
  readonly now?: () => number;
}

export class LivenessWatchdog {
  private readonly now: () => number;
  /** When the thread last ran its tick: a longer gap than the session timeout means the process was stopped. */
  private lastTickAt: number;

  constructor(private readonly options: LivenessWatchdogOptions) {
    this.now = options.now ?? Date.now;
    this.lastTickAt = this.now();
  }

  /**
   * Called on each tick: false, having failed the thread, when the gap since the previous one was
   * longer than the session timeout (the first tick after a long stop sees the gap before it
   * resets the clock).
   */
  tick(): boolean {
    if (this.expelled()) return false;
    this.lastTickAt = this.now();
    return true;
  }

  /** Restarts the silence clock (when the ticks begin). */
  reset(): void {
    this.lastTickAt = this.now();
  }

  /**
   * Whether this process did not run for longer than the session timeout, in which case the group
   * has expelled this member: then the thread fails with a {@link TaskMigratedError} before it
   * sends or commits anything more.
   */
  expelled(): boolean {
    const silentMs = this.now() - this.lastTickAt;
    if (silentMs <= this.options.sessionTimeoutMs) return false;
    this.options.fail(new TaskMigratedError(`This process did not run for ${Math.round(silentMs / 1000)} s, longer than the session timeout; its group membership has expired and its tasks may have moved.`));
    return true;
  }

  /**
   * The client rejoined under a new member id after its session expired (a long pause, a network
   * partition): the tasks may have been processed elsewhere meanwhile, so none of their state can
   * be trusted, even if the same tasks come back. A thread that held tasks fails, to be rebuilt.
   */
  membershipLost(heldTasks: readonly string[]): void {
    if (heldTasks.length === 0) return;
    this.options.fail(new TaskMigratedError(`This member lost its group membership (its session expired) while it held tasks [${heldTasks.join(', ')}]; they may have moved and changed meanwhile.`));
  }

  /**
   * A join that has not completed within a rebalance timeout plus a session timeout will not (a
   * client can be left waiting after a coordinator that was loading, when the brokers come back,
   * or after the broker holding the group coordinator was killed): the thread fails then, to be
   * replaced, rather than wait in silence. A restore in progress is no stuck join and pushes the
   * check back. Armed at the start of `start()`, before anything is awaited.
   */
  watchStart(): void {
    const limitMs = this.options.rebalanceTimeoutMs + this.options.sessionTimeoutMs;
    const check = (): void => {
      if (!this.options.starting()) return;
      if (this.options.restoring()) {
        setTimeout(check, limitMs).unref();
        return;
      }
      this.options.fail(new TaskCorruptedError(`The stream thread did not join its group and run its tasks within ${Math.round(limitMs / 1000)} s.`, '*'));
    };
    setTimeout(check, limitMs).unref();
  }
}
