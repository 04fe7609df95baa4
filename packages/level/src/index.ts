/**
 * `@tributary/level`: persistent key-value, window and session state stores on LevelDB
 * (classic-level), for `Materialized.as(supplier)` and `Stores.*StoreBuilder(supplier, ...)`.
 *
 * @packageDocumentation
 * @module @tributary/level
 */
export { LevelStores } from './level-stores.js';
export type { PersistentStoreSupplier, LevelKeyValueStoreSupplier, LevelWindowStoreSupplier, LevelSessionStoreSupplier } from './level-stores.js';
export type { PersistentStoreHandle, RestoreOptions } from './store-handle.js';
export type { LevelStoreOptions, ResolvedLevelStoreOptions } from './options.js';
export { DEFAULT_LEVEL_CACHE_SIZE, DEFAULT_LEVEL_INDEX_MAX_ENTRIES, DEFAULT_LEVEL_WRITE_BUFFER_SIZE } from './options.js';
export { StateDirectoryError, StoreLockedError, StoreCorruptError, StoreNotPreparedError, StoreWriteError, StoreIndexFullError } from './errors.js';
export type { StoreLocation } from '@tributary/streams/engine';
