import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { topologyBuilder, type InternalTopologyBuilder } from '@tributary/streams/engine';
import { TaskCorruptedError } from '../errors.js';
import { resolveKafkaStreamsOptions } from '../options.js';
import { StreamThread } from './stream-thread.js';
import type { KafkaClientSupplier, StreamsAdmin, StreamsConsumer } from '../client/kafka-client.js';
import { planTopics } from './topic-plan.js';

const internal = (topology: Topology): InternalTopologyBuilder => topologyBuilder(topology)!;

/**
 * A client whose consumer connects and subscribes but whose `run()` never returns, as kafkajs'
 * does when its first join waits for ever (`run()` awaits the join; seen after a broker holding
 * the group coordinator was killed).
 */
function clientWithStuckJoin(): { client: KafkaClientSupplier; disconnected: () => boolean } {
  let disconnected = false;
  const consumer: Partial<StreamsConsumer> = {
    connect: async () => {},
    subscribe: async () => {},
    run: () => new Promise<void>(() => {}),
    pause: () => {},
    disconnect: async () => {
      disconnected = true;
    },
  };
  const client = { consumer: () => consumer as StreamsConsumer, producer: () => ({ connect: async () => {}, disconnect: async () => {} }) } as unknown as KafkaClientSupplier;
  return { client, disconnected: () => disconnected };
}

describe('StreamThread start', () => {
  it('fails, to be replaced, when its first join never completes, instead of waiting in silence', { timeout: 20_000 }, async () => {
    const builder = new StreamsBuilder();
    builder.stream('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).to('out');
    const topology = internal(builder.build());
    const options = resolveKafkaStreamsOptions({
      applicationId: 'stuck-join',
      bootstrapServers: '127.0.0.1:9',
      processingGuarantee: 'exactly_once',
      consumer: { sessionTimeoutMs: 1000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 1000 },
      logger: silentLogger,
    });
    const { client } = clientWithStuckJoin();
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
      callbacks: { onRunning: () => {}, onRebalancing: () => {}, onFatal: (error) => void failures.push(error) },
    });
    void thread.start().catch(() => {});
    const deadline = Date.now() + 10_000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TaskCorruptedError);
    expect((failures[0] as Error).message).toMatch(/did not join its group and run its tasks within 2 s/);
    await thread.close();
  });
});
