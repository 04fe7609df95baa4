/**
 * The broker side of the benchmarks: starting (or reusing) the local broker, creating and
 * deleting the run's topics, loading the generated data, and reading a group's progress as
 * committed offsets against the topics' end offsets (and, where they fall short by transaction
 * markers alone, finding that out).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixKafkajsIdlePolling, fixKafkajsReadCommitted } from '@tributary/kafka';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { EventGenerator, type GeneratedRecord, type GeneratorOptions } from '../../../examples/product-analytics/src/generator.js';

/** The local broker: its address, whether this run started it, and its Kafka version. */
export interface Broker {
  readonly bootstrap: string;
  readonly startedHere: boolean;
  readonly kafkaVersion: string;
}

/** Reuses the running local broker, or starts one (`scripts/kafka-broker.sh start`), which the runner then stops at the end. */
export function ensureBroker(repositoryRoot: string): Broker {
  const script = join(repositoryRoot, 'scripts/kafka-broker.sh');
  let running = false;
  try {
    execFileSync('bash', [script, 'status'], { cwd: repositoryRoot, stdio: 'pipe' });
    running = true;
  } catch {
    running = false;
  }
  const output = execFileSync('bash', [script, 'start'], { cwd: repositoryRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const match = /KAFKA_BOOTSTRAP=(\S+)/.exec(output);
  const bootstrapFile = join(repositoryRoot, '.scratch/kafka/bootstrap');
  const bootstrap = match?.[1] ?? (existsSync(bootstrapFile) ? readFileSync(bootstrapFile, 'utf8').trim() : '');
  if (bootstrap === '') throw new Error(`scripts/kafka-broker.sh start printed no KAFKA_BOOTSTRAP: ${output}`);
  return { bootstrap, startedHere: !running, kafkaVersion: kafkaVersion(repositoryRoot) };
}

export function stopBroker(repositoryRoot: string): void {
  execFileSync('bash', [join(repositoryRoot, 'scripts/kafka-broker.sh'), 'stop'], { cwd: repositoryRoot, stdio: 'inherit' });
}

function kafkaVersion(repositoryRoot: string): string {
  try {
    const jars = execFileSync('ls', [join(repositoryRoot, '.scratch/kafka/lib')], { encoding: 'utf8' });
    return /kafka_[\d.]+-([\d.]+)\.jar/.exec(jars)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The runner's own kafkajs clients (admin, load, probes); they share the cores with the app measured, so they do not poll while idle. */
export function kafkaClient(bootstrap: string, clientId: string): Kafka {
  fixKafkajsIdlePolling();
  return new Kafka({ clientId, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
}

/** Topics the run created, deleted at the end whatever happens, and its consumer groups. */
export class Topics {
  private readonly created = new Set<string>();

  constructor(private readonly admin: Admin) {}

  async create(names: readonly string[], partitions: number): Promise<void> {
    const missing = names.filter((name) => !this.created.has(name));
    if (missing.length === 0) return;
    // Registered before the request, so a half-done create is still cleaned up.
    for (const name of missing) this.created.add(name);
    await this.admin.createTopics({ waitForLeaders: false, topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
    await this.waitForLeaders(missing, partitions);
  }

  /**
   * kafkajs' own `waitForLeaders` gives up on the first "does not host this topic-partition"
   * while the broker's metadata catches up with a busy controller; this polls instead, until
   * every partition's leader also answers for it.
   */
  private async waitForLeaders(names: readonly string[], partitions: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    let problem = '';
    while (Date.now() < deadline) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [...names] });
        const ready = topics.every((topic) => topic.partitions.length === partitions && topic.partitions.every((partition) => partition.leader >= 0));
        if (ready && topics.length === names.length) {
          // A leader named in the metadata may not host its partition yet: a send to many new
          // partitions then fails on some of them and kafkajs retries the request, writing the
          // others twice (seen with 32 partitions on a loaded machine). ListOffsets is answered
          // by each partition's leader only once it hosts the partition.
          for (const name of names) await this.admin.fetchTopicOffsets(name);
          return;
        }
        problem = 'partitions without a leader';
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`topics ${names.join(', ')} had no leaders within 60 s: ${problem}`);
  }

  /** Deletes the topics created here and every topic starting with `prefix` (the apps' internal topics). */
  async deleteAll(prefix: string): Promise<number> {
    const existing = await this.admin.listTopics();
    const doomed = existing.filter((topic) => topic.startsWith(prefix) || this.created.has(topic));
    for (let index = 0; index < doomed.length; index += 50) {
      await this.admin.deleteTopics({ topics: doomed.slice(index, index + 50), timeout: 30_000 }).catch(() => {});
    }
    this.created.clear();
    return doomed.length;
  }

  /** Deletes the consumer groups starting with `prefix` (the apps', the pipe's, the readers'). */
  async deleteGroups(prefix: string): Promise<number> {
    const { groups } = await this.admin.listGroups();
    const doomed = groups.map((group) => group.groupId).filter((groupId) => groupId.startsWith(prefix));
    if (doomed.length > 0) await this.admin.deleteGroups(doomed).catch(() => {});
    return doomed.length;
  }
}

/** Sends records as fast as the broker takes them: batches of 1,000, four in flight, acks from all replicas. */
export async function loadRecords(producer: Producer, records: Iterable<GeneratedRecord>, topics: { events: string; catalog: string }): Promise<{ events: number; catalog: number }> {
  const counts = { events: 0, catalog: 0 };
  const inFlight = new Set<Promise<unknown>>();
  let events: { key: Buffer | null; value: Buffer | null; timestamp: string }[] = [];
  let catalog: typeof events = [];
  const flush = async (): Promise<void> => {
    const topicMessages = [];
    if (events.length > 0) topicMessages.push({ topic: topics.events, messages: events });
    if (catalog.length > 0) topicMessages.push({ topic: topics.catalog, messages: catalog });
    events = [];
    catalog = [];
    if (topicMessages.length === 0) return;
    const sending = producer.sendBatch({ topicMessages, acks: -1 });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending)).catch(() => {});
    if (inFlight.size >= 4) await Promise.race(inFlight);
  };
  for (const record of records) {
    const message = { key: record.key, value: record.value, timestamp: String(record.timestamp) };
    if (record.stream === 'events') {
      events.push(message);
      counts.events++;
    } else {
      catalog.push(message);
      counts.catalog++;
    }
    if (events.length + catalog.length >= 1_000) await flush();
  }
  await flush();
  await Promise.all(inFlight);
  return counts;
}

/** The catalog snapshot, then `events` events (with the catalog changes the generator interleaves). */
export function* dataSet(events: number, options: GeneratorOptions): Generator<GeneratedRecord> {
  const generator = new EventGenerator(options);
  yield* generator.catalogSnapshot();
  let sent = 0;
  while (sent < events) {
    const record = generator.next();
    if (record.stream === 'events') sent++;
    yield record;
  }
}

/** The sum of the end offsets of `topic`'s partitions. */
export async function endOffset(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

/** The sum of `groupId`'s committed offsets on `topic` (a partition with none counts as 0). */
export async function committedOffset(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (entry?.partitions ?? []).reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
}

/** One partition of a group's input: the group's committed offset there (0 when none) and the partition's end offset. */
export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  readonly committed: number;
  readonly end: number;
}

/** `groupId`'s progress on every partition of `topics`. */
export async function groupProgress(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionProgress[]> {
  if (topics.length === 0) return [];
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const progress: PartitionProgress[] = [];
  for (const topic of topics) {
    const offsets = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
      const entry = offsets.find((candidate) => candidate.partition === partition);
      progress.push({ topic, partition, committed: Math.max(0, Number(entry?.offset ?? 0)), end: Number(high) });
    }
  }
  return progress;
}

/** The repartition topics of an application (Kafka Streams' `<applicationId>-<name>-repartition`, as Tributary names them too). */
export async function repartitionTopics(admin: Admin, applicationId: string): Promise<string[]> {
  return (await admin.listTopics()).filter((topic) => topic.startsWith(`${applicationId}-`) && topic.endsWith('-repartition')).sort();
}

/**
 * Whether a read_committed consumer finds a record in any of `partitions` from the group's
 * committed offset to the end. Under exactly-once the offsets after a partition's last record
 * hold the markers of the transactions that wrote it, which a group's committed offset (one past
 * the last record it processed) may stop short of, so a committed offset below the end offset
 * does not say whether records are left. This reads them with a group of its own
 * (`probeGroupId`), from each partition's committed offset (the topics' other partitions from
 * their ends), until it finds a record or has read every partition to its end.
 */
export async function recordsAfterCommitted(bootstrap: string, admin: Admin, probeGroupId: string, partitions: readonly PartitionProgress[], timeoutMs = 30_000): Promise<boolean> {
  const keyOf = (topic: string, partition: number): string => `${topic}:${partition}`;
  const topics = [...new Set(partitions.map((entry) => entry.topic))];
  const startAt = new Map(partitions.map((entry) => [keyOf(entry.topic, entry.partition), entry.committed]));
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId: probeGroupId, topic, partitions: ends.map(({ partition, high }) => ({ partition, offset: String(startAt.get(keyOf(topic, partition)) ?? high) })) });
  }
  // kafkajs 2.2.4 can deliver aborted records of interleaved transactions under read_committed; the runtime's filter hides them.
  fixKafkajsReadCommitted();
  const consumer = kafkaClient(bootstrap, probeGroupId).consumer({ groupId: probeGroupId, maxWaitTimeInMs: 100, readUncommitted: false });
  /** The last offset each partition's reads covered, markers included (kafkajs reports a batch of only markers here too). */
  const covered = new Map<string, number>();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = keyOf(payload.topic, payload.partition);
    covered.set(key, Math.max(covered.get(key) ?? -1, Number(payload.lastOffset)));
  });
  let found = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.messages.length > 0) found = true;
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!found && !partitions.every((entry) => (covered.get(keyOf(entry.topic, entry.partition)) ?? -1) >= entry.end - 1)) {
      if (Date.now() > deadline) throw new Error(`reading ${partitions.length} partitions of ${topics.join(', ')} from the group's committed offsets to their ends took over ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return found;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
