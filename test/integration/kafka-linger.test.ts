/**
 * Records go out as they are produced, batched with a short linger (`LINGER_MS` in the record
 * collector), not only at the next commit: under at-least-once a consumer reads a stateless
 * pipe's output, and a repartitioned stream's, long before a commit interval has passed; under
 * exactly-once they are written inside the task's open transaction, so a read-uncommitted consumer
 * sees them before the commit and a read-committed one only after it.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Consumed, Produced, Repartitioned, Serdes, StreamsBuilder, type Topology } from '@tributary/streams';
import { createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, produce, startApp, type InputRecord } from './helpers/streams-app.js';

const strings = Consumed.with(Serdes.String(), Serdes.String());
const writeStrings = Produced.with(Serdes.String(), Serdes.String());

function records(count: number): InputRecord<string, string>[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, index) => ({ key: `k${index % 7}`, value: `v${index}`, timestamp: now + index }));
}

/** Reads `topic` from the beginning into `into`, read_uncommitted or read_committed, until the test ends. */
async function readInto(topic: string, into: KafkaMessage[], readUncommitted: boolean): Promise<void> {
  const consumer = kafkaClient('tributary-it-linger-reader').consumer({ groupId: `it-linger-${randomUUID().slice(0, 8)}`, readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 6_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  onTestFinished(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      into.push(...batch.messages);
    },
  });
}

async function within(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe('KafkaStreams sends records as they are produced', () => {
  it('at-least-once: a pipe and a repartitioned stream reach their outputs well within a 60 s commit interval', { timeout: 60_000 }, async () => {
    const input = uniqueTopic('it-linger-in');
    const piped = uniqueTopic('it-linger-pipe');
    const rekeyed = uniqueTopic('it-linger-rekeyed');
    await createTopics(kafkaClient(), [
      { topic: input, numPartitions: 2 },
      { topic: piped, numPartitions: 2 },
      { topic: rekeyed, numPartitions: 2 },
    ]);
    const builder = new StreamsBuilder();
    const stream = builder.stream(input, strings);
    stream.mapValues((value) => value.toUpperCase()).to(piped, writeStrings);
    // Through a repartition topic: the record is sent there, consumed again and sent on.
    stream
      .selectKey((_key, value) => value)
      .repartition(Repartitioned.with(Serdes.String(), Serdes.String()))
      .to(rekeyed, writeStrings);
    const topology: Topology = builder.build();
    await startApp(topology, { commitIntervalMs: 60_000 });
    const sent = Date.now();
    await produce({ topic: input, records: records(50) });
    const pipedOut = await consumeUntil(piped, 50, { timeoutMs: 15_000 });
    const rekeyedOut = await consumeUntil(rekeyed, 50, { timeoutMs: 15_000 });
    expect(Date.now() - sent).toBeLessThan(30_000);
    expect(pipedOut.map((record) => record.value).sort()).toEqual(records(50).map((record) => record.value!.toUpperCase()).sort());
    expect(rekeyedOut.map((record) => record.key).sort()).toEqual(records(50).map((record) => record.value).sort());
  });

  it('exactly-once: records are written inside the open transaction, visible to read-committed consumers only after the commit', { timeout: 60_000 }, async () => {
    const input = uniqueTopic('it-linger-eos-in');
    const output = uniqueTopic('it-linger-eos-out');
    await createTopics(kafkaClient(), [
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1 },
    ]);
    const builder = new StreamsBuilder();
    builder.stream(input, strings).mapValues((value) => `${value}!`).to(output, writeStrings);
    const commitIntervalMs = 15_000;
    await startApp(builder.build(), { processingGuarantee: 'exactly_once', commitIntervalMs });
    const uncommitted: KafkaMessage[] = [];
    const committed: KafkaMessage[] = [];
    await readInto(output, uncommitted, true);
    await readInto(output, committed, false);
    await produce({ topic: input, records: records(20) });
    const sent = Date.now();
    // Sent (inside the transaction) well before the commit...
    expect(await within(() => uncommitted.length >= 20, 6_000)).toBe(true);
    // ...and not readable committed before it.
    expect(committed).toHaveLength(0);
    expect(Date.now() - sent).toBeLessThan(commitIntervalMs / 2);
    expect(await within(() => committed.length >= 20, commitIntervalMs + 15_000)).toBe(true);
    expect(committed.map((message) => String(message.value))).toEqual(records(20).map((record) => `${record.value}!`));
  });
});
