/**
 * The errors Tributary throws. One root, {@link StreamsError}; one class per failure, each with a
 * stable `code`, the `cause` when there is one, and the fix in its message. `isInstance` checks a
 * brand rather than the prototype chain, so it holds across duplicate installs of the package.
 */

const brand = Symbol.for('tributary.error');

/** Options every Tributary error takes. */
export interface StreamsErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
}

/** The root of every error Tributary throws. */
export class StreamsError extends Error {
  private readonly [brand] = true;
  /** A stable identifier for this kind of failure, safe to match on. */
  readonly code: string;

  /**
   * For a failure of your own: `code` is a stable identifier to match on (`MY_APP_...`), `message`
   * says what failed and how to fix it, `options.cause` is the error underneath.
   */
  constructor(code: string, message: string, options: StreamsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }

  /** Whether `value` is a Tributary error, even one from another copy of this package. */
  static isInstance(value: unknown): value is StreamsError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** A topology that cannot be built or run as described: a missing parent, a duplicate name, an unknown store. */
export class TopologyError extends StreamsError {
  /**
   * Tributary throws it with code `TOPOLOGY_INVALID`; `message` says what failed and how to fix it,
   * `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('TOPOLOGY_INVALID', message, options);
  }
}

/** An option or configuration value that is missing or out of range. The message names the option. */
export class ConfigError extends StreamsError {
  /**
   * Tributary throws it with code `CONFIG_INVALID`; `message` says what failed and how to fix it,
   * `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Bytes that a deserializer could not turn into a value. */
export class DeserializationError extends StreamsError {
  /**
   * Tributary throws it with code `DESERIALIZATION_FAILED`; `message` says what failed and how to
   * fix it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('DESERIALIZATION_FAILED', message, options);
  }
}

/** A value that a serializer could not turn into bytes. */
export class SerializationError extends StreamsError {
  /**
   * Tributary throws it with code `SERIALIZATION_FAILED`; `message` says what failed and how to fix
   * it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('SERIALIZATION_FAILED', message, options);
  }
}

/** A record whose processing threw, when the processing handler chose to fail. */
export class ProcessingError extends StreamsError {
  /**
   * Tributary throws it with code `PROCESSING_FAILED`; `message` says what failed and how to fix it,
   * `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('PROCESSING_FAILED', message, options);
  }
}

/**
 * A suppression buffer bounded with the `'shut-down'` strategy grew past its bound. Thrown by the
 * suppress processor, so it goes to the processing exception handler, as Kafka Streams 3.9 routes
 * its StreamsException (KIP-1033): `logAndFail()` stops the task; `logAndContinue()` (Tributary's
 * default) logs it and goes on, with the record kept in the buffer, still over its bound.
 */
export class SuppressionBufferFullError extends StreamsError {
  /**
   * The suppress processor throws it with code `SUPPRESSION_BUFFER_FULL`; `message` names the
   * suppression, its size and bounds, and how to fix it; `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('SUPPRESSION_BUFFER_FULL', message, options);
  }
}

/** A state store used in a way its contract forbids: closed, not connected, or of the wrong kind. */
export class StateStoreError extends StreamsError {
  /**
   * Tributary throws it with code `STATE_STORE_INVALID`; `message` says what failed and how to fix
   * it, `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('STATE_STORE_INVALID', message, options);
  }
}

/**
 * A record whose event time cannot be used: the timestamp extractor returned a negative or
 * non-numeric time, or rejected the record (as `boundedTimestampExtractor` does for one
 * stamped too far ahead of the wall clock). The record goes to the deserialization handler, so
 * a dead-letter handler keeps it; it never reaches a processor or moves stream time.
 */
export class InvalidTimestampError extends StreamsError {
  /**
   * Tributary throws it with code `INVALID_TIMESTAMP`; `message` says what failed and how to fix it,
   * `options.cause` is the error underneath, if any.
   */
  constructor(message: string, options?: StreamsErrorOptions) {
    super('INVALID_TIMESTAMP', message, options);
  }
}
