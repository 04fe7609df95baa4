import { describe, expect, it, vi } from 'vitest';
import { KafkaClientError } from '../../client/client-error.js';
import type { KafkaClientSupplier, StreamsProducer } from '../../client/kafka-client.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError, TaskMigratedError } from '../../errors.js';
import { forwardAndCountTopology, SendGate, startThread, values } from './thread-test-kit.js';

/**
 * At-least-once commits through the client seam, on the in-memory cluster: one input partition,
 * an upper-casing topology, commits only on a revoke or a close.
 */
describe('AtLeastOnceCommit', () => {
  it('commits the offsets of what it processed when its partitions are revoked, after the output is written, and closes the task', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal, started } = await startThread(cluster);
    await started;
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
    const { thread, fatal, started } = await startThread(cluster);
    await started;
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

  it('fails the thread to rejoin when an interval commit finds the group moved on without it, rather than processing on with every commit refused', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal, started } = await startThread(cluster, { options: { commitIntervalMs: 20 } });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(1));
    // kafkajs learns of an expired session only from a refused commit or heartbeat, and rejoins later.
    cluster.failNext('commitOffsets', new KafkaClientError('group-fenced', 'The coordinator is not aware of this member', false));
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskMigratedError);
    expect((fatal[0] as TaskMigratedError).message).toContain('no longer in its group');
    // Nothing more is processed by the thread that lost its membership: its successor reprocesses from offset 1.
    cluster.produce('in', 0, [{ key: 'c', value: 'three' }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(values(cluster.committedRecords('out', 0))).not.toContain('THREE');
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(1);
    expect(thread.state).not.toBe('RUNNING');
  });

  it('finishes a commit in flight before it applies an assignment that arrived meanwhile, then closes the revoked task', async () => {
    const cluster = new FakeKafkaCluster();
    const held = holdSends(cluster.supplier());
    const { thread, fatal, states, started } = await startThread(cluster, { client: held.client });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']));
    held.hold();
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await vi.waitFor(() => expect(held.waiting()).toBe(1));
    // The revoke's commit now waits for the held send; the assignment (without the partition) arrives meanwhile.
    await cluster.rebalance('app', () => new Map());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(thread.state).toBe('PARTITIONS_REVOKED');
    expect(thread.taskIds()).toEqual(['0_0']);
    expect(cluster.requests.filter((request) => request.operation === 'commitOffsets')).toEqual([]);
    held.release();
    await vi.waitFor(() => expect(thread.taskIds()).toEqual([]));
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE', 'TWO']);
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(2);
    const sends = cluster.requests.map((request, index) => (request.operation === 'send' ? index : -1));
    expect(Math.max(...sends)).toBeLessThan(cluster.requests.findIndex((request) => request.operation === 'commitOffsets'));
    await vi.waitFor(() => expect(thread.state).toBe('RUNNING'));
    // The first join revokes (nothing) too, as the group's eager protocol does.
    expect(states).toEqual(['PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING', 'PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING']);
    expect(fatal).toEqual([]);
  });

  it('commits no offset when the output could not be written, and fails the thread to be rebuilt', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster);
    await started;
    cluster.failNext('send', new KafkaClientError('unavailable', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', true));
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskCorruptedError);
    await cluster.rebalance('app');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.requests.filter((request) => request.operation === 'commitOffsets')).toEqual([]);
  });

  it('commits no offset when the thread fails while the commit waits for a send, since the failure dropped what the commit flushed', async () => {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('through', 1);
    const held = holdSends(cluster.supplier());
    const { thread, fatal, started } = await startThread(cluster, { topology: forwardAndCountTopology(), client: held.client });
    await started;
    held.hold();
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(held.waiting()).toBe(1));
    // The revoke's commit flushes the count behind the held send; then the member learns its
    // session expired, and the thread fails and drops the count's changelog record and output.
    await cluster.expireSession('app', cluster.memberIds('app')[0]!);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskMigratedError);
    held.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await thread.close();
    // The rejoined consumer's generation would accept the commit: 'a' would never be counted again.
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.requests.filter((request) => request.operation === 'commitOffsets')).toEqual([]);
  });

  it("sends one changelog record and one output per dirty key per commit, as Kafka Streams' cache does, whatever the updates between", async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster, { topology: forwardAndCountTopology() });
    await started;
    cluster.createTopic('through', 1);
    const updates = (keys: readonly string[], times: number): { key: string; value: string }[] => Array.from({ length: times }, (_, index) => ({ key: keys[index % keys.length]!, value: String(index) }));
    const counts = (topic: string): string[] => cluster.committedRecords(topic, 0).map((record) => `${record.key?.toString()}=${record.value?.readDoubleBE(0)}`);
    cluster.produce('in', 0, updates(['a', 'b', 'c'], 30));
    // Every record is forwarded as it comes; the cached counts wait for the commit.
    await vi.waitFor(() => expect(cluster.committedRecords('through', 0)).toHaveLength(30));
    expect(cluster.committedRecords('app-counts-changelog', 0)).toEqual([]);
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(30));
    expect(cluster.committedRecords('app-counts-changelog', 0).map((record) => record.key?.toString())).toEqual(['a', 'b', 'c']);
    expect(counts('out')).toEqual(['a=10', 'b=10', 'c=10']);
    // The next commit sends only the keys updated since: two of them, 20 updates.
    cluster.produce('in', 0, updates(['c', 'a'], 20));
    await vi.waitFor(() => expect(cluster.committedRecords('through', 0)).toHaveLength(50));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(50));
    expect(cluster.committedRecords('app-counts-changelog', 0)).toHaveLength(5);
    expect(counts('out')).toEqual(['a=10', 'b=10', 'c=10', 'c=20', 'a=20']);
    expect(fatal).toEqual([]);
  });
});

/** The cluster's clients, with the shared producer's sends held back while the test says so. */
function holdSends(base: KafkaClientSupplier): { client: KafkaClientSupplier } & SendGate {
  const gate = new SendGate();
  const producer = (): StreamsProducer => {
    const inner = base.producer();
    return {
      connect: () => inner.connect(),
      disconnect: () => inner.disconnect(),
      send: async (topic, records) => {
        await gate.pass();
        return inner.send(topic, records);
      },
    };
  };
  return Object.assign(gate, { client: { ...base, producer } });
}
