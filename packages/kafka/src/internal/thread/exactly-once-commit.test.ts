import { describe, expect, it, vi } from 'vitest';
import { KafkaClientError } from '../../client/client-error.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError } from '../../errors.js';
import { startThread, values } from './thread-test-kit.js';

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
});
