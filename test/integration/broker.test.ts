/**
 * The broker harness itself: the broker started by scripts/kafka-broker.sh takes topics with
 * several partitions, keyed records, consumer groups and transactions, which later tests build on.
 */
import { describe, expect, it } from 'vitest';
import { createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';

describe('local Kafka broker', () => {
  it('round-trips keyed records through a 3-partition topic with a consumer group', async () => {
    const kafka = kafkaClient();
    const topic = uniqueTopic('it-broker');
    await createTopics(kafka, [{ topic, numPartitions: 3 }]);

    const producer = inputProducer(kafka);
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, index) => ({ key: `k${index % 7}`, value: `v${index}` }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueTopic('it-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string; partition: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${sent.length} records arrived`)), 30_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            received.push({ key: message.key!.toString(), value: message.value!.toString(), partition: batch.partition });
          }
          if (received.length >= sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();

    expect(received.map(({ key, value }) => ({ key, value })).sort((a, b) => a.value.localeCompare(b.value))).toEqual(
      [...sent].sort((a, b) => a.value.localeCompare(b.value)),
    );
    // Records with one key land in one partition (default murmur2 partitioning).
    const partitionsByKey = new Map<string, Set<number>>();
    for (const { key, partition } of received) partitionsByKey.set(key, (partitionsByKey.get(key) ?? new Set()).add(partition));
    for (const partitions of partitionsByKey.values()) expect(partitions.size).toBe(1);
    expect(new Set(received.map((record) => record.partition)).size).toBeGreaterThan(1);
  });

  it('commits and aborts transactions, and read_committed consumers see only committed records', async () => {
    const kafka = kafkaClient();
    const topic = uniqueTopic('it-txn');
    await createTopics(kafka, [{ topic }]);

    const producer = kafka.producer({ transactionalId: uniqueTopic('it-txn-id'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: 'kept-1' }, { value: 'kept-2' }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: 'aborted' }] });
    await aborted.abort();
    const last = await producer.transaction();
    await last.send({ topic, messages: [{ value: 'kept-3' }] });
    await last.commit();
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueTopic('it-txn-group'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${JSON.stringify(values)}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.includes('kept-3')) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(values).toEqual(['kept-1', 'kept-2', 'kept-3']);
  });
});
