/**
 * Helpers for running Tributary applications on the test broker: an app with test-friendly
 * settings that closes itself and removes its state and internal topics when the test ends,
 * producing and consuming typed records, and the same topology run through the
 * TopologyTestDriver so a test can compare what Kafka wrote with what the driver wrote.
 *
 * Every helper registers its own cleanup with `onTestFinished`. Vitest runs those hooks last in,
 * first out, so an app started after a topic was created is closed before the topic is deleted.
 * Apps log silently; a failing test prints their last lines, and `TRIBUTARY_IT_LOG=1` prints
 * everything live, with how long starts and reads took.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, isDeepStrictEqual } from 'node:util';
import type { IHeaders } from 'kafkajs';
import { KafkaStreams } from '@tributary/kafka';
import { Headers, Serdes, type Logger, type Serde, type StreamsConfig, type Topology } from '@tributary/streams';
import { TestRecord, TopologyTestDriver } from '@tributary/streams/test';
import { onTestFailed, onTestFinished } from 'vitest';
import { clientOption } from './client-option.mjs';
import { bootstrapServers, inputProducer, kafkaClient } from './kafka.js';

/** The configuration `KafkaStreams` takes. */
export type KafkaStreamsOptions = ConstructorParameters<typeof KafkaStreams>[1];

/** Overrides of {@link startApp}'s defaults; nested objects replace the defaults' whole. */
export type AppOverrides = Partial<KafkaStreamsOptions>;

/** One line a {@link recordingLogger} kept. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every line, for assertions and for printing when a test fails. */
export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
  /** Every line as text, fields and nested errors included (for searching for secrets). */
  text(): string;
}

/** An application built by {@link createApp} or {@link startApp}, with what it has been through. */
export interface TestApp {
  readonly app: KafkaStreams;
  readonly applicationId: string;
  readonly stateDir: string;
  /** Every state it entered, in order, starting with the first change after construction. */
  readonly states: string[];
  /** The logger the app writes to, unless the overrides named another. */
  readonly logger: RecordingLogger;
  /** The state it is in now (the last change seen; `CREATED` before any). */
  state(): string;
}

/** A record to produce or to pipe into the driver. */
export interface InputRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  /** Event time, epoch ms. Always explicit, so Kafka and the driver see the same times. */
  readonly timestamp: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Records for one topic and the serdes that write them. */
export interface TopicInput<K = string, V = string> {
  readonly topic: string;
  readonly records: readonly InputRecord<K, V>[];
  /** Defaults to `Serdes.String()`. */
  readonly keySerde?: Serde<K>;
  /** Defaults to `Serdes.String()`. */
  readonly valueSerde?: Serde<V>;
}

/** A record read back from Kafka or from the driver, decoded. */
export interface OutputRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
  /** Header values as UTF-8 text (last value per name). */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw header values (last value per name), for comparing bytes. */
  readonly rawHeaders: Readonly<Record<string, Buffer>>;
  /** The value's bytes as written. */
  readonly rawValue: Buffer | null;
  /** Kafka only; -1 for the driver. */
  readonly partition: number;
  /** Kafka only; -1 for the driver. */
  readonly offset: number;
}

/** Serdes to read an output topic with; both default to `Serdes.String()`. */
export interface OutputSerdes<K, V> {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

export interface ConsumeOptions<K, V> extends OutputSerdes<K, V> {
  /** Defaults to 30 s. */
  readonly timeoutMs?: number;
  /** On timeout, throw (the default) or return what arrived, for a test that wants a diff. */
  readonly onTimeout?: 'throw' | 'return';
}

/** Fast commits and rebalances, so a test sees output and a group change in about a second. */
const testDefaults = {
  commitIntervalMs: 200,
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000 },
} as const;

const closeTimeoutMs = 15_000;

/** A logger that keeps every line and prints them if the current test fails. */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const live = process.env.TRIBUTARY_IT_LOG === '1';
  const keep = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
    if (live) console.log(`${new Date().toISOString()} ${level} ${message} ${inspect(fields, { depth: 4, breakLength: Infinity })}`);
  };
  return {
    lines,
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
    text: () => lines.map((line) => `${line.level} ${line.message} ${inspect(line.fields, { depth: 8, breakLength: Infinity })}`).join('\n'),
  };
}

/** A temporary directory removed when the test ends (after the apps that use it are closed, if they were started later). */
export async function tempStateDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tributary-it-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/**
 * Builds an application with test settings: a unique `applicationId` (unless given), its own
 * temporary `stateDir` (unless given), a 200 ms commit interval, fast consumer-group timeouts and
 * a logger that stays silent unless the test fails, on the client `TRIBUTARY_CLIENT` names
 * (client-option.mjs). It is closed when the test ends; an
 * application id it made up also has its internal topics deleted then. Not started.
 */
export async function createApp(topology: Topology, overrides: AppOverrides = {}): Promise<TestApp> {
  const ownsApplicationId = overrides.applicationId === undefined;
  const applicationId = overrides.applicationId ?? `it-app-${randomUUID().slice(0, 8)}`;
  if (ownsApplicationId) onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
  const stateDir = overrides.stateDir ?? (await tempStateDir());
  const logger = recordingLogger();
  onTestFailed(() => {
    const tail = logger.lines.filter((line) => line.level !== 'debug').slice(-40);
    if (tail.length > 0) console.error(`--- ${applicationId} log (last ${tail.length} lines) ---\n${tail.map((line) => `${line.level} ${line.message} ${inspect(line.fields, { depth: 4, breakLength: Infinity })}`).join('\n')}`);
  });

  const config = {
    applicationId,
    bootstrapServers: bootstrapServers(),
    stateDir,
    logger,
    ...clientOption(bootstrapServers(), applicationId),
    ...testDefaults,
    ...overrides,
  } as KafkaStreamsOptions;
  const app = new KafkaStreams(topology, config);
  const states: string[] = [];
  app.onStateChange((state) => void states.push(String(state)));
  onTestFinished(async () => {
    await app.close({ timeoutMs: closeTimeoutMs });
  });
  return { app, applicationId, stateDir, states, logger, state: () => states.at(-1) ?? 'CREATED' };
}

/** {@link createApp}, then `start()`: resolves once the application is RUNNING. */
export async function startApp(topology: Topology, overrides: AppOverrides = {}): Promise<TestApp> {
  const testApp = await createApp(topology, overrides);
  const started = Date.now();
  await testApp.app.start();
  trace(`startApp ${testApp.applicationId} took ${Date.now() - started} ms`);
  return testApp;
}

/** With TRIBUTARY_IT_LOG=1, prints how long the steps of a test take. */
function trace(message: string): void {
  if (process.env.TRIBUTARY_IT_LOG === '1') console.log(`${new Date().toISOString()} [it] ${message}`);
}

/** Produces keyed records with explicit timestamps, in batches, in order per partition. */
export async function produce<K = string, V = string>(input: TopicInput<K, V>): Promise<void> {
  const keySerde = (input.keySerde ?? Serdes.String()) as Serde<K>;
  const valueSerde = (input.valueSerde ?? Serdes.String()) as Serde<V>;
  const producer = inputProducer(kafkaClient('tributary-it-producer'));
  await producer.connect();
  try {
    const batchSize = 500;
    for (let start = 0; start < input.records.length; start += batchSize) {
      const messages = input.records.slice(start, start + batchSize).map((record) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(record.headers ?? {})) headers.add(name, value);
        const key = record.key === null ? null : keySerde.serialize(input.topic, record.key, headers);
        const value = record.value === null ? null : valueSerde.serialize(input.topic, record.value, headers);
        const kafkaHeaders: IHeaders = {};
        for (const header of headers.toArray()) kafkaHeaders[header.key] = header.value;
        return { key, value, timestamp: String(record.timestamp), headers: kafkaHeaders };
      });
      await producer.send({ topic: input.topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

function decodeHeaders(headers: IHeaders | undefined): { text: Record<string, string>; raw: Record<string, Buffer> } {
  const text: Record<string, string> = {};
  const raw: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last === undefined) continue;
    const bytes = Buffer.isBuffer(last) ? last : Buffer.from(last);
    raw[name] = bytes;
    text[name] = bytes.toString('utf8');
  }
  return { text, raw };
}

/**
 * Reads `topic` from the beginning with a fresh consumer group until `until` holds (a count of
 * records, or a predicate over every record read so far), and returns the records decoded.
 */
export async function consumeUntil<K = string, V = string>(
  topic: string,
  until: number | ((records: readonly OutputRecord<K, V>[]) => boolean),
  options: ConsumeOptions<K, V> = {},
): Promise<OutputRecord<K, V>[]> {
  const keySerde = (options.keySerde ?? Serdes.String()) as Serde<K>;
  const valueSerde = (options.valueSerde ?? Serdes.String()) as Serde<V>;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const done = typeof until === 'number' ? (records: readonly OutputRecord<K, V>[]) => records.length >= until : until;
  const consumer = kafkaClient('tributary-it-reader').consumer({
    groupId: `it-reader-${randomUUID().slice(0, 8)}`,
    sessionTimeout: 6_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  const began = Date.now();
  await consumer.connect();
  consumer.on(consumer.events.GROUP_JOIN, () => trace(`consumeUntil('${topic}') joined its group after ${Date.now() - began} ms`));
  const records: OutputRecord<K, V>[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (options.onTimeout === 'return') resolve();
        else reject(new Error(`consumeUntil('${topic}') timed out after ${timeoutMs} ms with ${records.length} records: ${inspect(records.slice(-20).map(({ key, value, partition }) => ({ key, value, partition })), { depth: 4, breakLength: Infinity })}`));
      }, timeoutMs);
      if (done(records)) {
        clearTimeout(timer);
        resolve();
        return;
      }
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const { text, raw } = decodeHeaders(message.headers);
              const headers = new Headers();
              for (const [name, value] of Object.entries(raw)) headers.add(name, value);
              records.push({
                key: message.key === null ? null : keySerde.deserialize(topic, message.key, headers),
                value: message.value === null ? null : valueSerde.deserialize(topic, message.value, headers),
                timestamp: Number(message.timestamp),
                headers: text,
                rawHeaders: raw,
                rawValue: message.value,
                partition: batch.partition,
                offset: Number(message.offset),
              });
            }
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    trace(`consumeUntil('${topic}') read ${records.length} records in ${Date.now() - began} ms`);
    await consumer.disconnect();
  }
  return records;
}

/**
 * Runs a fresh topology from `buildTopology` through the TopologyTestDriver, piping `inputs` in
 * the order given (topic by topic, records in order), and returns what it wrote to `output`.
 */
export function driverOutput<K = string, V = string>(
  buildTopology: () => Topology,
  inputs: readonly TopicInput<any, any>[],
  output: OutputSerdes<K, V> & { readonly topic: string },
  config: Partial<StreamsConfig> = {},
): OutputRecord<K, V>[] {
  const driver = new TopologyTestDriver(buildTopology(), { logger: recordingLogger(), ...config });
  try {
    for (const input of inputs) {
      const topic = driver.createInputTopic(input.topic, input.keySerde ?? Serdes.String(), input.valueSerde ?? Serdes.String());
      for (const record of input.records) {
        const headers = new Headers();
        for (const [name, value] of Object.entries(record.headers ?? {})) headers.add(name, value);
        topic.pipeInput(new TestRecord(record.key, record.value, record.timestamp, headers));
      }
    }
    const keySerde = (output.keySerde ?? Serdes.String()) as Serde<K>;
    const valueSerde = (output.valueSerde ?? Serdes.String()) as Serde<V>;
    const raw = driver.createOutputTopic(output.topic, Serdes.Bytes(), Serdes.Bytes()).readRecordsToList();
    return raw.map((record) => {
      const rawHeaders: Record<string, Buffer> = {};
      const headers: Record<string, string> = {};
      for (const header of record.headers.toArray()) {
        rawHeaders[header.key] = header.value;
        headers[header.key] = header.value.toString('utf8');
      }
      return {
        key: record.key === null ? null : keySerde.deserialize(output.topic, record.key, record.headers),
        value: record.value === null ? null : valueSerde.deserialize(output.topic, record.value, record.headers),
        timestamp: record.timestamp ?? -1,
        headers,
        rawHeaders,
        rawValue: record.value,
        partition: -1,
        offset: -1,
      };
    });
  } finally {
    driver.close();
  }
}

/** Each key's last value (a null value removes the key), as a compacted topic keeps it. */
export function latestByKey<K, V>(records: readonly OutputRecord<K, V>[], keyText: (key: K) => string = String): Map<string, V> {
  const latest = new Map<string, V>();
  for (const record of records) {
    if (record.key === null) continue;
    const key = keyText(record.key);
    if (record.value === null) latest.delete(key);
    else latest.set(key, record.value);
  }
  return new Map([...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Each key's records in the order they were written, projected by `pick`. */
export function sequencesByKey<K, V, T>(
  records: readonly OutputRecord<K, V>[],
  pick: (record: OutputRecord<K, V>) => T,
  keyText: (key: K) => string = String,
): Map<string, T[]> {
  const sequences = new Map<string, T[]>();
  for (const record of records) {
    const key = record.key === null ? '<null>' : keyText(record.key);
    const list = sequences.get(key) ?? [];
    list.push(pick(record));
    sequences.set(key, list);
  }
  return new Map([...sequences].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Reads `topic` until each key's latest value equals `expected` (or the timeout passes), and returns that map. */
export async function consumeLatest<K, V>(
  topic: string,
  expected: ReadonlyMap<string, V>,
  options: ConsumeOptions<K, V> & { readonly keyText?: (key: K) => string } = {},
): Promise<Map<string, V>> {
  const records = await consumeUntil<K, V>(topic, (so) => isDeepStrictEqual(latestByKey(so, options.keyText), expected), { ...options, onTimeout: 'return' });
  return latestByKey(records, options.keyText);
}

/** Polls `condition` every 100 ms until it holds; throws `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string | (() => string), timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}.`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deletes every topic whose name starts with `prefix` (an application's internal topics). */
export async function deleteTopicsWithPrefix(prefix: string): Promise<void> {
  const admin = kafkaClient('tributary-it-cleanup').admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Partition counts and configs of topics, for checking internal topics. */
export async function describeTopics(topics: readonly string[]): Promise<Map<string, { partitions: number; configs: Record<string, string> }>> {
  const admin = kafkaClient('tributary-it-describe').admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: 2 /* TOPIC */, name })) });
    const result = new Map<string, { partitions: number; configs: Record<string, string> }>();
    for (const topic of metadata.topics) {
      const entries = configs.resources.find((resource) => resource.resourceName === topic.name)?.configEntries ?? [];
      result.set(topic.name, { partitions: topic.partitions.length, configs: Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue])) });
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/** Names of every topic on the broker. */
export async function listTopics(): Promise<string[]> {
  const admin = kafkaClient('tributary-it-list').admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}
