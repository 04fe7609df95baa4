/**
 * The configuration every driver of the engine shares: the application id, default serdes,
 * event time and failure policy. Validated once, when a driver is built, with messages that name
 * the option.
 */
import { ConfigError } from './errors/streams-error.js';
import {
  logAndContinue,
  type DeserializationExceptionHandler,
  type ProcessingExceptionHandler,
  type ProductionExceptionHandler,
} from './errors/handlers.js';
import { consoleLogger, type Logger } from './logger.js';
import type { Serde } from './serde/serde.js';
import { recordingLevels, type RecordingLevel } from './metrics/metrics.js';
import { recordTimestampExtractor, type TimestampExtractor } from './processor/timestamp-extractor.js';

/** Configuration of a streams application, shared by the test driver, the embedded runner and Kafka. */
export interface StreamsConfig {
  /** Names the application: the consumer group, and the prefix of its internal topics. */
  readonly applicationId: string;
  /** The key serde of sources and sinks that name none. */
  readonly defaultKeySerde?: Serde<any>;
  /** The value serde of sources and sinks that name none. */
  readonly defaultValueSerde?: Serde<any>;
  /** Event time of sources that name no extractor. Defaults to the record's timestamp. */
  readonly defaultTimestampExtractor?: TimestampExtractor<any, any>;
  /** Records that cannot be deserialized. Defaults to log and continue. */
  readonly deserializationExceptionHandler?: DeserializationExceptionHandler;
  /** Records whose processing throws. Defaults to log and continue. */
  readonly processingExceptionHandler?: ProcessingExceptionHandler;
  /** Output records that cannot be serialized. Defaults to log and continue. */
  readonly productionExceptionHandler?: ProductionExceptionHandler;
  /** Where Tributary logs. Defaults to warnings and errors on the console. */
  readonly logger?: Logger;
  /**
   * The budget for record caches, in bytes (Kafka Streams' `statestore.cache.max.bytes`): divided
   * evenly among the caching stores of the running tasks, overriding the bounds their builders
   * set (`withCachingEnabled({ maxBytes })`, 10 MiB by default). `0` turns caching off: stores
   * are built without a cache, as Kafka Streams builds its DSL stores when
   * `statestore.cache.max.bytes=0`, so every update is forwarded and logged as it happens. When
   * absent, each store keeps its own bound. The test driver and the embedded runner honour it;
   * `KafkaStreams` defaults it to 10 MiB per application instance.
   */
  readonly cacheMaxBytes?: number;
  /**
   * Settings of your own, handed to processors (and stores) as `context.appConfigs` beside the
   * options above, as Kafka Streams hands its processors every config. Kafka Streams' internal
   * settings go here too (`'__emit.interval.ms.kstreams.outer.join.spurious.results.fix__'`).
   * Any other key of the config is a mistake, refused with the closest option's name.
   */
  readonly appConfigs?: Readonly<Record<string, unknown>>;
  /**
   * Which metrics are recorded, as Kafka's `metrics.recording.level`: `'INFO'` (the default) the
   * cheap ones, `'DEBUG'` and `'TRACE'` also the per-task process and lateness metrics and the
   * state store and record cache metrics, which time every store operation. See docs/operating.md.
   */
  readonly metricsRecordingLevel?: RecordingLevel;
  /**
   * The older format an upgraded application's topics may still hold, as Kafka Streams'
   * `upgrade.from`. Unset (the default), everything is read and written in Kafka Streams' formats
   * only. `'prefixed-changelogs'`: the changelogs of timestamped stores (tables, aggregations,
   * timestamped window stores) may hold records of a pre-0.1 Tributary build, which put the
   * value's 8-byte timestamp in front of it; a restore then takes a value that starts with its
   * own record timestamp for that format, and a new value that happens to start so is logged
   * with the header `tributary.changelog.bare` (which Kafka Streams ignores) to keep it apart.
   * Set it while the changelogs may hold such records, then remove it (see docs/running-on-kafka.md,
   * "Upgrading").
   */
  readonly upgradeFrom?: 'prefixed-changelogs';
  /**
   * How long a task with several input partitions (a join, a merge, several source topics) waits,
   * in wall-clock ms, for a partition it has no records of, as Kafka Streams'
   * `max.task.idle.ms` (KIP-695). It keeps the order of event time across the partitions: a task
   * processes the oldest buffered record first, which is only right when every partition has
   * records buffered. With some empty, a task always waits for records its driver knows are on
   * the broker but has not fetched yet; once every empty partition is known to be at its end, it
   * waits this long more for new records to be produced, then processes what it has (counted as
   * `enforced-processing`). `0` (the default) waits for records already on the broker but not for
   * new ones; `-1` never waits, processing whatever is buffered. Only `KafkaStreams` waits: the
   * test driver and the embedded runner hold all their input locally, so their tasks never wait.
   */
  readonly maxTaskIdleMs?: number;
}

/** The values of {@link StreamsConfig.upgradeFrom}. */
const upgradeFromValues: readonly (string | undefined)[] = [undefined, 'prefixed-changelogs'];

/** Every option of {@link StreamsConfig}, for the check of unknown keys (a misspelt option). */
export const streamsConfigOptions = [
  'applicationId',
  'defaultKeySerde',
  'defaultValueSerde',
  'defaultTimestampExtractor',
  'deserializationExceptionHandler',
  'processingExceptionHandler',
  'productionExceptionHandler',
  'logger',
  'cacheMaxBytes',
  'appConfigs',
  'metricsRecordingLevel',
  'upgradeFrom',
  'maxTaskIdleMs',
] as const satisfies ReadonlyArray<keyof StreamsConfig>;
// Fails to compile when an option of StreamsConfig is missing from the list.
const everyStreamsOption: [Exclude<keyof StreamsConfig, (typeof streamsConfigOptions)[number]>] extends [never] ? true : never = true;
void everyStreamsOption;

/** A configuration with every default filled in. */
export interface ResolvedStreamsConfig {
  /** Checked: letters, digits, `.`, `_` and `-` only, since it prefixes topic names. */
  readonly applicationId: string;
  /** Still `undefined` when not configured: a node with no serde of its own then fails when its task starts. */
  readonly defaultKeySerde: Serde<any> | undefined;
  /** Still `undefined` when not configured: a node with no serde of its own then fails when its task starts. */
  readonly defaultValueSerde: Serde<any> | undefined;
  /** The configured extractor, or `recordTimestampExtractor`. */
  readonly defaultTimestampExtractor: TimestampExtractor<any, any>;
  /** The configured handler, or `logAndContinue()`. */
  readonly deserializationExceptionHandler: DeserializationExceptionHandler;
  /** The configured handler, or `logAndContinue()`. */
  readonly processingExceptionHandler: ProcessingExceptionHandler;
  /** The configured handler, or `logAndContinue()`. */
  readonly productionExceptionHandler: ProductionExceptionHandler;
  /** The configured logger, or `consoleLogger`. */
  readonly logger: Logger;
  /** The configured cache budget, or `undefined`: then each store keeps its own bound. */
  readonly cacheMaxBytes: number | undefined;
  /** The configured recording level, or `'INFO'`. */
  readonly metricsRecordingLevel: RecordingLevel;
  /** The configured older format, or `undefined`: Kafka Streams' formats only. */
  readonly upgradeFrom: 'prefixed-changelogs' | undefined;
  /** The configured wait for empty input partitions, ms, or `0`; `-1` never waits. */
  readonly maxTaskIdleMs: number;
  /** The options as given, with the entries of their `appConfigs` beside them: what processors see as `context.appConfigs`. */
  readonly appConfigs: Readonly<Record<string, unknown>>;
}

const applicationIdPattern = /^[a-zA-Z0-9._-]+$/;

function checkFunction(config: StreamsConfig, option: keyof StreamsConfig): void {
  const value = config[option];
  if (value !== undefined && typeof value !== 'function') {
    throw new ConfigError(`Option '${String(option)}' must be a function, got ${typeof value}.`);
  }
}

function checkSerde(config: StreamsConfig, option: 'defaultKeySerde' | 'defaultValueSerde'): void {
  const serde = config[option];
  if (serde === undefined) return;
  if (typeof serde !== 'object' || serde === null || typeof serde.serialize !== 'function' || typeof serde.deserialize !== 'function') {
    throw new ConfigError(`Option '${option}' must be a Serde (an object with serialize and deserialize), for example Serdes.String().`);
  }
}

/** The edit distance of two option names, case ignored (a misspelling is a few edits away). */
function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/**
 * Refuses a key of `config` that is not one of `known` (a misspelt option, which TypeScript
 * catches but JavaScript does not), naming the closest known option. `what` names the config in
 * the message, as in "Unknown KafkaStreams option".
 */
export function checkKnownOptions(config: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(config)) {
    if (known.includes(key)) continue;
    let closest = known[0]!;
    for (const option of known) if (editDistance(key, option) < editDistance(key, closest)) closest = option;
    const likely = editDistance(key, closest) <= Math.max(2, Math.floor(closest.length / 3));
    throw new ConfigError(
      `Unknown ${what} option '${key}'${likely ? `; did you mean '${closest}'?` : '.'} The options are ${known.map((option) => `'${option}'`).join(', ')}; put settings of your own for processors in 'appConfigs'.`,
    );
  }
}

/**
 * Checks a configuration and fills in its defaults. Throws {@link ConfigError} naming the bad
 * option, or the closest one for a key that is no option. `driverOptions`: the options a driver
 * adds to the config it passes (KafkaStreams' `bootstrapServers`, ...), named `what` in messages.
 */
export function resolveStreamsConfig(config: StreamsConfig, driverOptions: readonly string[] = [], what = 'streams config'): ResolvedStreamsConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError('The streams configuration must be an object with at least an applicationId.');
  }
  checkKnownOptions(config, [...streamsConfigOptions, ...driverOptions], what);
  const { appConfigs: ownSettings, ...options } = config;
  if (ownSettings !== undefined && (typeof ownSettings !== 'object' || ownSettings === null || Array.isArray(ownSettings))) {
    throw new ConfigError(`Option 'appConfigs' must be an object of settings for processors, got ${Array.isArray(ownSettings) ? 'an array' : String(ownSettings)}.`);
  }
  const { applicationId } = config;
  if (typeof applicationId !== 'string' || !applicationIdPattern.test(applicationId)) {
    throw new ConfigError(
      `Option 'applicationId' must be a non-empty string of letters, digits, '.', '_' or '-' (it prefixes topic names), got ${JSON.stringify(applicationId)}.`,
    );
  }
  checkSerde(config, 'defaultKeySerde');
  checkSerde(config, 'defaultValueSerde');
  checkFunction(config, 'defaultTimestampExtractor');
  checkFunction(config, 'deserializationExceptionHandler');
  checkFunction(config, 'processingExceptionHandler');
  checkFunction(config, 'productionExceptionHandler');
  if (config.logger === null || (config.logger !== undefined && typeof config.logger !== 'object')) {
    throw new ConfigError("Option 'logger' must be an object with debug, info, warn and error methods; to log nothing, use silentLogger.");
  }
  const logger = config.logger ?? consoleLogger;
  const { cacheMaxBytes } = config;
  if (cacheMaxBytes !== undefined && (typeof cacheMaxBytes !== 'number' || !Number.isSafeInteger(cacheMaxBytes) || cacheMaxBytes < 0)) {
    throw new ConfigError(`Option 'cacheMaxBytes' must be a non-negative integer number of bytes (0 turns the record caches into write-through), got ${String(cacheMaxBytes)}.`);
  }
  const metricsRecordingLevel = config.metricsRecordingLevel ?? 'INFO';
  if (!recordingLevels.includes(metricsRecordingLevel)) {
    throw new ConfigError(`Option 'metricsRecordingLevel' must be 'INFO', 'DEBUG' or 'TRACE' (Kafka's metrics.recording.level), got ${JSON.stringify(metricsRecordingLevel)}.`);
  }
  const { upgradeFrom } = config;
  if (!upgradeFromValues.includes(upgradeFrom as string | undefined)) {
    throw new ConfigError(
      `Option 'upgradeFrom' must be 'prefixed-changelogs' (while changelogs may hold records of a pre-0.1 Tributary build) or absent (Kafka Streams' formats only), got ${JSON.stringify(upgradeFrom)}.`,
    );
  }
  const maxTaskIdleMs = config.maxTaskIdleMs ?? 0;
  if (typeof maxTaskIdleMs !== 'number' || !Number.isSafeInteger(maxTaskIdleMs) || maxTaskIdleMs < -1) {
    throw new ConfigError(
      `Option 'maxTaskIdleMs' must be an integer number of milliseconds, 0 or more (0, the default, waits only for records already on the broker), or -1 (never wait, process whatever is buffered), got ${String(maxTaskIdleMs)}.`,
    );
  }
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    if (typeof logger[level] !== 'function') throw new ConfigError(`Option 'logger' must have a '${level}' method.`);
  }
  const fallback = logAndContinue();
  return {
    applicationId,
    defaultKeySerde: config.defaultKeySerde,
    defaultValueSerde: config.defaultValueSerde,
    defaultTimestampExtractor: config.defaultTimestampExtractor ?? recordTimestampExtractor,
    deserializationExceptionHandler: config.deserializationExceptionHandler ?? fallback,
    processingExceptionHandler: config.processingExceptionHandler ?? fallback,
    productionExceptionHandler: config.productionExceptionHandler ?? fallback,
    logger,
    cacheMaxBytes,
    metricsRecordingLevel,
    upgradeFrom,
    maxTaskIdleMs,
    appConfigs: { ...options, ...ownSettings },
  };
}
