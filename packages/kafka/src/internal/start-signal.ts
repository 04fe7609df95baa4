/**
 * What a `start()` awaits until its thread (or every thread of a pool) runs: a promise settled
 * once, from wherever that is learned — a state change, a failure, or a close before running.
 * Settling it when no start waits does nothing.
 */
export class StartSignal {
  private waiter: { readonly resolve: () => void; readonly reject: (error: unknown) => void } | undefined;

  /** A promise settled by the next {@link resolve} or {@link reject}. */
  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Whether a start waits. */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  /** The start succeeded. */
  resolve(): void {
    this.waiter?.resolve();
    this.waiter = undefined;
  }

  /** The start failed with `error`. */
  reject(error: unknown): void {
    this.waiter?.reject(error);
    this.waiter = undefined;
  }
}
