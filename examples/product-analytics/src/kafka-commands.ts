/**
 * The commands that talk to a Kafka broker: `run --bootstrap-servers` (the topology as a
 * `KafkaStreams` app), `produce` (the generator into the input topics) and `tail` (the output
 * topics, printed readably).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { fixKafkajsIdlePolling, KafkaStreams, type KafkaClientSupplier } from '@tributary/kafka';
import { StreamsBuilder } from '@tributary/streams';
import type { ProduceCommand, RunCommand, TailCommand } from './cli-options.js';
import { formatAlert, streamTimeAhead } from './dashboard.js';
import { quietLogger, type Terminal } from './embedded.js';
import { resolvePort, startKafkaDashboard, type KafkaDashboard } from './kafka-dashboard.js';
import { EventGenerator, type GeneratedRecord } from './generator.js';
import type { Alert, CategoryStats, ProductStats, ProductTrend } from './model.js';
import { levelStoreSuppliers } from './stores.js';
import { buildTopology, defaultOptions, type ProductAnalyticsTopics } from './topology.js';

function client(bootstrapServers: string, clientId: string): Kafka {
  // kafkajs' request queues would check themselves every millisecond while idle (and Node 24 warn about it).
  fixKafkajsIdlePolling();
  return new Kafka({ clientId, brokers: bootstrapServers.split(',').map((server) => server.trim()), logLevel: logLevel.NOTHING, retry: { retries: 5 } });
}

/** Creates the topics that do not exist yet, with `partitions` partitions, and waits for their leaders. */
export async function ensureTopics(bootstrapServers: string, topics: readonly string[], partitions: number): Promise<string[]> {
  const admin = client(bootstrapServers, 'product-analytics-admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/** Progress of {@link produceRecords}. */
export interface ProduceProgress {
  readonly sent: number;
  readonly total: number;
  readonly elapsedSeconds: number;
}

/**
 * Sends generated records to their topics, in order, paced to `rate` records per second
 * (`Infinity` for as fast as the broker takes them), with an idempotent producer: a retried
 * batch is never written twice.
 */
export async function produceRecords(
  bootstrapServers: string,
  records: Iterable<GeneratedRecord>,
  options: { readonly topics?: Pick<ProductAnalyticsTopics, 'events' | 'catalog'>; readonly rate?: number; readonly total?: number; readonly onProgress?: (progress: ProduceProgress) => void; readonly stopped?: () => boolean } = {},
): Promise<number> {
  const topics = options.topics ?? defaultOptions.topics;
  const rate = options.rate ?? Number.POSITIVE_INFINITY;
  const producer: Producer = client(bootstrapServers, 'product-analytics-producer').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let sent = 0;
  try {
    const batch: GeneratedRecord[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; timestamp: string }>>();
      for (const record of batch) {
        const topic = record.stream === 'events' ? topics.events : topics.catalog;
        const messages = byTopic.get(topic) ?? [];
        messages.push({ key: record.key, value: record.value, timestamp: String(record.timestamp) });
        byTopic.set(topic, messages);
      }
      await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      batch.length = 0;
    };
    const batchSize = Number.isFinite(rate) ? Math.max(1, Math.min(500, Math.ceil(rate / 20))) : 500;
    for (const record of records) {
      if (options.stopped?.() === true) break;
      batch.push(record);
      sent++;
      if (batch.length >= batchSize) {
        await flush();
        options.onProgress?.({ sent, total: options.total ?? sent, elapsedSeconds: (performance.now() - started) / 1000 });
        const ahead = sent / rate - (performance.now() - started) / 1000;
        if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead * 1000));
      }
    }
    await flush();
    options.onProgress?.({ sent, total: options.total ?? sent, elapsedSeconds: (performance.now() - started) / 1000 });
  } finally {
    await producer.disconnect();
  }
  return sent;
}

function* generatedRecords(command: ProduceCommand): Generator<GeneratedRecord> {
  // Event time starts now, so the app's future-skew check and the broker's retention accept it.
  const generator = new EventGenerator({ seed: command.seed, startTime: Date.now(), eventsPerSecond: command.rate });
  yield* generator.catalogSnapshot();
  let events = 0;
  while (events < command.events) {
    const record = generator.next();
    if (record.stream === 'events') events++;
    yield record;
  }
}

/** `produce`: the generator into Kafka, with a progress bar. */
export async function produce(command: ProduceCommand, terminal: Terminal, stopped: () => boolean): Promise<void> {
  const topics = defaultOptions.topics;
  const created = await ensureTopics(command.bootstrapServers, [topics.events, topics.catalog], command.partitions);
  if (created.length > 0) terminal.write(`created topics ${created.join(', ')} (${command.partitions} partitions)\n`);
  // Catalog records ride along with events, so the bar counts records against an estimate of the total.
  const generator = new EventGenerator({ seed: command.seed });
  const total = generator.catalogSnapshot().length + command.events + Math.floor(command.events / 1000);
  let lastLine = -1;
  const produced = await produceRecords(command.bootstrapServers, generatedRecords(command), {
    rate: command.rate,
    total,
    stopped,
    onProgress: ({ sent, elapsedSeconds }) => {
      const fraction = Math.min(1, sent / total);
      const speed = elapsedSeconds > 0 ? Math.round(sent / elapsedSeconds) : 0;
      if (terminal.isTTY) {
        const width = 30;
        const filled = Math.round(fraction * width);
        terminal.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${sent}/${total} records ${speed}/s `);
      } else {
        const tenth = Math.floor(fraction * 10);
        if (tenth > lastLine) {
          lastLine = tenth;
          terminal.write(`progress: ${(fraction * 100).toFixed(0)}% ${sent}/${total} records ${speed}/s\n`);
        }
      }
    },
  });
  terminal.write(`${terminal.isTTY ? '\n' : ''}produced ${produced} records (${command.events} events plus catalog changes) to ${topics.events}, ${topics.catalog}\n`);
}

/**
 * `--client platformatic`: Kafka clients on @platformatic/kafka. Its entry point is loaded only
 * then, as it refuses to load on a Node older than 22.22.
 */
async function platformaticSupplier(bootstrapServers: string, clientId: string): Promise<KafkaClientSupplier> {
  const { platformaticClient } = await import('@tributary/kafka/platformatic');
  return platformaticClient({ brokers: bootstrapServers.split(',').map((server) => server.trim()), clientId });
}

/**
 * `run --bootstrap-servers`: the topology as a KafkaStreams app until `stop` resolves (a signal)
 * or, with `--duration`, until it has run that long; then it commits, leaves the group and
 * prints a `done:` line.
 */
export async function runOnKafka(command: RunCommand, terminal: Terminal, stop: Promise<void>): Promise<void> {
  const topics = defaultOptions.topics;
  const bootstrapServers = command.bootstrapServers!;
  const storeSuppliers = levelStoreSuppliers();
  const topology = buildTopology(new StreamsBuilder({ dslStoreSuppliers: storeSuppliers }), { storeSuppliers, emitFinalOnly: command.emitFinalOnly });
  // With --http, the instance's address goes into the group metadata (`applicationServer`), so
  // every instance's dashboard reads every instance's stores; port 0 is resolved first for that.
  const http = command.http === undefined ? undefined : { host: command.http.host, port: await resolvePort(command.http) };
  const applicationServer = http === undefined ? undefined : (command.applicationServer ?? `${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`);
  // KafkaStreams creates the state directory (owner-only) and locks it while it runs.
  const app = new KafkaStreams(topology, {
    applicationId: command.applicationId,
    bootstrapServers,
    ...(command.client === 'platformatic' ? { client: await platformaticSupplier(bootstrapServers, command.applicationId) } : {}),
    stateDir: command.stateDir,
    logger: quietLogger,
    // exactly_once_v2 on kafkajs: the constructor refuses it with a ConfigError that says what to use instead.
    processingGuarantee: command.processingGuarantee,
    ...(applicationServer === undefined ? {} : { applicationServer }),
  });
  // Options are checked before anything reaches the broker.
  try {
    const created = await ensureTopics(bootstrapServers, Object.values(topics), command.partitions);
    if (created.length > 0) terminal.write(`created topics ${created.join(', ')} (${command.partitions} partitions)\n`);
  } catch (error) {
    await app.close();
    throw error;
  }
  app.onStateChange((state, previous) => terminal.write(`${command.applicationId}: ${previous} -> ${state}\n`));
  let stopping = false;
  void stop.then(() => {
    stopping = true;
  });
  let dashboard: KafkaDashboard | undefined;
  if (http !== undefined) {
    dashboard = await startKafkaDashboard(app, http, applicationServer!, bootstrapServers, topics);
    terminal.write(`dashboard: ${dashboard.url}/\n`);
  }
  try {
    await app.start();
  } catch (error) {
    await dashboard?.close();
    throw error;
  }
  const startedAt = performance.now();
  // The duration counts from RUNNING, as the embedded run counts from its first record.
  let timeUp: NodeJS.Timeout | undefined;
  const finished = command.duration === undefined ? stop : Promise.race([stop, new Promise<void>((resolve) => (timeUp = setTimeout(resolve, command.duration! * 1000)))]);
  let lastProcessed = 0;
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const metrics = app.metrics();
    const now = performance.now();
    let dropped = 0;
    for (const count of metrics.dropped.values()) dropped += count;
    terminal.write(`throughput: ${Math.round(((metrics.processed - lastProcessed) * 1000) / (now - lastAt))} records/s | processed ${metrics.processed} | dropped ${dropped} | tasks ${metrics.tasks.join(',')}${streamTimeAhead(metrics.streamTimeAheadOfWallClockMs)}\n`);
    lastProcessed = metrics.processed;
    lastAt = now;
  }, 5_000);
  try {
    if (!stopping) await finished;
  } finally {
    clearInterval(timer);
    clearTimeout(timeUp);
    terminal.write('stopping: committing and leaving the group…\n');
    await dashboard?.close();
    await app.close({ timeoutMs: 30_000 });
  }
  const seconds = (performance.now() - startedAt) / 1000;
  terminal.write(`done: processed ${app.metrics().processed} records in ${seconds.toFixed(1)}s, state in ${command.stateDir}\n`);
}

/** One output record as a line, by topic. */
function formatOutput(topic: string, value: unknown): string {
  const time = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  if (topic === defaultOptions.topics.productAnalytics) {
    const stats = value as ProductStats;
    return `[product-analytics] ${stats.productId} "${stats.name}" (${stats.category}) ${time(stats.windowStart)}–${time(stats.windowEnd)} views=${stats.views} clicks=${stats.clicks} carts=${stats.addToCarts} purchases=${stats.purchases} revenue=$${stats.revenue.toFixed(2)} conversion=${(stats.conversionRate * 100).toFixed(1)}% users=${stats.uniqueUsers}`;
  }
  if (topic === defaultOptions.topics.categoryAnalytics) {
    const stats = value as CategoryStats;
    return `[category-analytics] ${stats.category} ${time(stats.windowStart)}–${time(stats.windowEnd)} views=${stats.views} purchases=${stats.purchases} revenue=$${stats.revenue.toFixed(2)} conversion=${(stats.conversionRate * 100).toFixed(1)}% users=${stats.uniqueUsers}`;
  }
  if (topic === defaultOptions.topics.alerts) return `[product-alerts] ${formatAlert(value as Alert)}`;
  if (topic === defaultOptions.topics.trends) {
    const trend = value as ProductTrend;
    return `[product-trends] ${trend.productId} "${trend.name}" ${time(trend.windowStart)}–${time(trend.windowEnd)} views/min=${trend.viewsPerMinute.toFixed(1)} purchases/min=${trend.purchasesPerMinute.toFixed(1)}`;
  }
  return `[${topic}] ${JSON.stringify(value)}`;
}

/** The topics among `topics` that do not exist on the cluster. */
async function missingTopics(bootstrapServers: string, topics: readonly string[]): Promise<string[]> {
  const admin = client(bootstrapServers, 'product-analytics-admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    return topics.filter((topic) => !existing.has(topic));
  } finally {
    await admin.disconnect();
  }
}

/**
 * `tail`: prints each record of the topics until `stop` resolves or `max` records were printed.
 * Topics that do not exist are refused up front, by name: kafkajs would only say "This server
 * does not host this topic-partition".
 */
export async function tail(command: TailCommand, terminal: Terminal, stop: Promise<void>): Promise<void> {
  const missing = await missingTopics(command.bootstrapServers, command.topics);
  if (missing.length > 0) {
    throw new Error(
      `Cannot tail [${missing.join(', ')}]: no such topic on ${command.bootstrapServers}. Run 'product-analytics run -b ${command.bootstrapServers}' first (it creates its topics), or name existing topics with --topics.`,
    );
  }
  const consumer = client(command.bootstrapServers, 'product-analytics-tail').consumer({ groupId: `product-analytics-tail-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  let printed = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  try {
    for (const topic of command.topics) await consumer.subscribe({ topic, fromBeginning: command.fromBeginning });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (command.max !== undefined && printed >= command.max) return;
        let line: string;
        if (message.value === null) line = `[${topic}] ${message.key?.toString('utf8') ?? '<null>'} (tombstone)`;
        else {
          const text = message.value.toString('utf8');
          try {
            line = formatOutput(topic, JSON.parse(text));
          } catch {
            line = `[${topic}] ${text}`;
          }
        }
        terminal.write(`${line}\n`);
        printed++;
        if (command.max !== undefined && printed >= command.max) finish();
      },
    });
    await Promise.race([stop, done]);
  } finally {
    await consumer.disconnect();
  }
}
