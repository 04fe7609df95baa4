/** Options of the embedded runner, validated once at start with messages that name the option. */
import { ConfigError } from '../errors/streams-error.js';

/** How often the embedded runner commits when none is given, ms (Kafka Streams' `commit.interval.ms` under at-least-once is 30 s; a local run wants fresher views). */
export const DEFAULT_EMBEDDED_COMMIT_INTERVAL_MS = 1000;

/** Options of `EmbeddedRunner.start`, beyond the streams config. */
export interface EmbeddedRunnerOptions {
  /**
   * Directory for persistent stores (LevelDB from `@tributary/level`). Required when the topology
   * has any; a later run with the same directory reopens the stores with their data, as of
   * their last completed commit (also after a crash).
   */
  readonly stateDir?: string;
  /**
   * Milliseconds between commits: stores are flushed (forwarding their cached updates) and
   * persistent ones written to disk at this interval, and at `commit()` and `close()` (their
   * checkpoint files as Kafka Streams writes them: every 10,000 changelog records, and at
   * close). Defaults to {@link DEFAULT_EMBEDDED_COMMIT_INTERVAL_MS}.
   */
  readonly commitIntervalMs?: number;
}

/** {@link EmbeddedRunnerOptions} with defaults filled in. */
export interface ResolvedEmbeddedRunnerOptions {
  readonly stateDir: string | undefined;
  readonly commitIntervalMs: number;
}

const knownOptions = new Set(['stateDir', 'commitIntervalMs']);

/** Validates `options`, throwing a {@link ConfigError} that names the first bad option. */
export function resolveEmbeddedRunnerOptions(options: EmbeddedRunnerOptions | undefined): ResolvedEmbeddedRunnerOptions {
  const given: EmbeddedRunnerOptions = options ?? {};
  if (typeof given !== 'object' || given === null) throw new ConfigError(`EmbeddedRunner options must be an object, got ${String(given)}.`);
  for (const name of Object.keys(given)) {
    if (!knownOptions.has(name)) throw new ConfigError(`Unknown EmbeddedRunner option '${name}'; the options are ${[...knownOptions].map((known) => `'${known}'`).join(', ')}.`);
  }
  const { stateDir, commitIntervalMs } = given;
  if (stateDir !== undefined && (typeof stateDir !== 'string' || stateDir.length === 0)) {
    throw new ConfigError(`EmbeddedRunner option 'stateDir' must be a non-empty directory path, got ${JSON.stringify(stateDir)}.`);
  }
  if (commitIntervalMs !== undefined && (typeof commitIntervalMs !== 'number' || !Number.isSafeInteger(commitIntervalMs) || commitIntervalMs < 1)) {
    throw new ConfigError(`EmbeddedRunner option 'commitIntervalMs' must be a whole number of milliseconds of at least 1, got ${String(commitIntervalMs)}.`);
  }
  return { stateDir, commitIntervalMs: commitIntervalMs ?? DEFAULT_EMBEDDED_COMMIT_INTERVAL_MS };
}
