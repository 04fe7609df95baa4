/**
 * What a driver holds for each opened LevelDB store: the asynchronous side of a store whose
 * engine-facing side is synchronous. A driver gets it from `supplier.prepare(context)` before the
 * task's stores are initialized, restores through it, awaits `commit` after each engine commit
 * (which flushed the stores synchronously into a pending batch) and then writes the checkpoint.
 */
import type { ChangelogRecord } from '@tributary/streams';

/** Options of {@link PersistentStoreHandle.restore}. */
export interface RestoreOptions {
  /** Changelog records per LevelDB batch. Defaults to 4096. */
  readonly batchSize?: number;
  /** Called after each batch is written, with the records restored so far. */
  readonly onProgress?: (restored: number) => void;
}

/**
 * One opened LevelDB store of one task, as `supplier.prepare(context)` returns it: what a driver
 * (the test driver, the embedded runner, `KafkaStreams`) uses to restore the store, wait for its
 * writes after a commit and checkpoint it. Applications never need it.
 */
export interface PersistentStoreHandle {
  /** The store's LevelDB directory: `<stateDir>/<applicationId>/<taskId>/<store>`. */
  readonly path: string;
  /** Whether opening found data newer than its checkpoint (or none) and wiped it: restore it all. */
  readonly wiped: boolean;
  /** The changelog offset the store's data reflects (from its checkpoint), or `undefined`: restore from the start. */
  checkpointOffset(): number | undefined;
  /** Waits until every flush of the store so far is written to LevelDB; rejects with `StoreWriteError` if one failed. */
  commit(): Promise<void>;
  /** Waits for {@link commit}, then records atomically that the store reflects its changelog up to `offset`. */
  writeCheckpoint(offset: number): Promise<void>;
  /**
   * Applies changelog records (in the changelog's key format; `null` values are tombstones) in
   * batches straight to LevelDB. Call before the store's task initializes it, then write a
   * checkpoint. Returns how many records were applied.
   */
  restore(records: Iterable<ChangelogRecord> | AsyncIterable<ChangelogRecord>, options?: RestoreOptions): Promise<number>;
  /** Closes the database (the store's `close` does this too); waits for pending flushes first. */
  close(): Promise<void>;
}
