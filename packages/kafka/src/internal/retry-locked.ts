/**
 * Retries opening a persistent store while its directory is locked. LevelDB's lock is held per
 * process, so with `numStreamThreads` above 1 a task that moves from one worker thread to another
 * in the same process may be opened by its new thread before its old thread has closed it; the
 * lock is then freed within a rebalance, so waiting for it (up to the rebalance timeout) is right.
 */

/** The code of `@tributary/level`'s `StoreLockedError` (matched by code: this package does not depend on that one). */
const STORE_LOCKED_CODE = 'LEVEL_STORE_LOCKED';
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 1000;

/** Whether `error` says a store's directory is locked by another holder. */
function isStoreLockedError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === STORE_LOCKED_CODE;
}

/**
 * Runs `open` until it does not fail with a locked store, backing off from 100 ms to 1 s, for up
 * to `timeoutMs`; then fails with the last locked error. Other errors fail at once.
 */
export async function retryWhileLocked<T>(open: () => Promise<T>, timeoutMs: number, sleep: (ms: number) => Promise<void> = defaultSleep): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let backoffMs = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      const remainingMs = deadline - Date.now();
      if (!isStoreLockedError(error) || remainingMs <= 0) throw error;
      await sleep(Math.min(backoffMs, remainingMs));
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
