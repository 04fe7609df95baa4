/**
 * A quick end-to-end check of the Kafka runtime: a stateless pipe through the real broker writes
 * what the TopologyTestDriver writes for the same input, key by key.
 */
import { describe, expect, it } from 'vitest';
import { KafkaStreams, type KafkaStreamsState } from '@tributary/kafka';
import { Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import { clientOption } from './helpers/client-option.mjs';
import { bootstrapServers, createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';

function pipeTopology(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(input)
    .filter((_key, value) => !value.endsWith('-skip'))
    .mapValues((value) => value.toUpperCase())
    .to(output);
  return builder.build();
}

describe('KafkaStreams smoke', () => {
  it('pipes records through the broker as the test driver does', async () => {
    const kafka = kafkaClient();
    const input = uniqueTopic('smoke-in');
    const output = uniqueTopic('smoke-out');
    await createTopics(kafka, [
      { topic: input, numPartitions: 3 },
      { topic: output, numPartitions: 3 },
    ]);
    const inputs = Array.from({ length: 60 }, (_, index) => ({ key: `k${index % 7}`, value: index % 10 === 3 ? `v${index}-skip` : `v${index}` }));
    const producer = inputProducer(kafka);
    await producer.connect();
    await producer.send({ topic: input, messages: inputs.map(({ key, value }, index) => ({ key, value, timestamp: String(1_000 + index) })) });
    await producer.disconnect();

    const config = { applicationId: uniqueTopic('smoke-app'), defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.String(), logger: silentLogger };
    const driver = new TopologyTestDriver(pipeTopology(input, output), config);
    const driverIn = driver.createInputTopic(input, Serdes.String(), Serdes.String());
    for (const [index, { key, value }] of inputs.entries()) driverIn.pipeInput(key, value, 1_000 + index);
    const expected = driver.createOutputTopic(output, Serdes.String(), Serdes.String()).readKeyValuesToList();
    driver.close();

    const app = new KafkaStreams(pipeTopology(input, output), {
      ...config,
      bootstrapServers: bootstrapServers(),
      ...clientOption(bootstrapServers(), config.applicationId),
      commitIntervalMs: 200,
      consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
    });
    const states: KafkaStreamsState[] = [];
    app.onStateChange((state) => states.push(state));
    try {
      await app.start();
      expect(app.state).toBe('RUNNING');
      const consumer = kafka.consumer({ groupId: uniqueTopic('smoke-reader') });
      await consumer.connect();
      await consumer.subscribe({ topic: output, fromBeginning: true });
      // Keyed by partition and offset: the reader's own group may redeliver after a rebalance,
      // which says nothing about what the app wrote.
      const byPosition = new Map<string, { key: string; value: string }>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${byPosition.size} of ${expected.length} records arrived`)), 30_000);
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            byPosition.set(`${partition}:${message.offset}`, { key: message.key!.toString(), value: message.value!.toString() });
            if (byPosition.size >= expected.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
      const received = [...byPosition.values()];
      await consumer.disconnect();
      const byKey = (records: readonly { key: string | null; value: string | null }[]) => {
        const map = new Map<string, string[]>();
        for (const { key, value } of records) map.set(key!, [...(map.get(key!) ?? []), value!]);
        return new Map([...map].sort(([a], [b]) => a.localeCompare(b)));
      };
      expect(byKey(received)).toEqual(byKey(expected));
      // Exactly as many records as the driver wrote: a run with no failure writes no duplicates.
      const admin = kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(output);
      await admin.disconnect();
      expect(ends.reduce((sum, { high }) => sum + Number(high), 0)).toBe(expected.length);
      const metrics = app.metrics();
      expect(metrics.tasks.sort()).toEqual(['0_0', '0_1', '0_2']);
      await expect.poll(() => app.metrics().processed, { timeout: 10_000 }).toBe(inputs.length);
    } finally {
      await app.close();
    }
    expect(app.state).toBe('NOT_RUNNING');
    expect(states).toEqual(['REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING']);
    // The group committed every input offset on close.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: config.applicationId, topics: [input] });
      const committed = offsets!.partitions.reduce((sum, entry) => sum + Number(entry.offset), 0);
      expect(committed).toBe(inputs.length);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('rejects start() with a clear error naming missing source topics', async () => {
    const missing = uniqueTopic('smoke-missing');
    const app = new KafkaStreams(pipeTopology(missing, uniqueTopic('smoke-out')), {
      applicationId: uniqueTopic('smoke-missing-app'),
      bootstrapServers: bootstrapServers(),
      ...clientOption(bootstrapServers(), 'smoke-missing-app'),
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      logger: silentLogger,
    });
    await expect(app.start()).rejects.toThrow(missing);
    expect(app.state).toBe('ERROR');
    await app.close();
    expect(app.state).toBe('NOT_RUNNING');
  }, 30_000);
});
