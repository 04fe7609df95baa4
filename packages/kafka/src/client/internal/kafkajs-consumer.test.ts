import { describe, expect, it } from 'vitest';
import type { Consumer, ConsumerConfig, ConsumerRunConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { DEFAULT_KAFKAJS_FETCH_SIZES, KafkajsConsumer } from './kafkajs-consumer.js';

/** A kafkajs consumer whose `run` hands one batch of partition 0 of `in` to `eachBatch`, counting the heartbeats it is sent meanwhile. */
function fakeKafka() {
  const heartbeats: number[] = [];
  let batchDone: Promise<void> | undefined;
  const consumer = {
    events: { END_BATCH_PROCESS: 'end-batch' },
    on: () => () => {},
    run: async ({ eachBatch }: ConsumerRunConfig) => {
      const batch = { topic: 'in', partition: 0, messages: [], highWatermark: '1', lastOffset: () => '0' };
      const payload = { batch, resolveOffset: () => {}, heartbeat: async () => void heartbeats.push(Date.now()) } as unknown as EachBatchPayload;
      batchDone = eachBatch!(payload);
    },
  };
  const configs: ConsumerConfig[] = [];
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      configs.push(config);
      return consumer as unknown as Consumer;
    },
  } as unknown as Kafka;
  return { kafka, heartbeats, configs, batchDone: () => batchDone! };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('KafkajsConsumer', () => {
  it('heartbeats while a batch is processed (kafkajs itself heartbeats only between batches), and stops when it is done', async () => {
    const { kafka, heartbeats, batchDone } = fakeKafka();
    const consumer = new KafkajsConsumer(kafka, undefined, { groupId: 'app', sessionTimeoutMs: 300, heartbeatIntervalMs: 20 }, DEFAULT_KAFKAJS_FETCH_SIZES);
    // A batch whose processing (with a commit) outlasts the session: without heartbeats the group would drop the member.
    await consumer.run(() => sleep(400), { manualPositions: true });
    await batchDone();
    expect(heartbeats.length).toBeGreaterThanOrEqual(5);
    const gaps = heartbeats.slice(1).map((at, index) => at - heartbeats[index]!);
    expect(Math.max(...gaps)).toBeLessThan(300);
    const after = heartbeats.length;
    await sleep(100);
    expect(heartbeats.length).toBe(after);
  });

  it('asks kafkajs for fetches of the sizes it is given (kafkajs would ask 1 MiB a partition and 10 MiB a fetch)', () => {
    const { kafka, configs } = fakeKafka();
    new KafkajsConsumer(kafka, undefined, { groupId: 'app', sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000 }, { partitionMaxBytes: 65_536, maxBytes: 1_048_576 });
    new KafkajsConsumer(kafka, undefined, { groupId: 'app', sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000 }, DEFAULT_KAFKAJS_FETCH_SIZES);
    expect(configs.map(({ maxBytesPerPartition, maxBytes }) => ({ maxBytesPerPartition, maxBytes }))).toEqual([
      { maxBytesPerPartition: 65_536, maxBytes: 1_048_576 },
      { maxBytesPerPartition: 128 * 1024, maxBytes: 4 * 1024 * 1024 },
    ]);
  });

  it("leaves the group again when a join kafkajs' own restart began outlives disconnect(), without reporting that membership", async () => {
    const listeners = new Map<string, (event: { payload: unknown }) => void>();
    let disconnects = 0;
    const inner = {
      events: { GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash', END_BATCH_PROCESS: 'end-batch' },
      on: (event: string, listener: (event: { payload: unknown }) => void) => void listeners.set(event, listener),
      connect: async () => {},
      subscribe: async () => {},
      disconnect: async () => void disconnects++,
    };
    const kafka = { consumer: () => inner as unknown as Consumer } as unknown as Kafka;
    const consumer = new KafkajsConsumer(kafka, undefined, { groupId: 'app', sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000 }, DEFAULT_KAFKAJS_FETCH_SIZES);
    const assigned: string[] = [];
    await consumer.connect();
    await consumer.subscribe(['in'], { onAssigned: ({ memberId }) => void assigned.push(memberId) });
    const join = (memberId: string): void => listeners.get('join')!({ payload: { memberId, memberAssignment: { in: [0, 1] } } });
    join('member-1');
    expect(assigned).toEqual(['member-1']);
    await consumer.disconnect();
    expect(disconnects).toBe(1);
    // kafkajs' restart, scheduled at a crash before the disconnect, finishes joining once the brokers are back.
    join('member-2');
    await new Promise((resolve) => setImmediate(resolve));
    expect(disconnects).toBe(2);
    expect(assigned).toEqual(['member-1']);
    // Connected again (a consumer reused), its joins count as before.
    await consumer.connect();
    join('member-3');
    await new Promise((resolve) => setImmediate(resolve));
    expect(disconnects).toBe(2);
    expect(assigned).toEqual(['member-1', 'member-3']);
  });
});
