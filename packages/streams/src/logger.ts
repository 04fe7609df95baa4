/**
 * The logging seam. Tributary logs through this interface so an app can route its messages to
 * pino, winston or a test spy; the default writes warnings and errors to the console.
 */

/** What Tributary logs through. Extra fields are structured context, never secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
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
