/**
 * What every opened LevelDB store shares, and the registry that hands a database opened by
 * `supplier.prepare(context)` to the backend the task's store builder made (whose `open` is
 * synchronous). One entry per store directory; a directory being closed is not reopened until
 * its close completes, so LevelDB's lock is free by then.
 */
import { join } from 'node:path';
import { formatTaskId, type ChangelogRecord, type StateStoreContext } from '@tributary/streams';
import { StoreNotPreparedError } from '../errors.js';
import type { ResolvedLevelStoreOptions } from '../options.js';
import type { RestoreOptions, StoreHandle, StoreLocation } from '@tributary/streams/engine';
import { ensureStoreDirectory, LevelDatabase } from './level-database.js';

export function storePath(context: StoreLocation, store: string): string {
  return join(context.stateDir ?? '', context.applicationId, formatTaskId(context.taskId), store);
}

export abstract class StoreState implements StoreHandle {
  constructor(readonly database: LevelDatabase) {}

  get path(): string {
    return this.database.path;
  }

  get wiped(): boolean {
    return this.database.wiped;
  }

  checkpointOffset(): number | undefined {
    return this.database.checkpoint;
  }

  commit(): Promise<void> {
    return this.database.commit();
  }

  writeCheckpoint(offset: number): Promise<void> {
    return this.database.writeCheckpoint(offset);
  }

  holdFlushesUntilCommit(): void {
    this.database.holdFlushesUntilCommit();
  }

  /** Applies a chunk of changelog records to the index and the write buffer. */
  protected abstract applyChangelog(records: readonly ChangelogRecord[]): void;

  async restore(records: Iterable<ChangelogRecord> | AsyncIterable<ChangelogRecord>, options: RestoreOptions = {}): Promise<number> {
    const batchSize = options.batchSize ?? 4096;
    let chunk: ChangelogRecord[] = [];
    let restored = 0;
    const write = async (): Promise<void> => {
      this.applyChangelog(chunk);
      // Unsynced: nothing claims these batches until the checkpoint, which syncs them all.
      this.database.flush(false);
      await this.database.commit();
      restored += chunk.length;
      chunk = [];
      options.onProgress?.(restored);
    };
    for await (const record of records) {
      chunk.push(record);
      if (chunk.length >= batchSize) await write();
    }
    if (chunk.length > 0) await write();
    this.database.setMetaNumber('restored-records', restored);
    this.database.flush(false);
    await this.database.commit();
    return restored;
  }

  close(): Promise<void> {
    const path = this.path;
    if (readyStores.get(path)?.state === this) readyStores.delete(path);
    const closing = this.database.close().finally(() => {
      if (closingStores.get(path) === closing) closingStores.delete(path);
    });
    closingStores.set(path, closing);
    return closing;
  }
}

interface ReadyStore {
  readonly opening: Promise<StoreState>;
  state?: StoreState;
}

const readyStores = new Map<string, ReadyStore>();
const closingStores = new Map<string, Promise<void>>();

/** Opens (once) the store at `context`'s directory, for a backend to claim. */
export function prepareStore<S extends StoreState>(
  context: StoreLocation,
  store: string,
  format: string,
  options: ResolvedLevelStoreOptions,
  load: (database: LevelDatabase) => Promise<S>,
): Promise<S> {
  const path = storePath(context, store);
  const existing = readyStores.get(path);
  if (existing !== undefined) return existing.opening as Promise<S>;
  const opening = (async () => {
    await closingStores.get(path)?.catch(() => {});
    ensureStoreDirectory(context.stateDir, path, store);
    const database = await LevelDatabase.open(path, store, format, options, context.dataOnlyOnDisk === true);
    try {
      return await load(database);
    } catch (error) {
      await database.close().catch(() => {});
      throw error;
    }
  })();
  const entry: ReadyStore = { opening };
  readyStores.set(path, entry);
  opening.then(
    (state) => {
      entry.state = state;
    },
    () => {
      if (readyStores.get(path) === entry) readyStores.delete(path);
    },
  );
  return opening;
}

/** Takes the prepared store for `context` (synchronously), or explains how to prepare it. */
function claimStore<S extends StoreState>(context: StoreLocation, store: string): S {
  const path = storePath(context, store);
  const state = readyStores.get(path)?.state;
  if (state === undefined) {
    throw new StoreNotPreparedError(
      `LevelDB store '${store}' (${path}) was initialized before its database was open: LevelDB opens asynchronously, so await supplier.prepare(context) for each task before its stores are initialized.`,
    );
  }
  readyStores.delete(path);
  return state as S;
}

/** Resolves once every store closed so far has released its directory. */
export async function allClosed(): Promise<void> {
  await Promise.allSettled([...closingStores.values()]);
}

/**
 * What every LevelDB backend shares: it takes its prepared state at `open`, makes writes durable
 * through the database at `flush`, and releases the database at `close` (in the background:
 * `LevelStores.closed()` is its end).
 */
export abstract class LevelBackend<S extends StoreState> {
  readonly persistent = true;
  protected state: S | undefined;

  constructor(readonly name: string) {}

  open(context: StateStoreContext): void {
    this.state = claimStore<S>(context, this.name);
  }

  flush(): void {
    this.state!.database.flush();
  }

  close(): void {
    const state = this.state;
    this.state = undefined;
    state?.close().catch(() => {});
  }
}
