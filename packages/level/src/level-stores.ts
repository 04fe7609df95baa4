/**
 * Suppliers of LevelDB stores, the persistent counterparts of `Stores.inMemory*Store`: plug one
 * into `Materialized.as(supplier)` or `Stores.*StoreBuilder(supplier, ...)` and the topology is
 * unchanged. Each task's store is one LevelDB under `<stateDir>/<applicationId>/<taskId>/<store>`.
 *
 * LevelDB opens asynchronously and a store's `init` is synchronous, so a driver first awaits
 * `supplier.prepare(context)` for each task (it opens the database, wipes it if its checkpoint
 * does not match, and loads the in-memory index) and keeps the returned handle for restore,
 * commit and checkpoints; the store's `init` then takes the opened database.
 */
import { ConfigError, type DslStoreSuppliers, type KeyValueBytesStoreSupplier, type SessionBytesStoreSupplier, type WindowBytesStoreSupplier } from '@tributary/streams';
import type { PreparableStoreSupplier, StoreLocation } from '@tributary/streams/engine';
import { allClosed, storePath } from './internal/store-state.js';
import { LevelKeyValueBackend, prepareKeyValueStore } from './internal/level-key-value-backend.js';
import { LevelWindowBackend, prepareWindowStore } from './internal/level-window-backend.js';
import { LevelSessionBackend, prepareSessionStore } from './internal/level-session-backend.js';
import { resolveLevelStoreOptions, type LevelStoreOptions, type ResolvedLevelStoreOptions } from './options.js';
import type { PersistentStoreHandle } from './store-handle.js';

/** What every LevelDB supplier adds to the streams package's supplier interfaces: the engine's {@link PreparableStoreSupplier} contract, and more. */
export interface PersistentStoreSupplier extends PreparableStoreSupplier {
  /** The store's name: its directory under the task's, and its changelog topic's middle part. */
  readonly name: string;
  /** The validated LevelDB options. */
  readonly options: ResolvedLevelStoreOptions;
  /**
   * Opens the store's database for the task of `context`. Await it before the task's stores are
   * initialized; a second call for the same task before `init` returns the same handle.
   */
  prepare(context: StoreLocation): Promise<PersistentStoreHandle>;
  /** The store's directory for the task of `context`. */
  storePath(context: StoreLocation): string;
}

/** A key-value store supplier on LevelDB. */
export interface LevelKeyValueStoreSupplier extends KeyValueBytesStoreSupplier, PersistentStoreSupplier {}
/** A window store supplier on LevelDB. */
export interface LevelWindowStoreSupplier extends WindowBytesStoreSupplier, PersistentStoreSupplier {}
/** A session store supplier on LevelDB. */
export interface LevelSessionStoreSupplier extends SessionBytesStoreSupplier, PersistentStoreSupplier {}

function checkStoreName(name: string): void {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(name) || name === '.' || name === '..') {
    throw new ConfigError(`A store name must be letters, digits, '.', '_' or '-' (it names the changelog topic and a directory), got ${JSON.stringify(name)}.`);
  }
}

function checkDuration(store: string, option: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new ConfigError(`Option '${option}' of store '${store}' must be an integer number of milliseconds of at least ${minimum}, got ${String(value)}.`);
  }
}

/** Factories of LevelDB store suppliers. */
export const LevelStores = {
  /**
   * A key-value store on LevelDB: values on disk, keys also indexed in memory (up to
   * `indexMaxEntries`) for synchronous ranges.
   *
   * @param name - The store's name (letters, digits, `.`, `_`, `-`): its directory and its changelog topic.
   * @throws ConfigError when `name` has other characters or an option is out of range.
   */
  persistentKeyValueStore(name: string, options?: LevelStoreOptions): LevelKeyValueStoreSupplier {
    checkStoreName(name);
    const resolved = resolveLevelStoreOptions(name, options);
    return {
      kind: 'key-value',
      name,
      options: resolved,
      get: () => new LevelKeyValueBackend(name),
      prepare: (context) => prepareKeyValueStore(context, name, resolved),
      storePath: (context) => storePath(context, name),
    };
  },

  /**
   * A window store on LevelDB; windows expire as in `Stores.inMemoryWindowStore`, dropped a
   * segment at a time.
   *
   * @param name - The store's name (letters, digits, `.`, `_`, `-`).
   * @param retentionMs - In milliseconds: a window is kept while its start is within this of
   *   the latest window start written; at least `windowSizeMs` (a windowed aggregation uses
   *   window size plus grace).
   * @param windowSizeMs - The windows' size in milliseconds, 0 or more.
   * @param retainDuplicates - Keep every record put under the same key and window (a
   *   stream-stream join's buffer) instead of replacing it.
   * @throws ConfigError when the name has other characters, a duration is not an integer in range,
   *   or an option is out of range.
   */
  persistentWindowStore(name: string, retentionMs: number, windowSizeMs: number, retainDuplicates: boolean, options?: LevelStoreOptions): LevelWindowStoreSupplier {
    checkStoreName(name);
    checkDuration(name, 'windowSizeMs', windowSizeMs, 0);
    // As in Kafka (and the in-memory store), 0 is allowed: a zero-size join window with no grace keeps nothing.
    checkDuration(name, 'retentionMs', retentionMs, windowSizeMs);
    const resolved = resolveLevelStoreOptions(name, options);
    return {
      kind: 'window',
      name,
      retentionMs,
      windowSizeMs,
      retainDuplicates: retainDuplicates === true,
      options: resolved,
      get: () => new LevelWindowBackend(name, retentionMs),
      prepare: (context) => prepareWindowStore(context, name, retentionMs, resolved),
      storePath: (context) => storePath(context, name),
    };
  },

  /**
   * A session store on LevelDB; sessions expire as in `Stores.inMemorySessionStore`.
   *
   * @param name - The store's name (letters, digits, `.`, `_`, `-`).
   * @param retentionMs - In milliseconds: a session is kept while its end is within this of the
   *   latest session end written (a session aggregation uses inactivity gap plus grace); at least 1.
   * @throws ConfigError when the name has other characters, `retentionMs` is not a positive
   *   integer, or an option is out of range.
   */
  persistentSessionStore(name: string, retentionMs: number, options?: LevelStoreOptions): LevelSessionStoreSupplier {
    checkStoreName(name);
    checkDuration(name, 'retentionMs', retentionMs, 1);
    const resolved = resolveLevelStoreOptions(name, options);
    return {
      kind: 'session',
      name,
      retentionMs,
      options: resolved,
      get: () => new LevelSessionBackend(name, retentionMs),
      prepare: (context) => prepareSessionStore(context, name, retentionMs, resolved),
      storePath: (context) => storePath(context, name),
    };
  },

  /**
   * Suppliers that put every store the DSL creates on LevelDB, with `options` for each: pass them
   * to `new StreamsBuilder({ dslStoreSuppliers: LevelStores.dslStoreSuppliers() })`. Global tables
   * stay in memory (their topic is their changelog, and they open with no prepare step). A
   * key-value store the DSL scans in key order as it processes (a foreign-key join's
   * subscriptions, suppress's buffer, an outer join's waiting records) keeps its whole index
   * (`indexMaxEntries` defaults to `Infinity` for it, unless `options` sets one).
   */
  dslStoreSuppliers(options?: LevelStoreOptions): DslStoreSuppliers {
    const scanned: LevelStoreOptions = { ...options, indexMaxEntries: options?.indexMaxEntries ?? Number.POSITIVE_INFINITY };
    return {
      keyValueStore: (name, params) => LevelStores.persistentKeyValueStore(name, params?.orderedScans === true ? scanned : options),
      windowStore: (name, retentionMs, windowSizeMs, retainDuplicates) => LevelStores.persistentWindowStore(name, retentionMs, windowSizeMs, retainDuplicates, options),
      sessionStore: (name, retentionMs) => LevelStores.persistentSessionStore(name, retentionMs, options),
    };
  },

  /** Resolves once every store closed so far has released its LevelDB (a store's `close` is synchronous; this is its end). */
  closed(): Promise<void> {
    return allClosed();
  },

  /** Whether `supplier` is a LevelDB supplier (it needs `prepare` before its stores open). */
  isPersistent(supplier: unknown): supplier is PersistentStoreSupplier {
    return typeof supplier === 'object' && supplier !== null && typeof (supplier as Partial<PersistentStoreSupplier>).prepare === 'function';
  },
};
