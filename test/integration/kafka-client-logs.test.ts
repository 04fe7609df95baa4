/**
 * Normal operation logs no alarm: kafkajs logs retriable conditions (a leader that moved, a topic
 * created a moment ago, a group rebalancing) at ERROR and WARN before it retries them, and the
 * runtime maps those to debug or one-line info. A first start and a two-thread start, on fresh
 * topics, must log no warn or error line.
 */
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Serdes, StreamsBuilder, type Topology } from '@tributary/streams';
import { generateDataSet } from '../../examples/product-analytics/src/generator.js';
import { produceRecords } from '../../examples/product-analytics/src/kafka-commands.js';
import { buildTopology, defaultOptions, type ProductAnalyticsTopics } from '../../examples/product-analytics/src/topology.js';
import { bootstrapServers, createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeLatest, createApp, produce, waitFor, type InputRecord, type TestApp } from './helpers/streams-app.js';

const countModule = new URL('./fixtures/count-topology.mjs', import.meta.url);
const baseTime = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

async function countTopology(inputTopic: string, outputTopic: string): Promise<Topology> {
  const module = (await import(countModule.href)) as { createTopology(context: unknown): Topology };
  return module.createTopology({ threadIndex: 0, options: { appConfigs: { inputTopic, outputTopic } } });
}

/** Creates a topic as an application's setup would, waiting for leaders as kafkajs does, and deletes it after the test. */
async function createFreshTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  onTestFinished(async () => {
    const cleanup = kafkaClient().admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [topic], timeout: 10_000 }).finally(() => cleanup.disconnect());
  });
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

function alarms(testApp: TestApp): string[] {
  return testApp.logger.lines.filter((line) => line.level === 'warn' || line.level === 'error').map((line) => `${line.level} ${line.message} ${inspect(line.fields, { breakLength: Infinity })}`);
}

describe('kafkajs log lines in normal operation', () => {
  it('the flagship topology on topics created just before its first start logs no warn or error line', { timeout: 90_000 }, async () => {
    const suffix = randomUUID().slice(0, 8);
    const topics = Object.fromEntries(Object.entries(defaultOptions.topics).map(([name, topic]) => [name, `${topic}-${suffix}`])) as unknown as ProductAnalyticsTopics;
    for (const topic of Object.values(topics)) await createFreshTopic(topic, 3);
    const testApp = await createApp(buildTopology(new StreamsBuilder(), { topics }), { consumer: {} });
    await testApp.app.start();
    // Event time now, so nothing is late or too far ahead.
    const records = generateDataSet(1000, { seed: 5, startTime: Date.now() - 20_000, eventsPerSecond: 100, catalogChangeEvery: 0, malformedRate: 0, lateBeyondGraceRate: 0 });
    await produceRecords(bootstrapServers(), records, { topics });
    await waitFor(() => testApp.app.metrics().processed >= records.length, () => `processed ${testApp.app.metrics().processed}`, 30_000);
    await testApp.app.close({ timeoutMs: 10_000 });
    expect(alarms(testApp)).toEqual([]);
  });

  it('a first start with 2 stream threads (a rebalance as the second joins) logs no warn or error line', { timeout: 60_000 }, async () => {
    const inputTopic = uniqueTopic('logs-in');
    const outputTopic = uniqueTopic('logs-out');
    await createTopics(kafkaClient(), [{ topic: inputTopic, numPartitions: 4 }]);
    const records: InputRecord<string, string>[] = Array.from({ length: 200 }, (_, index) => ({ key: `k${index % 20}`, value: `v${index}`, timestamp: baseTime + index }));
    await produce({ topic: inputTopic, records });
    // The output topic is created just before the start, as `product-analytics run` does: its
    // partitions may answer NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION for a moment.
    await createFreshTopic(outputTopic, 4);
    // Default group timeouts, as an application has them.
    const threads = { numStreamThreads: 2, threadModule: countModule, appConfigs: { inputTopic, outputTopic }, consumer: {} };
    const testApp = await createApp(await countTopology(inputTopic, outputTopic), threads);
    await testApp.app.start();
    const expected = new Map(Array.from({ length: 20 }, (_, index) => [`k${index}`, 10]));
    await consumeLatest(outputTopic, expected, { valueSerde: Serdes.Float64(), timeoutMs: 30_000 });
    await testApp.app.close({ timeoutMs: 10_000 });
    expect(alarms(testApp)).toEqual([]);
  });
});
