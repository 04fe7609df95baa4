import { describe, expect, it, vi } from 'vitest';
import { KafkaClientError } from '../../client/client-error.js';
import type { KafkaClientSupplier, TransactionalProducer } from '../../client/kafka-client.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError, TaskMigratedError } from '../../errors.js';
import { forwardAndCountTopology, SendGate, startThread, values } from './thread-test-kit.js';

/** Exactly-once (v1, a transactional producer per task) commits through the client seam, on the in-memory cluster. */
const exactlyOnce = { processingGuarantee: 'exactly_once', commitIntervalMs: 600_000 } as const;

describe('ExactlyOnceCommit', () => {
  it('commits output and offsets in the task transaction', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster, { options: exactlyOnce });
    await started;
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
    expect(cluster.requests.filter((request) => request.operation === 'sendOffsetsToTransaction').map((request) => request.detail)).toEqual(['app-0_0 app in:0@2']);
    expect(fatal).toEqual([]);
  });

  it('fails the thread with a corrupted task, committing nothing, when another instance fences the producer mid-transaction', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal, started } = await startThread(cluster, { options: exactlyOnce });
    await started;
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
    expect(thread.state).toBe('PENDING_SHUTDOWN');
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.committedRecords('out', 0)).toEqual([]);
    expect(cluster.logOf('out', 0).map((record) => record.state)).toEqual(['aborted']);
    // Nothing more is sent once failed, not even by the close.
    const requests = cluster.requests.length;
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await thread.close();
    expect(thread.state).toBe('DEAD');
    expect(cluster.requests.slice(requests).filter((request) => ['send', 'commitTransaction', 'sendOffsetsToTransaction'].includes(request.operation))).toEqual([]);
  });

  it('fails the thread, leaving the offsets uncommitted, when the transaction commit itself is fenced', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster, { options: exactlyOnce });
    await started;
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

  it('commits a task whose transaction is open though it processed nothing since, when its partition is revoked', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal, started } = await startThread(cluster, { options: exactlyOnce });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(1));
    await cluster.rebalance('app', () => new Map());
    await vi.waitFor(() => expect(thread.taskIds()).toEqual([]));
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']);
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(1);
    expect(cluster.requests.filter((request) => request.operation === 'commitTransaction').map((request) => request.detail)).toEqual(['app-0_0']);
    expect(fatal).toEqual([]);
  });

  it('commits no transaction without the records the commit flushed when the thread fails while the commit waits for a send', async () => {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('through', 1);
    const held = holdTransactionalSends(cluster.supplier());
    const { thread, fatal, started } = await startThread(cluster, { topology: forwardAndCountTopology(), options: exactlyOnce, client: held.client });
    await started;
    const memberId = cluster.memberIds('app')[0]!;
    held.hold();
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    // The record forwarded to 'through' goes out in the background (the flagship's repartition
    // records do); its send is held, so the commit below waits for it.
    await vi.waitFor(() => expect(held.waiting()).toBe(1));
    // The session expires: the revoke's commit flushes the cached count (its changelog record and
    // 'out') behind the held send, then the thread learns it lost its membership and fails.
    await cluster.expireSession('app', memberId);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskMigratedError);
    held.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await thread.close();
    // The failure dropped the count's records: a commit now would make the input offset and the
    // record to 'through' visible without them, and the next owner, restoring the count from its
    // changelog, would never count 'a'. Nothing is committed instead; the next owner fences the
    // open transaction and processes 'a' again.
    expect(cluster.committedOffset('app', 'in', 0)).toBeUndefined();
    expect(cluster.committedRecords('through', 0)).toEqual([]);
    expect(cluster.requests.filter((request) => request.operation === 'commitTransaction')).toEqual([]);
  });
});

/** The cluster's clients, with the transactional producers' sends held back while the test says so. */
function holdTransactionalSends(base: KafkaClientSupplier): { client: KafkaClientSupplier } & SendGate {
  const gate = new SendGate();
  const transactionalProducer: KafkaClientSupplier['transactionalProducer'] = (config) => {
    const inner = base.transactionalProducer(config);
    const producer: TransactionalProducer = {
      initTransactions: () => inner.initTransactions(),
      beginTransaction: () => inner.beginTransaction(),
      sendOffsetsToTransaction: (offsets, group) => inner.sendOffsetsToTransaction(offsets, group),
      commitTransaction: () => inner.commitTransaction(),
      abortTransaction: () => inner.abortTransaction(),
      disconnect: () => inner.disconnect(),
      send: async (topic, records) => {
        await gate.pass();
        return inner.send(topic, records);
      },
    };
    return producer;
  };
  return Object.assign(gate, { client: { ...base, transactionalProducer } });
}
