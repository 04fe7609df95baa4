/** Options of the LevelDB stores, validated once when a supplier is made. */
import { ConfigError } from '@tributary/streams';

/** LevelDB's block cache per store when none is given: 8 MiB (LevelDB's own default). */
export const DEFAULT_LEVEL_CACHE_SIZE = 8 * 1024 * 1024;
/** LevelDB's write buffer (memtable) per store when none is given: 4 MiB (LevelDB's own default). */
export const DEFAULT_LEVEL_WRITE_BUFFER_SIZE = 4 * 1024 * 1024;
/**
 * Entries of a store's in-memory index when none is given: 100,000. At the bound an index holds
 * about 7 MB of heap per store and task for a key-value store (a key set; 11-byte keys) and
 * about 20 MB for a window or session store (key, time and tiebreak of each entry: 196 bytes an
 * entry for 10-byte keys, measured in `time-keyed-entries.test.ts`), more for longer keys.
 */
export const DEFAULT_LEVEL_INDEX_MAX_ENTRIES = 100_000;

/** Options of `LevelStores.persistent*Store`. */
export interface LevelStoreOptions {
  /** Bytes of LevelDB's block cache for this store (per task), 0 or more. Defaults to {@link DEFAULT_LEVEL_CACHE_SIZE}. */
  readonly cacheSize?: number;
  /**
   * Bytes LevelDB buffers in memory (per store and task) before writing a table file, at least
   * 64 KiB. Defaults to {@link DEFAULT_LEVEL_WRITE_BUFFER_SIZE}.
   */
  readonly writeBufferSize?: number;
  /**
   * Whether each commit's batch is fsynced before it counts as done. Defaults to `false`: a
   * checkpoint syncs LevelDB's log itself before it claims anything, so a power loss can take
   * back only batches newer than the last checkpoint, which a restart replays from the changelog
   * (or wipes) anyway. `true` syncs every commit as well, and only costs time.
   */
  readonly syncOnCommit?: boolean;
  /**
   * The most entries the store's in-memory index holds (keys of a key-value store; key, time and
   * tiebreak of a window or session store). The index serves what needs ordered iteration over
   * every key: a key-value store's `range` and `all` (a foreign-key join's subscription store, a
   * suppress buffer, a custom processor's scan) and a window or session store's `fetchAll` and
   * `all` (interactive queries). Point reads and a window or session store's per-key fetches
   * never need it: they read LevelDB with `getSync`. A store with more entries than this drops
   * its index (until it is reopened with fewer), and those iterations then throw
   * `StoreIndexFullError`, so heap stays bounded for any number of keys. Defaults to
   * {@link DEFAULT_LEVEL_INDEX_MAX_ENTRIES}; `0` keeps no index; `Infinity` never drops it.
   */
  readonly indexMaxEntries?: number;
}

/**
 * A supplier's {@link LevelStoreOptions} after validation, with every default filled in (the
 * supplier's `options`). The `LevelStores` factories throw `ConfigError` for an option out of range,
 * so these values are always usable.
 */
export interface ResolvedLevelStoreOptions {
  /** Bytes of LevelDB's block cache for the store, per task: 0 or more. */
  readonly cacheSize: number;
  /** Bytes LevelDB buffers in memory before writing a table file: at least 64 KiB. */
  readonly writeBufferSize: number;
  /** Whether each commit's batch is fsynced before the commit resolves. */
  readonly syncOnCommit: boolean;
  /** The most entries the in-memory index holds: a non-negative integer, or `Infinity`. */
  readonly indexMaxEntries: number;
}

export function resolveLevelStoreOptions(store: string, options: LevelStoreOptions | undefined): ResolvedLevelStoreOptions {
  const given = options ?? {};
  return {
    cacheSize: checkBytes(store, 'cacheSize', given.cacheSize, DEFAULT_LEVEL_CACHE_SIZE, 0),
    writeBufferSize: checkBytes(store, 'writeBufferSize', given.writeBufferSize, DEFAULT_LEVEL_WRITE_BUFFER_SIZE, 64 * 1024),
    syncOnCommit: given.syncOnCommit ?? false,
    indexMaxEntries: checkIndexMaxEntries(store, given.indexMaxEntries),
  };
}

function checkIndexMaxEntries(store: string, value: number | undefined): number {
  if (value === undefined) return DEFAULT_LEVEL_INDEX_MAX_ENTRIES;
  if (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 0)) return value;
  throw new ConfigError(`LevelDB option 'indexMaxEntries' of store '${store}' must be a non-negative integer number of entries (or Infinity), got ${String(value)}.`);
}

function checkBytes(store: string, option: string, value: number | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new ConfigError(`LevelDB option '${option}' of store '${store}' must be an integer number of bytes of at least ${minimum}, got ${String(value)}.`);
  }
  return value;
}
