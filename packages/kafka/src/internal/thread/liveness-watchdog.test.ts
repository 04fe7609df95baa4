import { describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder, silentLogger } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import type { KafkaClientSupplier, StreamsAdmin, StreamsConsumer } from '../../client/kafka-client.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError, TaskMigratedError } from '../../errors.js';
import { resolveKafkaStreamsOptions } from '../../options.js';
import { StreamThread } from '../stream-thread.js';
import { planTopics } from '../topic-plan.js';
import { LivenessWatchdog, type LivenessWatchdogOptions } from './liveness-watchdog.js';
import { startThread, values } from './thread-test-kit.js';

function watchdog(overrides: Partial<LivenessWatchdogOptions> = {}): { watchdog: LivenessWatchdog; failures: unknown[]; clock: { now: number } } {
  const failures: unknown[] = [];
  const clock = { now: 1_000_000 };
  const created = new LivenessWatchdog({
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    fail: (error) => void failures.push(error),
    starting: () => true,
    restoring: () => false,
    now: () => clock.now,
    ...overrides,
  });
  return { watchdog: created, failures, clock };
}

describe('LivenessWatchdog', () => {
  it('lets a thread act while its ticks come within the session timeout', () => {
    const { watchdog: dog, failures, clock } = watchdog();
    for (let tick = 0; tick < 5; tick++) {
      clock.now += 9_000;
      expect(dog.tick()).toBe(true);
    }
    expect(dog.expelled()).toBe(false);
    expect(failures).toEqual([]);
  });

  it('fails the thread with TaskMigratedError when the process was silent past its session timeout', () => {
    const { watchdog: dog, failures, clock } = watchdog();
    clock.now += 12_400;
    expect(dog.tick()).toBe(false);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TaskMigratedError);
    expect((failures[0] as Error).message).toContain('did not run for 12 s, longer than the session timeout');
  });

  it('fails on lost membership only when the member held tasks', () => {
    const { watchdog: dog, failures } = watchdog();
    dog.membershipLost([]);
    expect(failures).toEqual([]);
    dog.membershipLost(['0_0', '1_2']);
    expect(failures[0]).toBeInstanceOf(TaskMigratedError);
    expect((failures[0] as Error).message).toContain('[0_0, 1_2]');
  });

  it('fails a start whose join never completes, but waits for a restore in progress', () => {
    vi.useFakeTimers();
    try {
      let restoring = true;
      let starting = true;
      const { watchdog: dog, failures } = watchdog({ restoring: () => restoring, starting: () => starting });
      dog.watchStart();
      vi.advanceTimersByTime(15_000);
      expect(failures).toEqual([]);
      restoring = false;
      vi.advanceTimersByTime(15_000);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(TaskCorruptedError);
      expect((failures[0] as Error).message).toBe('The stream thread did not join its group and run its tasks within 15 s.');
      starting = false;
      const second = watchdog({ starting: () => starting });
      second.watchdog.watchStart();
      vi.advanceTimersByTime(30_000);
      expect(second.failures).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('StreamThread liveness, through the client seam', () => {
  it('fails with TaskMigratedError, committing nothing more, when it lost its membership while holding tasks', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster);
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']));
    const [memberId] = cluster.memberIds('app');
    await cluster.expireSession('app', memberId!);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskMigratedError);
    expect((fatal[0] as Error).message).toContain('[0_0]');
    // The revoke's commit went to the old generation before the loss was known; nothing after.
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(1);
    const commits = cluster.requests.filter((request) => request.operation === 'commitOffsets').length;
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cluster.requests.filter((request) => request.operation === 'commitOffsets')).toHaveLength(commits);
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']);
  });

  it('hands its producer a gate that shuts, failing the thread as migrated, once the process was stopped past its session timeout', async () => {
    const cluster = new FakeKafkaCluster();
    const clients = cluster.supplier();
    let mayDispatch: (() => boolean) | undefined;
    const client: KafkaClientSupplier = {
      ...clients,
      producer: (config) => {
        mayDispatch = config?.mayDispatch;
        return clients.producer(config);
      },
    };
    const { fatal, started } = await startThread(cluster, { client, options: { consumer: { sessionTimeoutMs: 1000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 1000 } } });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']));
    expect(mayDispatch?.()).toBe(true);
    // The process stops (a freeze, a long pause) for longer than the session timeout: nothing runs meanwhile.
    for (const until = Date.now() + 1_300; Date.now() < until; );
    // The first thing to run after it may be a send the client library answers before any timer of the thread fires.
    expect(mayDispatch!()).toBe(false);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(TaskMigratedError);
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']);
  });

  it('sends and commits everything at close even when the close waits longer than the session timeout for an acknowledgement', async () => {
    const cluster = new FakeKafkaCluster();
    const clients = cluster.supplier();
    let inFlight = 0;
    // Every send is acknowledged 1.5 s late: longer than the 1 s session timeout, in which the process runs all along.
    const client: KafkaClientSupplier = {
      ...clients,
      producer: (config) => {
        const producer = clients.producer(config);
        return {
          connect: () => producer.connect(),
          disconnect: () => producer.disconnect(),
          send: async (topic, records) => {
            inFlight++;
            await new Promise((resolve) => setTimeout(resolve, 1_500));
            inFlight--;
            return producer.send(topic, records);
          },
        };
      },
    };
    const { thread, fatal, started } = await startThread(cluster, { client, options: { consumer: { sessionTimeoutMs: 1000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 1000 } } });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(inFlight).toBe(1));
    // Processed while that send is in flight, so sent by the close's flush once it is acknowledged, 1.5 s into the close.
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await thread.close();
    expect(fatal).toEqual([]);
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO']);
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(2);
  });

  it('fails, to be replaced, when its first join never completes, instead of waiting in silence', { timeout: 20_000 }, async () => {
    const builder = new StreamsBuilder();
    builder.stream('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).to('out');
    const topology = topologyBuilder(builder.build())!;
    const options = resolveKafkaStreamsOptions({
      applicationId: 'stuck-join',
      bootstrapServers: '127.0.0.1:9',
      processingGuarantee: 'exactly_once',
      consumer: { sessionTimeoutMs: 1000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 1000 },
      logger: silentLogger,
    });
    // A consumer that connects and subscribes but whose run() never returns, as kafkajs' does when
    // its first join waits for ever (seen after a broker holding the group coordinator was killed).
    const consumer: Partial<StreamsConsumer> = { connect: async () => {}, subscribe: async () => {}, run: () => new Promise<void>(() => {}), pause: () => {}, disconnect: async () => {} };
    const client = { consumer: () => consumer as StreamsConsumer, producer: () => ({ connect: async () => {}, disconnect: async () => {} }) } as unknown as KafkaClientSupplier;
    const failures: unknown[] = [];
    const thread = new StreamThread({
      client,
      admin: {} as StreamsAdmin,
      builder: topology,
      options,
      plan: planTopics(topology, 'stuck-join', new Map([['clicks', 1]])),
      globalStores: new Map(),
      flushGlobals: () => {},
      processId: 'test',
      threadId: 'stuck-join-StreamThread-1',
      threadIndex: 1,
      callbacks: { onRunning: () => {}, onRebalancing: () => {}, onFatal: (error) => void failures.push(error) },
    });
    void thread.start().catch(() => {});
    await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(failures[0]).toBeInstanceOf(TaskCorruptedError);
    expect((failures[0] as Error).message).toMatch(/did not join its group and run its tasks within 2 s/);
    expect(thread.state).toBe('PENDING_SHUTDOWN');
    await thread.close();
    expect(thread.state).toBe('DEAD');
  });
});
