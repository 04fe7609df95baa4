/**
 * Records the brokers refuse, end to end: the production handler decides per failed record
 * (continue, dead letter, fail), for record-level errors (too large) and for retriable errors that
 * exhausted kafkajs' retries. Also the application-wide cache budget shared among caching stores.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { Consumed, DeadLetterHeaders, Produced, Serdes, StreamsBuilder, deadLetterTopic, logAndFail, type ProductionExceptionHandler, type Topology } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, deleteTopicsWithPrefix, startApp, waitFor, type TestApp } from './helpers/streams-app.js';

const testTimeout = 60_000;
const baseTime = Date.now() - 60_000;

/** Creates a topic with topic configs for the current test, deleted when it ends. */
async function createTopicWithConfigs(topic: string, configs: Record<string, string>): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  onTestFinished(async () => {
    const cleanup = kafkaClient().admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [topic], timeout: 10_000 }).finally(() => cleanup.disconnect());
  });
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    });
  } finally {
    await admin.disconnect();
  }
}

function pipe(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder.stream(input, Consumed.with(Serdes.String(), Serdes.String())).to(output, Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

async function produceStrings(topic: string, records: ReadonlyArray<{ key: string; value: string }>): Promise<void> {
  const producer = kafkaClient().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map((record, index) => ({ key: record.key, value: record.value, timestamp: String(baseTime + index) })) });
  } finally {
    await producer.disconnect();
  }
}

const big = 'x'.repeat(8_000);

describe('KafkaStreams production errors on Kafka', () => {
  it('a record too large for its topic goes to the production handler: dead-lettered and dropped, the rest is written', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-prod-in');
    const output = uniqueTopic('it-prod-out');
    const dlq = uniqueTopic('it-prod-dlq');
    await createTopics(kafkaClient(), [{ topic: input }, { topic: dlq }]);
    await createTopicWithConfigs(output, { 'max.message.bytes': '2048' });
    const seen: string[] = [];
    const toDlq = deadLetterTopic({ topic: dlq });
    const handler: ProductionExceptionHandler = (context, record, error) => {
      seen.push(`${String(record.key)}: ${error.message}`);
      return toDlq(context, record, error);
    };
    const testApp = await startApp(pipe(input, output), { productionExceptionHandler: handler });
    await produceStrings(input, [
      { key: 'a', value: 'small-1' },
      { key: 'b', value: big },
      { key: 'c', value: 'small-2' },
    ]);
    const letters = await consumeUntil(dlq, 1, { valueSerde: Serdes.String(), timeoutMs: 30_000 });
    const written = await consumeUntil(output, 2, { valueSerde: Serdes.String(), timeoutMs: 30_000 });
    expect(written.map((record) => record.value).sort()).toEqual(['small-1', 'small-2']);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.value).toBe(big);
    expect(letters[0]!.headers[DeadLetterHeaders.topic]).toBe(input);
    expect(letters[0]!.headers[DeadLetterHeaders.offset]).toBe('1');
    expect(seen).toHaveLength(1);
    expect(testApp.app.metrics().dropped.get('production-error')).toBe(1);
    expect(testApp.state()).toBe('RUNNING');
    expect(testApp.logger.lines.some((line) => line.level === 'warn' && line.message.includes(`Dropped 1 record(s) the brokers refused for topic '${output}'`))).toBe(true);
  });

  it('when the production handler fails, the application stops in ERROR with an error naming the topic', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-prodfail-in');
    const output = uniqueTopic('it-prodfail-out');
    await createTopics(kafkaClient(), [{ topic: input }]);
    await createTopicWithConfigs(output, { 'max.message.bytes': '2048' });
    let errors = 0;
    const fail = logAndFail();
    const testApp: TestApp = await startApp(pipe(input, output), {
      productionExceptionHandler: (context, record, error) => {
        errors++;
        return fail(context, record, error);
      },
    });
    await produceStrings(input, [{ key: 'a', value: big }]);
    await waitFor(() => testApp.state() === 'ERROR', () => `state ERROR (states: ${testApp.states.join(' → ')})`, 30_000);
    expect(errors).toBe(1);
    const stopped = testApp.logger.lines.find((line) => line.message.startsWith('The application stopped on a fatal error'));
    expect(String(stopped?.fields?.error)).toContain(`could not be sent to topic '${output}'`);
    expect(String(stopped?.fields?.error)).toContain('production handler chose to fail');
  });
});

describe('KafkaStreams cacheMaxBytes', () => {
  /** The bounds of this instance's caches of a store (internals: the running tasks' store instances). */
  const cacheBounds = (testApp: TestApp, store: string): number[] =>
    ((testApp.app as unknown as { thread: { storesNamed(name: string): { cacheMaxBytes?: number }[] } }).thread.storesNamed(store) ?? []).map((instance) => instance.cacheMaxBytes!);

  it('divides the budget evenly among the caching stores of the running tasks, and again after a rebalance', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-cache-in');
    const output = uniqueTopic('it-cache-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }]);
    const topology = (): Topology => {
      const builder = new StreamsBuilder();
      builder
        .stream(input, Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .count()
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Float64()));
      return builder.build();
    };
    const store = (): string => {
      return [...topologyBuilder(topology())!.stores.keys()][0]!;
    };
    const applicationId = `it-cache-${Math.random().toString(36).slice(2, 10)}`;
    onTestFinished(() => deleteTopicsWithPrefix(`${applicationId}-`));
    const first = await startApp(topology(), { applicationId, cacheMaxBytes: 100_000 });
    expect(cacheBounds(first, store())).toEqual([50_000, 50_000]);
    const second = await startApp(topology(), { applicationId, cacheMaxBytes: 100_000 });
    await waitFor(() => cacheBounds(first, store()).length === 1 && cacheBounds(second, store()).length === 1, 'one task each', 40_000);
    expect(cacheBounds(first, store())).toEqual([100_000]);
    expect(cacheBounds(second, store())).toEqual([100_000]);
  });
});
