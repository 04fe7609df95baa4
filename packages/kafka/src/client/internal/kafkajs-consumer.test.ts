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

  /** A kafkajs consumer whose `run` resolves when the test says (its join), recording the calls. */
  function scriptedKafka() {
    const listeners = new Map<string, (event: { payload: unknown }) => void>();
    const calls: string[] = [];
    const joins: (() => void)[] = [];
    const inner = {
      events: { GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash', END_BATCH_PROCESS: 'end-batch' },
      on: (event: string, listener: (event: { payload: unknown }) => void) => void listeners.set(event, listener),
      logger: () => ({ error: (message: string) => void calls.push(`log: ${message}`) }),
      connect: async () => void calls.push('connect'),
      subscribe: async () => {},
      run: () => {
        calls.push('run');
        return new Promise<void>((resolve) => joins.push(resolve));
      },
      disconnect: async () => void calls.push('disconnect'),
    };
    const configs: ConsumerConfig[] = [];
    const kafka = { consumer: (config: ConsumerConfig) => (configs.push(config), inner as unknown as Consumer) } as unknown as Kafka;
    const emit = (event: string, payload: unknown): void => listeners.get(event)!({ payload });
    const joined = (memberId: string): void => {
      emit('join', { memberId, memberAssignment: { in: [0, 1] } });
      joins.shift()!();
    };
    const crash = (name: string, retryTime?: number): void => {
      const error = Object.assign(new Error('Connection error'), { name, retryTime });
      emit('crash', { error, groupId: 'app', restart: false });
      joins.shift()?.();
    };
    return { kafka, calls, joined, crash, configs };
  }

  async function scriptedConsumer(mayRestart?: () => boolean) {
    const script = scriptedKafka();
    const consumer = new KafkajsConsumer(script.kafka, { initialRetryTime: 10 }, { groupId: 'app', sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000, ...(mayRestart === undefined ? {} : { mayRestart }) }, DEFAULT_KAFKAJS_FETCH_SIZES);
    const assigned: string[] = [];
    const failures: string[] = [];
    await consumer.connect();
    await consumer.subscribe(['in'], { onAssigned: ({ memberId }) => void assigned.push(memberId), onFailed: (error) => void failures.push(String(error)) });
    /** Runs the consumer and lets kafkajs' join complete as `memberId`. */
    const runAndJoin = async (memberId: string): Promise<void> => {
      const running = consumer.run(async () => {});
      script.joined(memberId);
      await running;
    };
    return { ...script, consumer, assigned, failures, runAndJoin };
  }

  it('restarts kafkajs itself after a crash kafkajs would restart from, after its retry time, and tells kafkajs not to', async () => {
    const { calls, joined, crash, assigned, failures, configs, runAndJoin } = await scriptedConsumer();
    expect(await configs[0]!.retry!.restartOnFailure!(new Error('any'))).toBe(false);
    await runAndJoin('member-1');
    crash('KafkaJSNumberOfRetriesExceeded', 30);
    expect(calls).toEqual(['connect', 'run', 'log: Restarting the consumer in 30ms']);
    await sleep(60);
    expect(calls.slice(3)).toEqual(['run']);
    joined('member-2');
    expect(assigned).toEqual(['member-1', 'member-2']);
    expect(failures).toEqual([]);
  });

  it('reports a crash it does not restart from: not retriable, or the thread said no', async () => {
    const notRetriable = await scriptedConsumer();
    void notRetriable.consumer.run(async () => {});
    notRetriable.crash('KafkaJSNonRetriableError');
    expect(notRetriable.failures).toHaveLength(1);
    const refused = await scriptedConsumer(() => false);
    void refused.consumer.run(async () => {});
    refused.crash('KafkaJSNumberOfRetriesExceeded', 5);
    expect(refused.failures).toHaveLength(1);
    await sleep(30);
    expect(refused.calls.filter((call) => call === 'run')).toHaveLength(1);
  });

  it('cancels a restart that has not begun when disconnected', async () => {
    const { consumer, calls, crash, runAndJoin } = await scriptedConsumer();
    await runAndJoin('member-1');
    crash('KafkaJSNumberOfRetriesExceeded', 30);
    await consumer.disconnect();
    await sleep(60);
    expect(calls.filter((call) => call === 'run')).toHaveLength(1);
    expect(calls.at(-1)).toBe('disconnect');
  });

  it('lets a join in progress (a restart while the brokers are down) finish before kafkajs is told to stop, so that its stop leaves the group; that membership is not reported', async () => {
    // kafkajs' stop() returns at once for a runner still joining and lets the join go on: stopped then, the
    // consumer would become a member once the brokers are back, holding partitions and processing nothing.
    const { consumer, calls, joined, crash, assigned, runAndJoin } = await scriptedConsumer();
    await runAndJoin('member-1');
    crash('KafkaJSNumberOfRetriesExceeded', 5);
    await sleep(30);
    expect(calls.filter((call) => call === 'run')).toHaveLength(2);
    let disconnected = false;
    const disconnecting = consumer.disconnect().then(() => void (disconnected = true));
    await sleep(20);
    expect(disconnected).toBe(false);
    expect(calls.at(-1)).toBe('run');
    joined('member-2');
    await disconnecting;
    expect(calls.at(-1)).toBe('disconnect');
    expect(assigned).toEqual(['member-1']);
    // Connected again (a consumer reused), its joins count as before.
    await consumer.connect();
    await runAndJoin('member-3');
    expect(assigned).toEqual(['member-1', 'member-3']);
  });

  it('lets a restart that fails while disconnecting end there: no further restart', async () => {
    const { consumer, calls, crash, runAndJoin } = await scriptedConsumer();
    await runAndJoin('member-1');
    crash('KafkaJSNumberOfRetriesExceeded', 5);
    await sleep(30);
    const disconnecting = consumer.disconnect();
    crash('KafkaJSNumberOfRetriesExceeded', 5);
    await disconnecting;
    await sleep(30);
    expect(calls.filter((call) => call === 'run')).toHaveLength(2);
    expect(calls.at(-1)).toBe('disconnect');
  });
});
