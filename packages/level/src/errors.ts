/**
 * The errors of `@tributary/level`: one class per failure, each a `StreamsError` with a stable
 * `code`, naming the store's directory and the fix.
 */
import { StreamsError, type StreamsErrorOptions } from '@tributary/streams';

/** The task has no usable state directory: none configured, missing, or not writable. */
export class StateDirectoryError extends StreamsError {
  /**
   * Tributary throws it with code `LEVEL_STATE_DIR_MISSING` or `LEVEL_STATE_DIR_NOT_WRITABLE`;
   * `message` says what failed and how to fix it, `options.cause` is the error underneath, if any.
   */
  constructor(
    code: 'LEVEL_STATE_DIR_MISSING' | 'LEVEL_STATE_DIR_NOT_WRITABLE',
    message: string,
    /** The directory at fault. */
    readonly path: string | undefined,
    options?: StreamsErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** A store's LevelDB directory is locked: another process (or store in this one) has it open. */
export class StoreLockedError extends StreamsError {
  /**
   * Tributary throws it with code `LEVEL_STORE_LOCKED`; `message` says what failed and how to fix
   * it, `options.cause` is the error underneath, if any.
   */
  constructor(
    message: string,
    /** The locked store directory, `<stateDir>/<applicationId>/<taskId>/<store>`. */
    readonly path: string,
    options?: StreamsErrorOptions,
  ) {
    super('LEVEL_STORE_LOCKED', message, options);
  }
}

/** A store's files are corrupt or of another store kind; its data is never served. */
export class StoreCorruptError extends StreamsError {
  /**
   * Tributary throws it with code `LEVEL_STORE_CORRUPT`; `message` says what failed and how to fix
   * it, `options.cause` is the error underneath, if any.
   */
  constructor(
    message: string,
    /** The store directory whose files are unreadable; delete it and the store restores from its changelog. */
    readonly path: string,
    options?: StreamsErrorOptions,
  ) {
    super('LEVEL_STORE_CORRUPT', message, options);
  }
}

/** A LevelDB store was initialized before its database was opened with `supplier.prepare(context)`. */
export class StoreNotPreparedError extends StreamsError {
  /**
   * Tributary throws it with code `LEVEL_STORE_NOT_PREPARED`; `message` says what failed and how to
   * fix it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('LEVEL_STORE_NOT_PREPARED', message, options);
  }
}

/** LevelDB refused a write, a flush or a checkpoint (disk full, I/O error). */
export class StoreWriteError extends StreamsError {
  /**
   * Tributary throws it with code `LEVEL_STORE_WRITE_FAILED`; `message` says what failed and how to
   * fix it, `options.cause` is the error underneath, if any.
   */
  constructor(
    message: string,
    /** The store directory LevelDB could not write to. */
    readonly path: string,
    options?: StreamsErrorOptions,
  ) {
    super('LEVEL_STORE_WRITE_FAILED', message, options);
  }
}

/**
 * A key-value store's `range`/`all`, or a window or session store's `fetchAll`/`all`, on a
 * LevelDB store whose in-memory index was dropped because the store outgrew `indexMaxEntries`.
 */
export class StoreIndexFullError extends StreamsError {
  /**
   * Tributary throws it with code `LEVEL_STORE_INDEX_FULL`; `message` says what failed and how to
   * fix it, `options.cause` is the error underneath, if any.
   */
  constructor(
    message: string,
    /** The directory of the store that outgrew its index. */
    readonly path: string,
    options?: StreamsErrorOptions,
  ) {
    super('LEVEL_STORE_INDEX_FULL', message, options);
  }
}
