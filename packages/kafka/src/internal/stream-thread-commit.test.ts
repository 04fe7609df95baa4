import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Serdes, StreamsBuilder, silentLogger } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { KafkaClientError } from '../client/client-error.js';
import { FakeKafkaCluster } from '../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError, TaskMigratedError } from '../errors.js';
import { resolveKafkaStreamsOptions, type KafkaStreamsOptions } from '../options.js';
import { StreamThread } from './stream-thread.js';
import { planTopics } from './topic-plan.js';

/**
 * The stream thread's commit paths through the client seam, on the in-memory cluster: one input
 * partition, an upper-casing topology, and a thread whose interval commit never comes by itself
 * (commits happen on a revoke or a close, when the test says), so what each commit wrote is exact.
 */
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function startThread(cluster: FakeKafkaCluster, options: Partial<KafkaStreamsOptions> = {}) {
  cluster.createTopic('in', 1);
  cluster.createTopic('out', 1);
  const builder = new StreamsBuilder();
  builder
    .stream('in', { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .mapValues((value) => value.toUpperCase())
    .to('out', { keySerde: Serdes.String(), valueSerde: Serdes.String() });
  const topology = topologyBuilder(builder.build())!;
  const stateDir = await mkdtemp(join(tmpdir(), 'stream-thread-commit-'));
  const resolved = resolveKafkaStreamsOptions({ applicationId: 'app', bootstrapServers: '127.0.0.1:9', stateDir, logger: silentLogger, commitIntervalMs: 600_000, ...options });
  const fatal: unknown[] = [];
  const client = cluster.supplier();
  const thread = new StreamThread({
    client,
    admin: client.admin(),
    builder: topology,
    options: resolved,
    plan: planTopics(topology, 'app', new Map([['in', 1]])),
    globalStores: new Map(),
    flushGlobals: () => {},
    processId: 'process',
    threadId: 'app-StreamThread-1',
    callbacks: { onRunning: () => {}, onRebalancing: () => {}, onFatal: (error) => void fatal.push(error) },
  });
  stops.push(async () => {
    await thread.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  await thread.start();
  return { thread, fatal };
}

const values = (records: readonly { value: Buffer | null }[]): (string | null)[] => records.map((record) => record.value?.toString() ?? null);

describe('StreamThread at-least-once commits', () => {
  it('commits the offsets of what it processed when its partitions are revoked, after the output is written, and closes the task', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal } = await startThread(cluster);
    expect(thread.taskIds()).toEqual(['0_0']);
    cluster.produce('in', 0, [
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
      { key: 'c', value: 'three' },
    ]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO', 'THREE']));
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    // The group takes the partition away: the revoke commits first, in the old generation.
    await cluster.rebalance('app', () => new Map());
    await vi.waitFor(() => expect(thread.taskIds()).toEqual([]));
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(3);
    const commits = cluster.requests.filter((request) => request.operation === 'commitOffsets');
    expect(commits.map((request) => request.detail)).toEqual(['in:0@3']);
    // Every output send came before the offset commit that covers it.
    const sends = cluster.requests.map((request, index) => ({ ...request, index })).filter((request) => request.operation === 'send');
    expect(Math.max(...sends.map((request) => request.index))).toBeLessThan(cluster.requests.findIndex((request) => request.operation === 'commitOffsets'));
    expect(fatal).toEqual([]);
  });

  it('keeps running when a commit meets a rebalance, and commits the offsets with its next commit', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal } = await startThread(cluster);
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']));
    cluster.failNext('commitOffsets', new KafkaClientError('rebalance-in-progress', 'The group is rebalancing, so a rejoin is needed', true));
    // The same assignment again: the revoke's commit is refused, the task stays.
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(cluster.requests.filter((request) => request.operation === 'commitOffsets')).toHaveLength(1));
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO']));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(2));
    expect(thread.taskIds()).toEqual(['0_0']);
    expect(fatal).toEqual([]);
  });

  it('commits no offset when the output could not be written, and fails the thread to be rebuilt', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal } = await startThread(cluster);
    cluster.failNext('send', new KafkaClientError('unavailable', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', true));
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskCorruptedError);
    await cluster.rebalance('app');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.requests.filter((request) => request.operation === 'commitOffsets')).toEqual([]);
  });
});

describe('StreamThread group membership', () => {
  it('fails with TaskMigratedError, committing nothing more, when it lost its membership while holding tasks', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal } = await startThread(cluster);
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
});

describe('StreamThread exactly-once commits', () => {
  it('commits output and offsets in the task transaction', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal } = await startThread(cluster, { processingGuarantee: 'exactly_once', commitIntervalMs: 600_000 });
    cluster.produce('in', 0, [
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
    ]);
    // Sent inside the open transaction: not visible to read_committed yet.
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(2));
    expect(cluster.committedRecords('out', 0)).toEqual([]);
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(2));
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO']);
    expect(cluster.requests.filter((request) => request.operation === 'sendOffsetsToTransaction').map((request) => request.detail)).toEqual(['app-0_0 app']);
    expect(fatal).toEqual([]);
  });

  it('fails the thread with a corrupted task, committing nothing, when another instance fences the producer mid-transaction', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal } = await startThread(cluster, { processingGuarantee: 'exactly_once', commitIntervalMs: 600_000 });
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(1));
    // Another instance takes task 0_0 over: its producer's init aborts this one's transaction.
    cluster.fenceTransactionalId('app-0_0');
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    const error = fatal[0] as TaskCorruptedError;
    expect(error).toBeInstanceOf(TaskCorruptedError);
    expect(error.taskId).toBe('0_0');
    expect(error.message).toContain('another instance has taken the task over');
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.committedRecords('out', 0)).toEqual([]);
    expect(cluster.logOf('out', 0).map((record) => record.state)).toEqual(['aborted']);
    // Nothing more is sent once failed.
    const requests = cluster.requests.length;
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cluster.requests.slice(requests).filter((request) => request.operation === 'send')).toEqual([]);
  });

  it('fails the thread, leaving the offsets uncommitted, when the transaction commit itself is fenced', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal } = await startThread(cluster, { processingGuarantee: 'exactly_once', commitIntervalMs: 600_000 });
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(1));
    cluster.failNext('commitTransaction', new KafkaClientError('fenced', 'There is a newer producer with the same transactionalId which fences the current one', false));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskCorruptedError);
    expect((fatal[0] as Error).message).toContain('could not commit its transaction (another instance has taken the task over)');
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.committedRecords('out', 0)).toEqual([]);
  });
});
