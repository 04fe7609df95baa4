/**
 * The stream thread's lifecycle as Kafka Streams' `StreamThread.State`, in place of status flags:
 * every place that asks "is the thread still working, has it joined, is it running" reads one
 * state, and a move the lifecycle does not allow throws, since it can only be a bug here.
 *
 * The normal path is CREATED → STARTING → PARTITIONS_ASSIGNED → RUNNING; each rebalance moves
 * through PARTITIONS_REVOKED (the group prepares) and PARTITIONS_ASSIGNED (the new assignment is
 * applied and restored) back to RUNNING. Any live state may move to PENDING_SHUTDOWN (a close or a
 * failure), and only that to DEAD.
 *
 * A failed thread is in `PENDING_SHUTDOWN` with its `failure` kept: its close commits nothing.
 */
import { IllegalStateError } from '../../errors.js';

/** Kafka Streams' stream thread states (see the module comment for the moves between them). */
export type ThreadState = 'CREATED' | 'STARTING' | 'PARTITIONS_REVOKED' | 'PARTITIONS_ASSIGNED' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'DEAD';

/** The states each state may move to, as Kafka 3.9's `StreamThread.State` allows. */
const NEXT_STATES: Readonly<Record<ThreadState, readonly ThreadState[]>> = {
  CREATED: ['STARTING', 'PENDING_SHUTDOWN'],
  STARTING: ['PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'PENDING_SHUTDOWN'],
  PARTITIONS_REVOKED: ['PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'PENDING_SHUTDOWN'],
  PARTITIONS_ASSIGNED: ['PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING', 'PENDING_SHUTDOWN'],
  RUNNING: ['PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING', 'PENDING_SHUTDOWN'],
  PENDING_SHUTDOWN: ['DEAD'],
  DEAD: [],
};

export class ThreadStateMachine {
  private current: ThreadState = 'CREATED';
  private failedWith: { readonly error: unknown } | undefined;

  /** `onChange` runs after each move, before `transitionTo` returns. */
  constructor(
    private readonly threadId: string,
    private readonly onChange: (next: ThreadState, previous: ThreadState) => void,
  ) {}

  get state(): ThreadState {
    return this.current;
  }

  /** Neither shutting down nor dead: the thread may still fetch, process, send and commit. */
  get isActive(): boolean {
    return this.current !== 'PENDING_SHUTDOWN' && this.current !== 'DEAD';
  }

  /** Whether the thread stopped on an error (see {@link fail}): nothing more is sent or committed. */
  get failed(): boolean {
    return this.failedWith !== undefined;
  }

  /**
   * Moves to `next`, throwing an {@link IllegalStateError} when the lifecycle does not allow it
   * (a bug in the thread, never a user's mistake).
   */
  transitionTo(next: ThreadState): void {
    const previous = this.current;
    if (!NEXT_STATES[previous].includes(next)) {
      throw new IllegalStateError(
        `Stream thread ${this.threadId} cannot move from ${previous} to ${next}. This is a bug in Tributary's stream thread, not in the application: please report it with this message and the log before it.`,
      );
    }
    this.current = next;
    this.onChange(next, previous);
  }

  /** Starts the shutdown unless it has begun: true when this call began it. */
  beginShutdown(): boolean {
    if (!this.isActive) return false;
    this.transitionTo('PENDING_SHUTDOWN');
    return true;
  }

  /**
   * Records that the thread stopped on `error`, and begins its shutdown if it has not begun.
   * False when it had already failed (only the first failure is reported).
   */
  fail(error: unknown): boolean {
    if (this.failedWith !== undefined) return false;
    this.failedWith = { error };
    this.beginShutdown();
    return true;
  }

  /** The end of a shutdown: the thread holds nothing any more. */
  completeShutdown(): void {
    if (this.current === 'DEAD') return;
    this.beginShutdown();
    this.transitionTo('DEAD');
  }
}
