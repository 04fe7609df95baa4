/**
 * Issue #12: under at-least-once, state must be restored exactly as of the last committed
 * offsets. One application process runs a de-duplicating store feeding a count store (two stores
 * in one sub-topology: on LevelDB, then in memory) over a backlog of events, some sent twice, and
 * is killed with SIGKILL several times while it works through it, each time restarted on the
 * state it left.
 * A kill between a commit's first changelog send and its offset commit leaves the "seen" store's
 * changelog ahead of the count's: restoring that tail would find the replayed events already seen
 * and never count them. Every product's final count must be its number of distinct event ids.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Serdes } from '@tributary/streams';
import { bootstrapServers, createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, deleteTopicsWithPrefix, latestByKey } from './helpers/streams-app.js';
import { seededRandom } from './smoke/smoke-data.js';
import { createSmokeCluster, sleep } from './smoke/smoke-cluster.js';
import { FAST_CONSUMER } from './smoke/smoke-scenario.js';

const PRODUCTS = 40;

/** Events as (product, id): every id once, a fifth of them twice (a producer's retry), shuffled. */
function dedupeInput(events: number, seed: number): { records: { key: string; value: string }[]; distinct: Map<string, number> } {
  const random = seededRandom(seed);
  const records: { key: string; value: string }[] = [];
  const distinct = new Map<string, number>();
  for (let index = 0; index < events; index++) {
    const key = `product-${index % PRODUCTS}`;
    const value = `event-${index}`;
    records.push({ key, value });
    if (random() < 0.2) records.push({ key, value });
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  for (let index = records.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [records[index], records[other]] = [records[other]!, records[index]!];
  }
  return { records, distinct };
}

/** Waits until the application has committed the end of every input partition: it has processed everything. */
async function waitCaughtUp(kafka: Kafka, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((entry) => [entry.partition, Number(entry.high)]));
    let committed = new Map<number, number>();
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      committed = new Map((offsets?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]));
      if ([...ends].every(([partition, end]) => (committed.get(partition) ?? -1) >= end)) return;
    }
    throw new Error(`The application did not process all its input within ${timeoutMs} ms: committed ${JSON.stringify([...committed])}, input ends ${JSON.stringify([...ends])}.`);
  } finally {
    await admin.disconnect();
  }
}

describe.each([
  { stores: 'level' as const, events: 150_000, kills: 4 },
  // In-memory stores restore from the start of their changelogs at every start: a smaller backlog.
  { stores: 'memory' as const, events: 80_000, kills: 3 },
])('smoke: kill -9 of a de-duplicating, counting app under at_least_once ($stores stores)', ({ stores, events, kills }) => {
  it('restores both stores as of the last commit: no event is lost or counted twice', { timeout: 150_000 }, async () => {
    const kafka = kafkaClient('smoke-dedupe');
    const topics = { data: uniqueTopic('smoke-dedupe-data'), echo: uniqueTopic('smoke-dedupe-echo'), agg: uniqueTopic('smoke-dedupe-agg'), cnt: uniqueTopic('smoke-dedupe-cnt') };
    await createTopics(kafka, [
      { topic: topics.data, numPartitions: 2 },
      { topic: topics.echo, numPartitions: 2 },
      { topic: topics.cnt, numPartitions: 2 },
    ]);
    const { records, distinct } = dedupeInput(events, 12);
    const producer = inputProducer(kafka);
    await producer.connect();
    for (let start = 0; start < records.length; start += 5000) {
      await producer.send({ topic: topics.data, messages: records.slice(start, start + 5000).map(({ key, value }) => ({ key, value })) });
    }
    await producer.disconnect();

    const applicationId = uniqueTopic('smoke-dedupe-app');
    onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
    const cluster = await createSmokeCluster(kafka, {
      bootstrap: bootstrapServers(),
      applicationId,
      topics,
      topology: 'dedupe',
      stores,
      processingGuarantee: 'at_least_once',
      commitIntervalMs: 1000,
      consumer: FAST_CONSUMER,
    });
    const random = seededRandom(7);
    cluster.start('app');
    for (let kill = 0; kill < kills; kill++) {
      await cluster.waitRunning(60_000);
      // Mid-backlog, at a random point of the commit cycle.
      await sleep(1200 + Math.floor(random() * 1500));
      await cluster.kill('app');
      cluster.start('app');
    }
    await cluster.waitRunning(60_000);
    await waitCaughtUp(kafka, applicationId, topics.data, 90_000);
    await cluster.waitQuiet(topics.cnt, 3000, 30_000);

    const expected = Object.fromEntries([...distinct].sort());
    const output = await consumeUntil<string, number>(topics.cnt, (read) => JSON.stringify(Object.fromEntries([...latestByKey(read)].sort())) === JSON.stringify(expected), {
      valueSerde: Serdes.Json<number>(),
      timeoutMs: 15_000,
      onTimeout: 'return',
    });
    const counted = Object.fromEntries([...latestByKey(output)].sort());
    const short = Object.entries(expected).filter(([key, count]) => (counted[key] ?? 0) < count).length;
    const over = Object.entries(expected).filter(([key, count]) => (counted[key] ?? 0) > count).length;
    console.log(`SMOKE alos-dedupe-kill (${stores}): ${records.length} events (${events} distinct), ${kills} kills; products counted low ${short}, high ${over}`);
    expect(counted).toEqual(expected);
  });
});
