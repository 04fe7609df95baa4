/**
 * The stream thread's one lock: batches, commits, punctuation, linger sends and rebalance handling
 * take it in turn, so a commit never interleaves with processing or with another commit.
 */
export class ThreadLock {
  private tail: Promise<void> = Promise.resolve();

  /** `onBackgroundError` receives what a {@link background} job threw. */
  constructor(private readonly onBackgroundError: (error: unknown) => void) {}

  /** Runs `work` once every job queued before it is done. */
  exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Runs `work` under the lock without waiting for it: its failure goes to the error callback, never an unhandled rejection. */
  background(work: () => Promise<void> | void): void {
    this.exclusive(work).catch(this.onBackgroundError);
  }
}
