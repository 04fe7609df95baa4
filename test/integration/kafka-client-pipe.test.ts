/**
 * KafkaStreams on the client under test (`TRIBUTARY_CLIENT`, see the client contract test): a
 * keyed pipe with a count, through the real broker, at-least-once and exactly-once (v1, and v2 on
 * @platformatic/kafka). Every input is counted once, the output holds each key's final count,
 * and the group committed every input offset. On kafkajs it runs with no `client` option (the default); on @platformatic/kafka with
 * `client: platformaticClient(...)` from the published entry point.
 */
import { describe, expect, it } from 'vitest';
import { KafkaStreams, type ProcessingGuarantee } from '@tributary/kafka';
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder, Stores, consoleLogger, silentLogger, type Topology } from '@tributary/streams';
import { clientName, clientOption } from './helpers/client-option.mjs';
import { bootstrapServers, createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';

function countTopology(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, Consumed.with(Serdes.String(), Serdes.String()))
    .mapValues((value) => value.toUpperCase())
    .groupByKey()
    .count(Materialized.as(Stores.inMemoryKeyValueStore('counts')))
    .toStream()
    .to(output, Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

/** The exactly-once guarantees of the client under test: v2 (a producer per stream thread) needs the group-fenced offset commits kafkajs cannot send. */
const exactlyOnceGuarantees: ProcessingGuarantee[] = clientName === 'kafkajs' ? ['exactly_once'] : ['exactly_once', 'exactly_once_v2'];

describe(`KafkaStreams on ${clientName}`, () => {
  it.each<ProcessingGuarantee>(['at_least_once', ...exactlyOnceGuarantees])('counts every input once, %s', async (processingGuarantee) => {
    const kafka = kafkaClient();
    const input = uniqueTopic('client-pipe-in');
    const output = uniqueTopic('client-pipe-out');
    await createTopics(kafka, [
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 2 },
    ]);
    const inputs = Array.from({ length: 40 }, (_, index) => ({ key: `k${index % 5}`, value: `v${index}`, timestamp: String(1_000 + index) }));
    const producer = inputProducer(kafka);
    await producer.connect();
    await producer.send({ topic: input, messages: inputs });
    await producer.disconnect();

    const applicationId = uniqueTopic('client-pipe-app');
    const app = new KafkaStreams(countTopology(input, output), {
      applicationId,
      bootstrapServers: bootstrapServers(),
      processingGuarantee,
      commitIntervalMs: 200,
      logger: process.env.PIPE_DEBUG ? consoleLogger : silentLogger,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      ...clientOption(bootstrapServers(), 'pipe-test'),
    });
    try {
      await app.start();
      await expect.poll(() => app.metrics().processed, { timeout: 60_000 }).toBe(inputs.length);
    } finally {
      await app.close();
    }

    const latest = new Map<string, number>();
    const reader = kafka.consumer({ groupId: uniqueTopic('client-pipe-reader'), readUncommitted: false });
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read only ${JSON.stringify([...latest])}`)), 30_000);
      void reader.run({
        eachMessage: async ({ message }) => {
          latest.set(message.key!.toString(), message.value!.readDoubleBE(0));
          if ([...latest.values()].reduce((sum, count) => sum + count, 0) === inputs.length && latest.size === 5) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await reader.disconnect();
    expect(latest).toEqual(new Map(['k0', 'k1', 'k2', 'k3', 'k4'].map((key) => [key, 8])));

    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: applicationId, topics: [input] });
      expect(offsets!.partitions.reduce((sum, entry) => sum + Number(entry.offset), 0)).toBe(inputs.length);
    } finally {
      await admin.disconnect();
    }
  });

  it.each(exactlyOnceGuarantees)('shares the partitions between two instances under %s: each task on one of them, every input counted once', async (processingGuarantee) => {
    const kafka = kafkaClient();
    const input = uniqueTopic('client-share-in');
    const output = uniqueTopic('client-share-out');
    await createTopics(kafka, [
      { topic: input, numPartitions: 4 },
      { topic: output, numPartitions: 4 },
    ]);
    const applicationId = uniqueTopic('client-share-app');
    const apps: KafkaStreams[] = [];
    const start = async (): Promise<KafkaStreams> => {
      const app = new KafkaStreams(countTopology(input, output), {
        applicationId,
        bootstrapServers: bootstrapServers(),
        processingGuarantee,
        commitIntervalMs: 200,
        logger: silentLogger,
        consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 },
        ...clientOption(bootstrapServers(), 'pipe-test'),
      });
      apps.push(app);
      await app.start();
      return app;
    };
    try {
      const first = await start();
      const second = await start();
      await expect.poll(() => [first.metrics().tasks.length, second.metrics().tasks.length], { timeout: 60_000 }).toEqual([2, 2]);
      expect([...first.metrics().tasks, ...second.metrics().tasks].sort()).toEqual(['0_0', '0_1', '0_2', '0_3']);

      const keys = Array.from({ length: 12 }, (_, index) => `key-${index}`);
      const producer = inputProducer(kafka);
      await producer.connect();
      await producer.send({ topic: input, messages: keys.flatMap((key) => [1, 2, 3].map((round) => ({ key, value: `${key}-${round}` }))) });
      await producer.disconnect();

      const latest = new Map<string, number>();
      const reader = kafka.consumer({ groupId: uniqueTopic('client-share-reader'), readUncommitted: false });
      await reader.connect();
      await reader.subscribe({ topic: output, fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          latest.set(message.key!.toString(), message.value!.readDoubleBE(0));
        },
      });
      await expect.poll(() => latest.size === keys.length && [...latest.values()].every((count) => count === 3), { timeout: 60_000 }).toBe(true);
      await reader.disconnect();
      expect(first.metrics().processed + second.metrics().processed).toBe(keys.length * 3);
    } finally {
      for (const app of apps) await app.close();
    }
  });
});
