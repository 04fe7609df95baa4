/**
 * KafkaStreams on the client under test (`TRIBUTARY_CLIENT`, see the client contract test): a
 * keyed pipe with a count, through the real broker, at-least-once and exactly-once. Every input
 * is counted once, the output holds each key's final count, and the group committed every input
 * offset. On kafkajs it runs with no `client` option (the default); on @platformatic/kafka with
 * `client: platformaticClient(...)` from the published entry point.
 */
import { describe, expect, it } from 'vitest';
import { KafkaStreams, type KafkaClientSupplier, type ProcessingGuarantee } from '@tributary/kafka';
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder, Stores, consoleLogger, silentLogger, type Topology } from '@tributary/streams';
import { clientUnderTest } from './helpers/client-under-test.js';
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

async function client(): Promise<KafkaClientSupplier | undefined> {
  if (clientUnderTest() === 'kafkajs') return undefined;
  const { platformaticClient } = await import('@tributary/kafka/platformatic');
  return platformaticClient({ brokers: bootstrapServers().split(','), clientId: 'pipe-test' });
}

describe(`KafkaStreams on ${clientUnderTest()}`, () => {
  it.each<ProcessingGuarantee>(['at_least_once', 'exactly_once'])('counts every input once, %s', async (processingGuarantee) => {
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
    const supplier = await client();
    const app = new KafkaStreams(countTopology(input, output), {
      applicationId,
      bootstrapServers: bootstrapServers(),
      processingGuarantee,
      commitIntervalMs: 200,
      logger: process.env.PIPE_DEBUG ? consoleLogger : silentLogger,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      ...(supplier === undefined ? {} : { client: supplier }),
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
});
