import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Partitioners, type Kafka, type Message, type PartitionerArgs, type Producer, type ProducerBatch } from 'kafkajs';
import { KafkajsProducer } from './kafkajs-producer.js';

type GroupMessages = (request: { topic: string; partitionMetadata: PartitionerArgs['partitionMetadata']; messages: Message[]; partitioner: (args: PartitionerArgs) => number }) => Record<number, Message[]>;
/** kafkajs' own grouping of a send's messages by partition, which every send goes through. */
const groupMessagesPerPartition = createRequire(import.meta.url)('kafkajs/src/producer/groupMessagesPerPartition.js') as GroupMessages;

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

/** The messages one `send` hands kafkajs, taken from a fake producer that acknowledges at once. */
async function messagesSent(records: readonly { key: Buffer | null; value: Buffer | null; partition: number }[]): Promise<Message[]> {
  let sent: Message[] | undefined;
  const kafka = {
    producer: () =>
      ({
        sendBatch: ({ topicMessages }: ProducerBatch) => {
          sent = topicMessages![0]!.messages;
          return Promise.resolve([]);
        },
      }) as unknown as Producer,
  } as unknown as Kafka;
  await new KafkajsProducer(kafka).send('out', records);
  return sent!;
}

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
    // Each producer is handed its next request once the one before is acknowledged.
    for (let acknowledged = 0; acknowledged < pending.length; await new Promise((resolve) => setImmediate(resolve))) {
      for (const send of sends.slice(acknowledged)) send.acknowledge();
      acknowledged = sends.length;
    }
    await Promise.all(pending);
    const producerOf = new Map<string, Set<number>>();
    for (const { topic, partition, producer: index } of sends) {
      const key = `${topic}:${partition}`;
      producerOf.set(key, (producerOf.get(key) ?? new Set()).add(index));
    }
    expect([...producerOf.values()].every((used) => used.size === 1)).toBe(true);
    expect(producerOf.size).toBe(20);
  });

  it('hands each kafkajs producer one request at a time, and none once the thread may no longer send', async () => {
    const { kafka, sends } = fakeKafka();
    let mayDispatch = true;
    const producer = new KafkajsProducer(kafka, { mayDispatch: () => mayDispatch });
    // Partitions 0 and 4 go through the same producer (given out in turn to the four); kafkajs would queue 4 behind 0 itself.
    const first = producer.send('out', [record(0)]);
    const others = [1, 2, 3].map((partition) => producer.send('out', [record(partition)]));
    const queued = producer.send('out', [record(4)]);
    expect(sends.map((send) => send.partition)).toEqual([0, 1, 2, 3]);
    // The process was stopped past its session timeout; the answer to partition 0's request comes after.
    mayDispatch = false;
    sends[0]!.acknowledge();
    await first;
    await expect(queued).rejects.toMatchObject({ kind: 'group-fenced' });
    expect(sends.map((send) => send.partition)).toEqual([0, 1, 2, 3]);
    for (const send of sends.slice(1)) send.acknowledge();
    await Promise.all(others);
  });

  it("gives kafkajs' grouping by partition the same groups as a plain array of the records, in one step rather than a copy per message", async () => {
    const partitionMetadata = Array.from({ length: 8 }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 7 }), fc.array(fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }), { maxLength: 30 }), async (partition, others) => {
        // Mostly one partition's records, as the collector sends; sometimes others mixed in, which must still group as kafkajs does.
        const records = [record(partition), ...others.map((other) => record(other ?? partition))];
        const messages = await messagesSent(records);
        const request = { topic: 'out', partitionMetadata, partitioner: Partitioners.DefaultPartitioner() };
        let partitionerCalls = 0;
        const grouped = groupMessagesPerPartition({ ...request, messages, partitioner: (args) => (partitionerCalls++, request.partitioner(args)) });
        expect(grouped).toEqual(groupMessagesPerPartition({ ...request, messages: [...records] }));
        for (const group of Object.values(grouped)) expect(Array.isArray(group) && Object.getPrototypeOf(group) === Array.prototype && !Object.hasOwn(group, 'reduce')).toBe(true);
        // One partition: kafkajs' reducer (and its partitioner, per message) never ran.
        const onePartition = records.every((each) => each.partition === partition);
        expect(partitionerCalls).toBe(onePartition ? 0 : records.length);
        expect(records.every((each, index) => messages[index] === each)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
