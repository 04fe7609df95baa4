/** Options of the LevelDB stores, validated once when a supplier is made. */
import { ConfigError } from '@tributary/streams';

/** LevelDB's block cache per store when none is given: 8 MiB (LevelDB's own default). */
export const DEFAULT_LEVEL_CACHE_SIZE = 8 * 1024 * 1024;
/** LevelDB's write buffer (memtable) per store when none is given: 4 MiB (LevelDB's own default). */
export const DEFAULT_LEVEL_WRITE_BUFFER_SIZE = 4 * 1024 * 1024;

/** Options of `LevelStores.persistent*Store`. */
export interface LevelStoreOptions {
  /** Bytes of LevelDB's block cache for this store (per task). Defaults to {@link DEFAULT_LEVEL_CACHE_SIZE}. */
  readonly cacheSize?: number;
  /** Bytes LevelDB buffers in memory before writing a table file. Defaults to {@link DEFAULT_LEVEL_WRITE_BUFFER_SIZE}. */
  readonly writeBufferSize?: number;
  /**
   * Whether each commit's batch is fsynced before it counts as done. Defaults to `true`, so a
   * checkpoint never claims data a power loss could take back; `false` is safe against process
   * crashes only (the OS still holds the write), and faster.
   */
  readonly syncOnCommit?: boolean;
}

export interface ResolvedLevelStoreOptions {
  readonly cacheSize: number;
  readonly writeBufferSize: number;
  readonly syncOnCommit: boolean;
}

export function resolveLevelStoreOptions(store: string, options: LevelStoreOptions | undefined): ResolvedLevelStoreOptions {
  const given = options ?? {};
  return {
    cacheSize: checkBytes(store, 'cacheSize', given.cacheSize, DEFAULT_LEVEL_CACHE_SIZE, 0),
    writeBufferSize: checkBytes(store, 'writeBufferSize', given.writeBufferSize, DEFAULT_LEVEL_WRITE_BUFFER_SIZE, 64 * 1024),
    syncOnCommit: given.syncOnCommit ?? true,
  };
}

function checkBytes(store: string, option: string, value: number | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new ConfigError(`LevelDB option '${option}' of store '${store}' must be an integer number of bytes of at least ${minimum}, got ${String(value)}.`);
  }
  return value;
}
