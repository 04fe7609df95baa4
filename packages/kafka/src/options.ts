/**
 * The options of {@link KafkaStreams}: their types, their defaults, and their validation, done
 * once at construction with messages that name the option. Secrets in the kafkajs client options
 * (SASL passwords and keys, TLS keys and passphrases) are collected here so that every log line
 * and error the runtime emits can be scrubbed of them.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import type { KafkaConfig } from 'kafkajs';
import type { KafkaClientSupplier } from './client/kafka-client.js';
import { DEFAULT_KAFKAJS_FETCH_SIZES, type KafkajsFetchSizes } from './client/internal/kafkajs-consumer.js';
import { ConfigError, DEFAULT_DEAD_LETTER_MAX_BYTES, type Logger, type StreamsConfig } from '@tributary/streams';
import { checkKnownOptions, resolveStreamsConfig, streamsConfigOptions, type ResolvedStreamsConfig } from '@tributary/streams/engine';

/**
 * The processing guarantees: `'at_least_once'` (the default); `'exactly_once'`, Kafka
 * transactions with one transactional producer per task (Kafka Streams' original exactly-once,
 * on any client); `'exactly_once_v2'`, Kafka transactions with one transactional producer per
 * stream thread (Kafka Streams' `exactly_once_v2`, KIP-447), which needs a client whose
 * transactional offset commits carry the group's generation
 * ({@link KafkaClientSupplier.groupFencedOffsetCommits}: `@tributary/kafka/platformatic`, not kafkajs).
 */
export type ProcessingGuarantee = 'at_least_once' | 'exactly_once' | 'exactly_once_v2';

/** Consumer-group timings, in milliseconds (kafkajs' consumer options of the same meaning), and the kafkajs client's fetch sizes. */
export interface KafkaStreamsConsumerOptions {
  /**
   * How long the group waits for a silent member before it moves its tasks. Default 10000: a
   * crashed instance's tasks resume elsewhere about this long after the crash (Kafka Streams'
   * 45000 would put recovery past the 30-second target). The brokers' minimum is 6000.
   */
  readonly sessionTimeoutMs?: number;
  /** How often a member tells the group it is alive; below a third of the session timeout. Default 3000. */
  readonly heartbeatIntervalMs?: number;
  /** How long a rebalance waits for every member to rejoin. Default 60000 (kafkajs), or the session timeout if longer. */
  readonly rebalanceTimeoutMs?: number;
  /**
   * The most record bytes of one partition a fetch of the kafkajs client brings (Kafka's
   * `max.partition.fetch.bytes`). Default 131072 (128 KiB), an eighth of kafkajs' and Kafka's 1
   * MiB: kafkajs decodes a fetch whole into objects, about 2 KB of heap a record, held until the
   * thread has processed them, so this bounds fetched data in memory. A record batch larger than
   * it still comes, alone. With `client` set, give the client its own (`platformaticClient`'s
   * `partitionFetchMaxBytes`).
   */
  readonly partitionFetchMaxBytes?: number;
  /** The most record bytes a fetch of the kafkajs client brings over all its partitions (Kafka's `fetch.max.bytes`). Default 4194304 (4 MiB). With `client` set, give the client its own. */
  readonly fetchMaxBytes?: number;
}

/** The options of a {@link KafkaStreams} application: the streams config plus how to reach Kafka. */
export interface KafkaStreamsOptions extends StreamsConfig {
  /** Names the application: the consumer group id, and the prefix of its internal topics. */
  readonly applicationId: string;
  /** The brokers to bootstrap from: `'host:port'`, a comma-separated list, or an array. */
  readonly bootstrapServers: string | readonly string[];
  /**
   * Where persistent stores keep their data, under `<stateDir>/<applicationId>`, with the
   * instance's process id (`kafka-streams-process-metadata`), kept across restarts. Default
   * `os.tmpdir()/tributary`.
   */
  readonly stateDir?: string;
  /**
   * `'at_least_once'` (the default): outputs are acknowledged before offsets are committed, so a
   * crash can repeat records but never lose them. `'exactly_once'`: each task's outputs,
   * changelog writes and consumed offsets commit in one Kafka transaction of its own (a
   * transactional producer per task, `<applicationId>-<taskId>`, which fences the task's previous
   * owner), and consumers read committed data only; works on every client. `'exactly_once_v2'`:
   * the same guarantee with one transactional producer per stream thread
   * (`<applicationId>-<processId>-<threadIndex>`, the process id kept in `stateDir` when the
   * topology has persistent stores, so a restarted instance fences its dead self's open
   * transaction): all its tasks commit in one transaction, whose
   * offsets carry the consumer group's generation and member id, so the group coordinator fences
   * a zombie (KIP-447) — one commit per interval per thread instead of one per task. It needs
   * the `@tributary/kafka/platformatic` client (Node >= 22.22): with kafkajs the constructor
   * throws a `ConfigError`. See [Running on Kafka](../../../docs/running-on-kafka.md#exactly-once).
   */
  readonly processingGuarantee?: ProcessingGuarantee;
  /**
   * How often offsets are committed, in milliseconds. Default 1000 under at-least-once — not Kafka
   * Streams' 30000, because caches forward their updates at each commit, so the interval bounds
   * the end-to-end latency of cached aggregations (records themselves are sent as they are
   * produced, with a 5 ms linger, and each commit waits for their acknowledgements). Default 100
   * under exactly-once, as in Kafka Streams: outputs are visible to read-committed consumers only
   * once their transaction commits.
   */
  readonly commitIntervalMs?: number;
  /**
   * How far a task's changelogs move, in records (summed over its stores' changelog partitions),
   * before a commit also checkpoints its LevelDB stores: writes each store's `.checkpoint` and
   * syncs its files to disk. Default {@link DEFAULT_CHECKPOINT_THRESHOLD_RECORDS} (10,000, Kafka
   * Streams' fixed `OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT`); `0` checkpoints at every commit
   * that wrote anything. Every commit still sends the stores' changelog records and commits the
   * offsets, and the stores' files never hold an uncommitted write; a revoke, a rebalance and a
   * close always checkpoint. A larger value makes commits cheaper and the restore after a crash
   * longer: it replays the changelog from the last checkpoint (up to about this many records per
   * task). See [Running on Kafka](../../../docs/running-on-kafka.md#checkpoints).
   */
  readonly checkpointThresholdRecords?: number;
  /**
   * The application-wide budget for record caches, in bytes (Kafka's `statestore.cache.max.bytes`):
   * divided evenly among the caching store instances of this instance's tasks, and divided again
   * at every rebalance. It overrides the per-store bounds of `withCachingEnabled`; `0` builds the
   * stores without caches, as Kafka Streams does. Default 10 MiB ({@link DEFAULT_INSTANCE_CACHE_MAX_BYTES}) per application instance.
   */
  readonly cacheMaxBytes?: number;
  /**
   * The most bytes a dead letter may take (key, value and headers). A dead letter must always
   * land, so a larger one (the copy of a near-1 MB bad record plus its error headers, say) has
   * its value, then its key, truncated, with `__streams.errors.truncated` and the original sizes
   * in its headers (see `fitDeadLetter`). It applies to every record sent with the
   * `__streams.errors.exception` header: the handlers' dead letters and a topology's own. Default
   * {@link DEFAULT_DEAD_LETTER_MAX_BYTES}, under the brokers' default `message.max.bytes`
   * (1,048,588); set it below your brokers' `message.max.bytes` or the dead-letter topic's
   * `max.message.bytes` when either is smaller.
   */
  readonly deadLetterMaxBytes?: number;
  /** Not an option: internal topics take their partition counts from the topics that feed them. */
  readonly numPartitionsForInternalTopics?: never;
  /** kafkajs client options passed through: `ssl`, `sasl`, `clientId`, `retry`, `logLevel`, `connectionTimeout`, ... */
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  /**
   * Makes the Kafka clients (consumers, producers, admin) the runtime uses, as Kafka Streams'
   * `KafkaClientSupplier`. Default: kafkajs clients built from {@link kafka} and
   * {@link bootstrapServers}. A supplier of your own replaces them all, and `kafka` is then not
   * read; see [Running on Kafka](../../../docs/running-on-kafka.md#kafka-clients). With
   * {@link numStreamThreads} above 1, each worker gets its supplier from the thread module's
   * `createOptions()`.
   */
  readonly client?: KafkaClientSupplier;
  /**
   * Consumer-group timings: how soon a crashed instance's tasks move to another (session
   * timeout, default 10 s) and how long a rebalance waits for members; and how many record bytes
   * a fetch of the kafkajs client brings (128 KiB a partition by default).
   */
  readonly consumer?: KafkaStreamsConsumerOptions;
  /**
   * How many stream threads this instance runs, 1 to 64. Default 1, on the calling thread. Above
   * 1, each runs in a worker thread as a member of the consumer group with its own tasks, and
   * {@link threadModule} must be set.
   */
  readonly numStreamThreads?: number;
  /**
   * The ES module (a file path or `file:` URL) each worker thread imports when
   * {@link numStreamThreads} is above 1, since functions and topologies cannot be sent to a
   * worker. It exports `createTopology()` and, when these options hold functions (handlers,
   * serdes, `kafka.logCreator`), `createOptions()`: see {@link StreamThreadModule}.
   */
  readonly threadModule?: string | URL;
  /**
   * How many standby replicas each task has, 0 (the default) or more: warm copies of the task's
   * persistent stores on other application instances, kept up to date from the changelog, so a
   * task that fails over restores only the tail its standby had not read. In-memory stores are
   * restored in full either way.
   */
  readonly numStandbyReplicas?: number;
  /**
   * This instance's endpoint for interactive queries, `'host:port'`, as Kafka Streams'
   * `application.server`: carried in the consumer group subscription, so that after each
   * rebalance every instance knows which instance holds which store partitions (see
   * `KafkaStreams.queryMetadataForKey`). Not set by default: the instance then takes part in no
   * metadata, and other instances cannot forward queries to it. The HTTP layer
   * (`@tributary/kafka/http`) serves queries on it.
   */
  readonly applicationServer?: string;
  /**
   * How many replicas `start()` gives the internal topics it creates (changelogs and repartition
   * topics), as Kafka Streams' `replication.factor`: -1 (the default) takes the brokers'
   * `default.replication.factor`; otherwise 1 or more, at most the number of brokers. Three, with
   * the topics' `min.insync.replicas` at 2 (a broker setting), keep the application's state and
   * its exactly-once transactions through the loss of a broker. Existing topics keep theirs.
   */
  readonly replicationFactor?: number;
}

/** The options {@link KafkaStreamsOptions} adds to the streams config, for the check of unknown keys. */
const kafkaStreamsOptionNames = [
  'bootstrapServers',
  'stateDir',
  'processingGuarantee',
  'commitIntervalMs',
  'checkpointThresholdRecords',
  'deadLetterMaxBytes',
  'numPartitionsForInternalTopics',
  'kafka',
  'client',
  'consumer',
  'numStreamThreads',
  'threadModule',
  'numStandbyReplicas',
  'applicationServer',
  'replicationFactor',
] as const satisfies ReadonlyArray<keyof KafkaStreamsOptions>;
// Fails to compile when an option of KafkaStreamsOptions is in neither list.
const everyKafkaStreamsOption: [Exclude<keyof KafkaStreamsOptions, (typeof kafkaStreamsOptionNames)[number] | keyof StreamsConfig>] extends [never] ? true : never = true;
void everyKafkaStreamsOption;

/** Given to a {@link StreamThreadModule}'s functions in each worker thread. */
export interface StreamThreadContext {
  /** The thread's number, from 1. */
  readonly threadIndex: number;
  /** The options given on the main thread, without the fields that cannot cross to a worker. */
  readonly options: KafkaStreamsOptions;
}

/** What a {@link KafkaStreamsOptions.threadModule} exports. */
export interface StreamThreadModule {
  /** Builds the thread's topology: the same one the main thread was given. */
  createTopology(context: StreamThreadContext): unknown;
  /** Options that override the cloneable ones: how a worker gets handlers, serdes, a logger or `kafka.logCreator`. */
  createOptions?(context: StreamThreadContext): Partial<KafkaStreamsOptions> | Promise<Partial<KafkaStreamsOptions>>;
}

/** Options with every default filled in. */
export interface ResolvedKafkaStreamsOptions {
  readonly applicationId: string;
  readonly brokers: string[];
  readonly stateDir: string;
  readonly processingGuarantee: ProcessingGuarantee;
  readonly commitIntervalMs: number;
  /** How many changelog records a task's stores take before a commit checkpoints them. */
  readonly checkpointThresholdRecords: number;
  /** The cache budget shared by the tasks' caching stores. */
  readonly cacheMaxBytes: number;
  readonly deadLetterMaxBytes: number;
  readonly numStandbyReplicas: number;
  /** Of the internal topics `start()` creates; -1 is the brokers' default. */
  readonly replicationFactor: number;
  readonly kafka: Omit<KafkaConfig, 'brokers'>;
  /** The option `client`; `undefined`: the kafkajs supplier. */
  readonly client: KafkaClientSupplier | undefined;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  /** The kafkajs client's fetch sizes (`consumer.partitionFetchMaxBytes` and `consumer.fetchMaxBytes`, defaulted). */
  readonly fetchSizes: KafkajsFetchSizes;
  /** The engine's config; its logger scrubs secrets and its `appConfigs` hold none. */
  readonly streams: ResolvedStreamsConfig;
  /** The secret strings found in the client options, longest first. */
  readonly secrets: readonly string[];
  /** 1 runs the stream thread on the calling thread; more run each in a worker thread. */
  readonly numStreamThreads: number;
  /** The `file:` URL of the thread module, when `numStreamThreads` is above 1. */
  readonly threadModule: string | undefined;
  /** This instance's `host:port` for interactive queries, when set. */
  readonly applicationServer: string | undefined;
}

/**
 * The default `commitIntervalMs` under at-least-once: 1000 ms (Kafka Streams has 30000 ms, but
 * here output is sent at commits, so the interval bounds the latency).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 1000;
/**
 * The default `checkpointThresholdRecords`: a task's stores are checkpointed once their changelogs
 * moved by more than 10,000 records since their last checkpoint, as Kafka Streams does.
 */
export const DEFAULT_CHECKPOINT_THRESHOLD_RECORDS = 10_000;
/** The default commit interval under exactly-once. */
const DEFAULT_EOS_COMMIT_INTERVAL_MS = 100;
/**
 * The default record-cache budget of one `KafkaStreams` instance, shared by all its tasks' caching
 * stores: 10 MiB, as Kafka Streams' `statestore.cache.max.bytes`. Not a per-store bound: that is
 * `DEFAULT_STORE_CACHE_MAX_BYTES` of `@tributary/streams`, which this budget overrides.
 */
export const DEFAULT_INSTANCE_CACHE_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 3000;
const DEFAULT_REBALANCE_TIMEOUT_MS = 60_000;

const REDACTED = '[redacted]';
/** Option paths (under `kafka`) whose values are secrets. */
const secretSaslFields = ['password', 'secretAccessKey', 'sessionToken', 'accessKeyId', 'authorizationIdentity', 'token'];
const secretSslFields = ['key', 'passphrase', 'pfx', 'cert'];
/** The SASL mechanisms kafkajs supports (compared case-insensitively). */
const saslMechanisms: readonly string[] = ['plain', 'scram-sha-256', 'scram-sha-512', 'aws', 'oauthbearer'];
const MAX_STREAM_THREADS = 64;
/** A URL's scheme; two letters at least, so a Windows drive (`C:\\`) reads as a path. */
const urlSchemePattern = /^[a-z][a-z0-9+.-]+:/i;
const consumerOptionNames = new Set(['sessionTimeoutMs', 'heartbeatIntervalMs', 'rebalanceTimeoutMs', 'partitionFetchMaxBytes', 'fetchMaxBytes']);
/** Fetch sizes are Kafka INT32s. */
const INT32_MAX = 2 ** 31 - 1;
const hostPortPattern = /^(\[[0-9a-fA-F:]+\]|[^\s:,/]+):(\d{1,5})$/;

function fail(message: string): never {
  throw new ConfigError(message);
}

function checkInteger(value: unknown, option: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(`Option '${option}' must be an integer of at least ${min}, got ${typeof value === 'number' ? value : typeof value}.`);
  }
  return value;
}

/** The brokers' default, as Kafka Streams' `replication.factor` of -1. */
const DEFAULT_REPLICATION_FACTOR = -1;

function checkReplicationFactor(value: unknown): number {
  if (value === undefined) return DEFAULT_REPLICATION_FACTOR;
  if (typeof value !== 'number' || !Number.isInteger(value) || (value < 1 && value !== -1)) {
    fail(`Option 'replicationFactor' must be -1 (the brokers' default.replication.factor) or a whole number of at least 1 (at most the number of brokers), got ${typeof value === 'number' ? value : typeof value}.`);
  }
  return value;
}

function parseBrokers(value: unknown): string[] {
  let brokers: unknown[];
  if (typeof value === 'string') brokers = value.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  else if (Array.isArray(value)) brokers = value;
  else fail(`Option 'bootstrapServers' must be 'host:port', a comma-separated list of them, or an array of them; got ${value === undefined ? 'nothing' : typeof value}.`);
  if (brokers.length === 0) fail("Option 'bootstrapServers' must name at least one broker as 'host:port'.");
  for (const broker of brokers) {
    const match = typeof broker === 'string' ? hostPortPattern.exec(broker) : null;
    const port = match === null ? 0 : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      fail(`Option 'bootstrapServers' has ${JSON.stringify(broker)}, which is not 'host:port' (for example '127.0.0.1:9092').`);
    }
  }
  return brokers as string[];
}

/** Every secret string in kafkajs client options (`sasl` and `ssl`), longest first. */
export function collectSecrets(kafka: Omit<KafkaConfig, 'brokers'> | undefined): string[] {
  const secrets = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= 3) secrets.add(value);
    else if (Buffer.isBuffer(value) && value.length >= 3) secrets.add(value.toString('utf8'));
    else if (Array.isArray(value)) for (const item of value) add(item);
    else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
      // Node's TLS options allow { pem, passphrase } objects inside `key` and `pfx`.
      for (const nested of Object.values(value as Record<string, unknown>)) add(nested);
    }
  };
  const sasl = kafka?.sasl as Record<string, unknown> | undefined;
  if (typeof sasl === 'object' && sasl !== null) for (const field of secretSaslFields) add(sasl[field]);
  const ssl = kafka?.ssl as Record<string, unknown> | boolean | undefined;
  if (typeof ssl === 'object' && ssl !== null) for (const field of secretSslFields) add(ssl[field]);
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  return result;
}

/** A deep copy of `value` (plain objects and arrays) with secret strings and secret fields redacted. */
function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Error) return redactError(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) copy[key] = redactValue(item, secrets, depth + 1);
  return copy;
}

/** `error` with secrets scrubbed from its message, stack and causes (in place; returns it). */
export function redactError<E>(error: E, secrets: readonly string[], depth = 0): E {
  if (secrets.length === 0 || !(error instanceof Error) || depth > 5) return error;
  try {
    error.message = redactSecrets(error.message, secrets);
    if (typeof error.stack === 'string') error.stack = redactSecrets(error.stack, secrets);
    if (error.cause !== undefined) redactError(error.cause, secrets, depth + 1);
  } catch {
    // A frozen error keeps its text; nothing here put a secret in it.
  }
  return error;
}

/** A logger that scrubs secrets from every message and field before passing them on. */
export function redactingLogger(logger: Logger, secrets: readonly string[]): Logger {
  if (secrets.length === 0) return logger;
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const safeFields = fields === undefined ? undefined : (redactValue(fields, secrets) as Record<string, unknown>);
      logger[level](redactSecrets(message, secrets), safeFields);
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}

/** The client options with secret fields replaced, safe to log or to hand to processors. */
function describeKafkaOptions(kafka: Omit<KafkaConfig, 'brokers'> | undefined): Record<string, unknown> | undefined {
  if (kafka === undefined) return undefined;
  const copy: Record<string, unknown> = { ...kafka };
  if (typeof kafka.sasl === 'object' && kafka.sasl !== null) {
    const sasl: Record<string, unknown> = { ...(kafka.sasl as unknown as Record<string, unknown>) };
    for (const field of secretSaslFields) if (sasl[field] !== undefined) sasl[field] = REDACTED;
    copy.sasl = sasl;
  }
  if (typeof kafka.ssl === 'object' && kafka.ssl !== null) {
    const ssl: Record<string, unknown> = { ...(kafka.ssl as unknown as Record<string, unknown>) };
    for (const field of secretSslFields) if (ssl[field] !== undefined) ssl[field] = REDACTED;
    copy.ssl = ssl;
  }
  return copy;
}

/** The resolved options as they may be printed or logged: the client's secrets redacted, the engine config left out. */
export function describeResolvedOptions(options: ResolvedKafkaStreamsOptions): Record<string, unknown> {
  const { secrets, kafka, streams: _streams, ...rest } = options;
  return { ...rest, kafka: describeKafkaOptions(kafka), secrets: secrets.map(() => REDACTED) };
}

/** Makes `JSON.stringify` and `util.inspect` of the resolved options print {@link describeResolvedOptions}, never a secret. */
function redactWhenPrinted(options: ResolvedKafkaStreamsOptions): ResolvedKafkaStreamsOptions {
  Object.defineProperties(options, {
    toJSON: { value: () => describeResolvedOptions(options), enumerable: false },
    [inspect.custom]: {
      value: (depth: number, inspectOptions: Parameters<typeof inspect>[1]) => inspect(describeResolvedOptions(options), { ...inspectOptions, depth: Math.max(depth, 4) }),
      enumerable: false,
    },
  });
  return options;
}

function checkKafkaOptions(kafka: unknown): Omit<KafkaConfig, 'brokers'> {
  if (kafka === undefined) return {};
  if (typeof kafka !== 'object' || kafka === null || Array.isArray(kafka)) fail("Option 'kafka' must be an object of kafkajs client options (ssl, sasl, clientId, retry, logLevel, ...).");
  const options = kafka as Record<string, unknown>;
  if ('brokers' in options) fail("Option 'kafka.brokers' is not allowed: name the brokers with 'bootstrapServers'.");
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId.length === 0)) {
    fail("Option 'kafka.clientId' must be a non-empty string.");
  }
  if (options.ssl !== undefined && typeof options.ssl !== 'boolean' && (typeof options.ssl !== 'object' || options.ssl === null)) {
    fail("Option 'kafka.ssl' must be true or an object of Node TLS options (ca, key, cert, ...).");
  }
  if (options.sasl !== undefined) {
    const sasl = options.sasl as Record<string, unknown> | null;
    if (typeof sasl !== 'object' || sasl === null || typeof sasl.mechanism !== 'string') {
      fail("Option 'kafka.sasl' must be an object with a 'mechanism' ('plain', 'scram-sha-256', 'scram-sha-512', 'aws' or 'oauthbearer').");
    }
    const mechanism = sasl.mechanism.toLowerCase();
    if (!saslMechanisms.includes(mechanism)) {
      fail(`Option 'kafka.sasl.mechanism' must be one of ${saslMechanisms.map((name) => `'${name}'`).join(', ')}; got ${JSON.stringify(sasl.mechanism)}.`);
    }
    if ((mechanism === 'plain' || mechanism.startsWith('scram')) && (typeof sasl.username !== 'string' || typeof sasl.password !== 'string')) {
      fail(`Option 'kafka.sasl' with mechanism '${mechanism}' needs string 'username' and 'password'.`);
    }
  }
  if (options.retry !== undefined && (typeof options.retry !== 'object' || options.retry === null)) fail("Option 'kafka.retry' must be an object of kafkajs retry options.");
  for (const name of ['connectionTimeout', 'authenticationTimeout', 'requestTimeout'] as const) checkInteger(options[name], `kafka.${name}`, 1);
  if (options.logCreator !== undefined && typeof options.logCreator !== 'function') fail("Option 'kafka.logCreator' must be a kafkajs log creator function.");
  return options as Omit<KafkaConfig, 'brokers'>;
}

function checkConsumerOptions(
  consumer: unknown,
  client: KafkaClientSupplier | undefined,
): { sessionTimeoutMs: number; heartbeatIntervalMs: number; rebalanceTimeoutMs: number; fetchSizes: KafkajsFetchSizes } {
  if (consumer !== undefined && (typeof consumer !== 'object' || consumer === null || Array.isArray(consumer))) {
    fail("Option 'consumer' must be an object with sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, partitionFetchMaxBytes or fetchMaxBytes.");
  }
  const options = (consumer ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(options)) {
    if (!consumerOptionNames.has(name)) {
      fail(`Option 'consumer.${name}' is not known; the consumer options are sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, partitionFetchMaxBytes and fetchMaxBytes.`);
    }
  }
  const partitionMaxBytes = checkFetchBytes(options.partitionFetchMaxBytes, 'partitionFetchMaxBytes', client);
  const maxBytes = checkFetchBytes(options.fetchMaxBytes, 'fetchMaxBytes', client);
  const sessionTimeoutMs = checkInteger(options.sessionTimeoutMs, 'consumer.sessionTimeoutMs', 1000) ?? DEFAULT_SESSION_TIMEOUT_MS;
  const heartbeatIntervalMs =
    checkInteger(options.heartbeatIntervalMs, 'consumer.heartbeatIntervalMs', 1) ?? Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, Math.floor(sessionTimeoutMs / 3));
  const rebalanceTimeoutMs = checkInteger(options.rebalanceTimeoutMs, 'consumer.rebalanceTimeoutMs', 1000) ?? Math.max(DEFAULT_REBALANCE_TIMEOUT_MS, sessionTimeoutMs);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    fail(`Option 'consumer.heartbeatIntervalMs' (${heartbeatIntervalMs}) must be below 'consumer.sessionTimeoutMs' (${sessionTimeoutMs}); about a third of it is usual.`);
  }
  const fetchSizes = { partitionMaxBytes: partitionMaxBytes ?? DEFAULT_KAFKAJS_FETCH_SIZES.partitionMaxBytes, maxBytes: maxBytes ?? DEFAULT_KAFKAJS_FETCH_SIZES.maxBytes };
  return { sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, fetchSizes };
}

/** A fetch size of the kafkajs client (`consumer.<option>`): a byte count a fetch request can carry, not given with a `client` of its own. */
function checkFetchBytes(value: unknown, option: string, client: KafkaClientSupplier | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > INT32_MAX) {
    fail(`Option 'consumer.${option}' must be a whole number of bytes from 1 to ${INT32_MAX}, got ${typeof value === 'number' ? value : typeof value}.`);
  }
  if (client !== undefined) {
    fail(`Option 'consumer.${option}' sizes the fetches of the default kafkajs client; the option 'client' ('${client.name}') takes its own (platformaticClient's ${option}).`);
  }
  return value;
}

function checkApplicationServer(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? hostPortPattern.exec(value) : null;
  const port = match === null ? 0 : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    fail(`Option 'applicationServer' must be 'host:port' (for example '127.0.0.1:8080'), the endpoint other instances forward queries to; got ${JSON.stringify(value)}.`);
  }
  return value as string;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function checkStreamThreads(value: unknown, module: unknown): { numStreamThreads: number; threadModule: string | undefined } {
  const numStreamThreads = checkInteger(value, 'numStreamThreads', 1) ?? 1;
  if (numStreamThreads > MAX_STREAM_THREADS) fail(`Option 'numStreamThreads' must be at most ${MAX_STREAM_THREADS}, got ${numStreamThreads}.`);
  if (module === undefined) {
    if (numStreamThreads > 1) {
      fail(
        `Option 'threadModule' is required when 'numStreamThreads' is above 1: each stream thread runs in a worker thread, and functions and topologies cannot be sent to one. Name an ES module (file path or file: URL) that exports createTopology() (and createOptions() for handlers, serdes, a logger or kafka.logCreator).`,
      );
    }
    return { numStreamThreads, threadModule: undefined };
  }
  let url: URL | undefined;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module.trim() !== '') url = urlSchemePattern.test(module) ? parseUrl(module) : pathToFileURL(resolve(module));
  if (url === undefined || url.protocol !== 'file:') {
    fail(`Option 'threadModule' must be a file path or a file: URL of an ES module, got ${url === undefined ? typeof module : JSON.stringify(url.href)}.`);
  }
  return { numStreamThreads, threadModule: url.href };
}

/** Values a worker thread receives intact: structured-cloneable and without behaviour (methods) to lose. */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function isCloneableLeaf(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp;
}

/** The options a worker thread gets: a copy without the fields that cannot cross (`omitted`, as dotted paths). */
export interface SplitOptions {
  readonly cloneable: Record<string, unknown>;
  readonly omitted: readonly string[];
}

/**
 * Splits options for the worker threads: functions, symbols and objects with methods (loggers,
 * handlers, serdes, `kafka.logCreator`) would be lost or refused by `postMessage`, so they are left
 * out and named (an option whole, or a field of `kafka`); a worker gets them from its thread
 * module's `createOptions()` instead. `numStreamThreads` and `threadModule` are left out too: a
 * worker runs one thread.
 */
export function splitCloneableOptions(options: KafkaStreamsOptions): SplitOptions {
  const omitted: string[] = [];
  const keepData = (source: Record<string, unknown>, prefix: string, nested: ReadonlySet<string>): Record<string, unknown> => {
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(source)) {
      if (nested.has(key) && typeof value === 'object' && value !== null && isPlainObject(value)) copy[key] = keepData(value as Record<string, unknown>, `${prefix}${key}.`, new Set());
      else if (isPlainData(value, 0)) copy[key] = value;
      else omitted.push(`${prefix}${key}`);
    }
    return copy;
  };
  const { numStreamThreads: _threads, threadModule: _module, ...rest } = options;
  // The kafkajs options are split a level deeper, so that `kafka.logCreator` is named on its own.
  const cloneable = keepData(rest, '', new Set(['kafka']));
  try {
    structuredClone(cloneable);
  } catch (error) {
    fail(`The KafkaStreams options cannot be sent to worker threads (${error instanceof Error ? error.message : String(error)}): keep them to plain data and give the rest from the thread module's createOptions().`);
  }
  return { cloneable, omitted };
}

/** Whether `value` is data a worker receives whole: no functions, symbols or objects with methods. */
function isPlainData(value: unknown, depth: number): boolean {
  if (typeof value === 'function' || typeof value === 'symbol') return false;
  if (typeof value !== 'object' || value === null || isCloneableLeaf(value)) return true;
  if (depth > 16) return false;
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1));
  return isPlainObject(value) && Object.values(value).every((item) => isPlainData(item, depth + 1));
}

/** Options a worker thread does without when they are left out: its log lines go to the main thread's logger. */
const forwardedOptions = new Set(['logger']);

/**
 * Checks what a thread module exports: `createTopology`, and `createOptions` when the options hold
 * fields that cannot cross to a worker (other than the logger, whose lines are forwarded).
 */
export function checkThreadModuleExports(exports: unknown, omitted: readonly string[], href: string): StreamThreadModule {
  const module = (exports ?? {}) as Partial<StreamThreadModule>;
  if (typeof module.createTopology !== 'function') {
    fail(`Option 'threadModule' (${href}) must export a function createTopology() that builds the topology each worker thread runs.`);
  }
  const needed = omitted.filter((path) => !forwardedOptions.has(path));
  if (needed.length > 0 && typeof module.createOptions !== 'function') {
    fail(
      `Option 'threadModule' (${href}) must export createOptions(), because these options cannot be sent to worker threads: ${needed.map((path) => `'${path}'`).join(', ')}. Return them from createOptions() (it runs in each worker).`,
    );
  }
  return module as StreamThreadModule;
}

/** Checks the options of a `KafkaStreams` and fills in the defaults. Throws `ConfigError` naming the bad option. */
const supplierMethods = ['consumer', 'producer', 'transactionalProducer', 'admin', 'shutdown'] as const;

/** `exactly_once_v2` needs transactional offset commits the group coordinator can fence (KIP-447). */
function checkGroupFencedOffsetCommits(client: KafkaClientSupplier | undefined): void {
  if (client?.groupFencedOffsetCommits === true) return;
  if (client === undefined || client.name === 'kafkajs') {
    fail(
      "Option 'processingGuarantee' 'exactly_once_v2' needs transactional offset commits that carry the consumer group's generation and member id (TxnOffsetCommit v3, KIP-447), and kafkajs cannot send them (it speaks TxnOffsetCommit v0 and v1 only). Use the @platformatic/kafka client (option 'client': platformaticClient({ brokers }) from '@tributary/kafka/platformatic', Node >= 22.22), or 'exactly_once' (a transactional producer per task, on kafkajs).",
    );
  }
  fail(
    `Option 'processingGuarantee' 'exactly_once_v2' needs a client whose transactional offset commits carry the consumer group's generation and member id (TxnOffsetCommit v3, KIP-447), and the client '${client.name}' does not say it sends them (its groupFencedOffsetCommits is not true). Use 'exactly_once', or a client that does.`,
  );
}

function checkClientSupplier(client: unknown): KafkaClientSupplier | undefined {
  if (client === undefined) return undefined;
  const supplier = client as Record<string, unknown> | null;
  const missing = typeof supplier === 'object' && supplier !== null ? supplierMethods.filter((method) => typeof supplier[method] !== 'function') : supplierMethods;
  if (missing.length > 0) fail(`Option 'client' must be a KafkaClientSupplier, an object with the methods ${supplierMethods.join(', ')}; it lacks ${missing.join(', ')}.`);
  return client as KafkaClientSupplier;
}

export function resolveKafkaStreamsOptions(options: KafkaStreamsOptions): ResolvedKafkaStreamsOptions {
  if (typeof options !== 'object' || options === null) fail('The KafkaStreams options must be an object with at least applicationId and bootstrapServers.');
  // A misspelt option first: its message names the option meant, which the checks below would only miss.
  checkKnownOptions(options, [...streamsConfigOptions, ...kafkaStreamsOptionNames], 'KafkaStreams');
  // The client options are checked first so that no later message can quote a secret.
  const kafka = checkKafkaOptions(options.kafka);
  const secrets = collectSecrets(kafka);
  try {
    const brokers = parseBrokers(options.bootstrapServers);
    if (options.stateDir !== undefined && (typeof options.stateDir !== 'string' || options.stateDir.trim() === '')) {
      fail("Option 'stateDir' must be a non-empty directory path.");
    }
    const guarantee = options.processingGuarantee ?? 'at_least_once';
    if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once' && guarantee !== 'exactly_once_v2') {
      const requested: unknown = guarantee;
      const hint = requested === 'exactly_once_beta' ? " (Java's exactly_once_beta is 'exactly_once_v2')" : '';
      fail(`Option 'processingGuarantee' must be 'at_least_once', 'exactly_once' or 'exactly_once_v2', got ${JSON.stringify(guarantee)}${hint}.`);
    }
    const commitIntervalMs = checkInteger(options.commitIntervalMs, 'commitIntervalMs', 0) ?? (guarantee === 'at_least_once' ? DEFAULT_COMMIT_INTERVAL_MS : DEFAULT_EOS_COMMIT_INTERVAL_MS);
    const checkpointThresholdRecords = checkInteger(options.checkpointThresholdRecords, 'checkpointThresholdRecords', 0) ?? DEFAULT_CHECKPOINT_THRESHOLD_RECORDS;
    const cacheMaxBytes = checkInteger(options.cacheMaxBytes, 'cacheMaxBytes', 0) ?? DEFAULT_INSTANCE_CACHE_MAX_BYTES;
    const deadLetterMaxBytes = checkInteger(options.deadLetterMaxBytes, 'deadLetterMaxBytes', 1024) ?? DEFAULT_DEAD_LETTER_MAX_BYTES;
    const numStandbyReplicas = checkInteger(options.numStandbyReplicas, 'numStandbyReplicas', 0) ?? 0;
    const replicationFactor = checkReplicationFactor(options.replicationFactor);
    if ('numPartitionsForInternalTopics' in options && options.numPartitionsForInternalTopics !== undefined) {
      fail("Option 'numPartitionsForInternalTopics' is not supported: internal topics take their partition counts from the topics that feed them (or from Repartitioned.withNumberOfPartitions).");
    }
    const client = checkClientSupplier(options.client);
    const consumer = checkConsumerOptions(options.consumer, client);
    const { numStreamThreads, threadModule } = checkStreamThreads(options.numStreamThreads, options.threadModule);
    // Worker threads build their own clients (the thread module's createOptions()): each checks its own.
    if (guarantee === 'exactly_once_v2' && (client !== undefined || numStreamThreads === 1)) checkGroupFencedOffsetCommits(client);
    const applicationServer = checkApplicationServer(options.applicationServer);
    const base = resolveStreamsConfig({ ...options, kafka: describeKafkaOptions(options.kafka) } as StreamsConfig, kafkaStreamsOptionNames, 'KafkaStreams');
    const logger = redactingLogger(base.logger, secrets);
    const streams: ResolvedStreamsConfig = { ...base, logger };
    return redactWhenPrinted({
      applicationId: base.applicationId,
      brokers,
      stateDir: options.stateDir ?? join(tmpdir(), 'tributary'),
      processingGuarantee: guarantee,
      commitIntervalMs,
      checkpointThresholdRecords,
      cacheMaxBytes,
      deadLetterMaxBytes,
      numStandbyReplicas,
      replicationFactor,
      kafka,
      client,
      ...consumer,
      streams,
      secrets,
      numStreamThreads,
      threadModule,
      applicationServer,
    });
  } catch (error) {
    throw redactError(error, secrets);
  }
}
