import { describe, expect, it } from 'vitest';
import type { Kafka, Producer, ProducerBatch } from 'kafkajs';
import { KafkajsProducer } from './kafkajs-producer.js';

/** kafkajs producers whose sends wait until the test acknowledges them, each send noted with the producer it went through. */
function fakeKafka() {
  const sends: { producer: number; topic: string; partition: number | undefined; acknowledge: () => void }[] = [];
  let made = 0;
  const kafka = {
    producer: () => {
      const index = made++;
      const producer = {
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: ({ topicMessages }: ProducerBatch) =>
          new Promise((resolve) => {
            const { topic, messages } = topicMessages![0]!;
            sends.push({ producer: index, topic, partition: messages[0]!.partition, acknowledge: () => resolve([{ topicName: topic, partition: messages[0]!.partition, errorCode: 0, baseOffset: '7' }]) });
          }),
      };
      return producer as unknown as Producer;
    },
  } as unknown as Kafka;
  return { kafka, sends };
}

const record = (partition: number) => ({ key: null, value: Buffer.from('v'), partition });

describe('KafkajsProducer', () => {
  it("sends different partitions' records through different kafkajs producers, so their requests overlap", async () => {
    const { kafka, sends } = fakeKafka();
    const producer = new KafkajsProducer(kafka);
    // kafkajs lets an idempotent producer have one request to a broker in flight: through one producer these would go one after the other.
    const pending = [0, 1, 2, 3].map((partition) => producer.send('out', [record(partition)]));
    expect(new Set(sends.map((send) => send.producer)).size).toBe(4);
    for (const send of sends) send.acknowledge();
    expect(await Promise.all(pending)).toEqual([0, 1, 2, 3].map((partition) => [{ topic: 'out', partition, baseOffset: 7 }]));
  });

  it('sends every record of one partition through the same producer, so they keep their order and sequence numbers', async () => {
    const { kafka, sends } = fakeKafka();
    const producer = new KafkajsProducer(kafka);
    const partitions = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const pending: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) for (const partition of partitions) pending.push(producer.send(round === 2 ? 'other' : 'out', [record(partition)]));
    for (const send of sends) send.acknowledge();
    await Promise.all(pending);
    const producerOf = new Map<string, Set<number>>();
    for (const { topic, partition, producer: index } of sends) {
      const key = `${topic}:${partition}`;
      producerOf.set(key, (producerOf.get(key) ?? new Set()).add(index));
    }
    expect([...producerOf.values()].every((used) => used.size === 1)).toBe(true);
    expect(producerOf.size).toBe(20);
  });
});
