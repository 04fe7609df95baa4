import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, silentLogger } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { resolveKafkaStreamsOptions } from '../options.js';
import { StreamThread } from './stream-thread.js';
import { planTopics } from './topic-plan.js';

type Listener = (event: { payload: Record<string, unknown> }) => void;
type EachBatch = (payload: { batch: unknown; resolveOffset: (offset: string) => void; isStale: () => boolean }) => Promise<void>;

/** kafkajs' error for a broker that refused the connection (the killed leader or coordinator). */
function connectionRefused(): Error {
  const error = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9');
  error.name = 'KafkaJSConnectionError';
  return error;
}

/**
 * A kafkajs client for one member holding partition 0 of `clicks`, whose committed offset is
 * `committed`: the consumer hands batches to the thread when told, and every transactional
 * producer records what it does; the first transaction commit fails as if its coordinator had
 * been killed (the outcome unknown).
 */
function fakeClient(committed: number, offsetFetchFailures = 0, fenceDelayMs = 0) {
  const listeners = new Map<string, Listener[]>();
  let eachBatch: EachBatch | undefined;
  const seeks: string[] = [];
  const producers: { transactionalId: string; disconnected: boolean; fences: number; commits: { offsets: unknown }[] }[] = [];
  let commitsToFail = 1;
  const consumer = {
    events: { REBALANCING: 'rebalancing', GROUP_JOIN: 'group-join', CRASH: 'crash' },
    on: (event: string, listener: Listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => {};
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async (config: { eachBatch: EachBatch }) => {
      eachBatch = config.eachBatch;
      for (const listener of listeners.get('group-join') ?? []) listener({ payload: { memberId: 'member-1', memberAssignment: { clicks: [0] } } });
    },
    pause: () => {},
    resume: () => {},
    seek: ({ topic, partition, offset }: { topic: string; partition: number; offset: string }) => void seeks.push(`${topic}:${partition}@${offset}`),
    stop: async () => {},
    disconnect: async () => {},
  };
  const producer = ({ transactionalId }: { transactionalId: string }) => {
    const record = { transactionalId, disconnected: false, fences: 0, commits: [] as { offsets: unknown }[] };
    producers.push(record);
    let offsets: unknown;
    return {
      connect: async () => {},
      disconnect: async () => {
        record.disconnected = true;
      },
      transaction: async () => ({
        abort: async () => {
          if (record.fences === 0 && fenceDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, fenceDelayMs));
          record.fences++;
        },
        send: async () => [],
        sendBatch: async () => [],
        sendOffsets: async (given: unknown) => {
          offsets = given;
        },
        commit: async () => {
          if (commitsToFail > 0) {
            commitsToFail--;
            throw connectionRefused();
          }
          record.commits.push({ offsets });
        },
      }),
    };
  };
  const kafka = { consumer: () => consumer, producer } as unknown as Kafka;
  const admin = {
    fetchOffsets: async () => {
      if (offsetFetchFailures-- > 0) throw Object.assign(new Error('This is not the correct coordinator for this group'), { type: 'NOT_COORDINATOR_FOR_GROUP', retriable: true });
      return [{ topic: 'clicks', partitions: [{ partition: 0, offset: String(committed) }] }];
    },
    describeGroups: async () => {
      throw new Error('not needed without standbys');
    },
  } as unknown as Admin;
  const deliver = async (offset: number, stale = false): Promise<void> => {
    const message = { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '1000', offset: String(offset), attributes: 0, headers: {} } as KafkaMessage;
    const batch = { topic: 'clicks', partition: 0, messages: [message], highWatermark: String(offset + 1), lastOffset: () => String(offset) };
    await eachBatch!({ batch, resolveOffset: () => {}, isStale: () => stale });
  };
  return { kafka, admin, seeks, producers, deliver };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !condition(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
  }
}

function eosThread(client: ReturnType<typeof fakeClient>, failures: unknown[], consumer?: { sessionTimeoutMs: number; heartbeatIntervalMs: number; rebalanceTimeoutMs: number }): StreamThread {
  const builder = new StreamsBuilder();
  builder.stream('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).to('out');
  const topology = topologyBuilder(builder.build())!;
  const options = resolveKafkaStreamsOptions({ applicationId: 'revive', bootstrapServers: '127.0.0.1:9', processingGuarantee: 'exactly_once', commitIntervalMs: 100, logger: silentLogger, ...(consumer === undefined ? {} : { consumer }) });
  return new StreamThread({
    kafka: client.kafka,
    admin: client.admin,
    builder: topology,
    options,
    plan: planTopics(topology, 'revive', new Map([['clicks', 1]])),
    globalStores: new Map(),
    flushGlobals: () => {},
    processId: 'test',
    threadId: 'revive-StreamThread-1',
    callbacks: { onRunning: () => {}, onRebalancing: () => {}, onFatal: (error) => void failures.push(error) },
  });
}

describe('StreamThread under exactly-once', () => {
  it('does not take a join that completed for a stuck one while the assignment is applied (its producers fencing slowly)', { timeout: 20_000 }, async () => {
    // The join completes at once; fencing the task's previous owner takes 3 s, longer than the 2-s limit of a stuck join.
    const client = fakeClient(5, 0, 3000);
    const failures: unknown[] = [];
    const thread = eosThread(client, failures, { sessionTimeoutMs: 1000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 1000 });
    await thread.start();
    expect(failures).toEqual([]);
    expect(client.seeks).toEqual(['clicks:0@5']);
    await thread.close();
  });

  it('asks again for the committed offsets of restored tasks while the group coordinator moves (NOT_COORDINATOR), without failing', async () => {
    const client = fakeClient(5, 2);
    const failures: unknown[] = [];
    const thread = eosThread(client, failures);
    await thread.start();
    expect(failures).toEqual([]);
    expect(client.seeks).toEqual(['clicks:0@5']);
    await thread.close();
  });

  it('closes a task corrupted by a failed commit dirty and re-initializes it from its committed offsets inside the thread, which is not failed', async () => {
    const client = fakeClient(5);
    const failures: unknown[] = [];
    const thread = eosThread(client, failures);
    await thread.start();
    expect(client.seeks).toEqual(['clicks:0@5']);

    // Offset 5 is processed; its transaction's commit fails with the outcome unknown.
    await client.deliver(5);
    await until(() => failures.length > 0 || client.seeks.length === 2, 'the task to be re-initialized');
    expect(failures).toEqual([]);
    // The old producer is closed with its transaction open; a new one for the same transactional id fences it.
    expect(client.producers.map((producer) => producer.transactionalId)).toEqual(['revive-0_0', 'revive-0_0']);
    expect(client.producers[0]!.disconnected).toBe(true);
    expect(client.producers[1]!.fences).toBe(1);
    // Back to the committed offset, so offset 5 is processed again, not skipped.
    expect(client.seeks).toEqual(['clicks:0@5', 'clicks:0@5']);
    await until(() => thread.taskIds().includes('0_0'), 'the task to run again');

    // A batch fetched before that seek (kafkajs: stale) is not processed: offset 5 comes again first.
    await client.deliver(6, true);
    await client.deliver(5);
    await until(() => client.producers[1]!.commits.length > 0, 'the next commit');
    expect(client.producers[1]!.commits[0]!.offsets).toEqual({ consumerGroupId: 'revive', topics: [{ topic: 'clicks', partitions: [{ partition: 0, offset: '6' }] }] });
    expect(failures).toEqual([]);
    await thread.close();
  });
});
