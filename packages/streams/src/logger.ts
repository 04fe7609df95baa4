/**
 * The logging seam. Tributary logs through this interface so an app can route its messages to
 * pino, winston or a test spy; the default writes warnings and errors to the console.
 */

/** What Tributary logs through. Extra fields are structured context, never secrets. */
export interface Logger {
  /** Detail that is normal but worth tracing, such as a client retry of a routine condition. Can be frequent. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Lifecycle progress: internal topics created, changelogs restored, global stores loaded. */
  info(message: string, fields?: Record<string, unknown>): void;
  /**
   * A record skipped or diverted: a failed record under a continue or dead-letter handler, and,
   * at most once per task and reason every 10 s with the count since the last one, records
   * dropped as late, for a null key or value, or written to an expired window.
   */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure that stops processing, logged just before the error is thrown. */
  error(message: string, fields?: Record<string, unknown>): void;
}

const ignore = (): void => {};

/** Logs warnings and errors to the console; drops debug and info. */
export const consoleLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: (message, fields) => console.warn(`[tributary] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[tributary] ${message}`, fields ?? ''),
};

/** Logs nothing. For tests and benchmarks that assert on counters instead. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
