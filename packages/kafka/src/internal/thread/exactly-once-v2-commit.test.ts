import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { KafkaClientError } from '../../client/client-error.js';
import { FakeKafkaCluster, type FakeLogRecord } from '../../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError } from '../../errors.js';
import { countTopology, startThread, values } from './thread-test-kit.js';

/** Exactly-once v2 (KIP-447: one transactional producer per stream thread) through the client seam, on the in-memory cluster. */
const exactlyOnceV2 = { processingGuarantee: 'exactly_once_v2', commitIntervalMs: 600_000 } as const;

/** The thread's transactional id: `<applicationId>-<processId>-<threadIndex>` (the test kit's process is `process`, its thread 1). */
const TRANSACTIONAL_ID = 'app-process-1';

/** Every record of `out`'s partitions, in partition order (the collector picks each one's partition by its key). */
const outLog = (cluster: FakeKafkaCluster, partitions: number): FakeLogRecord[] => Array.from({ length: partitions }, (_, partition) => cluster.logOf('out', partition)).flat();

const requestsOf = (cluster: FakeKafkaCluster, operation: string): string[] => cluster.requests.filter((request) => request.operation === operation).map((request) => request.detail);

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'exactly-once-v2-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** The counts in `out` (Float64 values) a read_committed consumer sees, in order. */
const committedCounts = (cluster: FakeKafkaCluster): string[] => cluster.committedRecords('out', 0).map((record) => `${record.key!.toString()}=${record.value!.readDoubleBE(0)}`);

describe('ExactlyOnceV2Commit', () => {
  it('commits the output and offsets of all the thread’s tasks in one transaction, with the group generation and member id', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster, { options: exactlyOnceV2, partitions: 3 });
    await started;
    cluster.produce('in', 0, [
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
    ]);
    cluster.produce('in', 1, [{ key: 'c', value: 'three' }]);
    cluster.produce('in', 2, [{ key: 'd', value: 'four' }]);
    // Sent inside the thread's open transaction: not visible to read_committed yet.
    await vi.waitFor(() => expect(outLog(cluster, 3)).toHaveLength(4));
    expect(outLog(cluster, 3).map((record) => record.state)).toEqual(['open', 'open', 'open', 'open']);
    const [memberId] = cluster.memberIds('app');
    await cluster.rebalance('app');
    await vi.waitFor(() => expect([0, 1, 2].map((partition) => cluster.committedOffset('app', 'in', partition)?.offset)).toEqual([2, 1, 1]));
    expect(values([0, 1, 2].flatMap((partition) => cluster.committedRecords('out', partition))).sort()).toEqual(['FOUR', 'ONE', 'THREE', 'TWO']);
    // One producer, one transaction: every task's offsets in one request, with the generation they were consumed in.
    expect(requestsOf(cluster, 'sendOffsetsToTransaction')).toEqual([`${TRANSACTIONAL_ID} app generation 1 ${memberId} in:0@2,in:1@1,in:2@1`]);
    expect(requestsOf(cluster, 'commitTransaction')).toEqual([TRANSACTIONAL_ID]);
    expect(requestsOf(cluster, 'beginTransaction')).toEqual([TRANSACTIONAL_ID]);
    expect(fatal).toEqual([]);
  });

  it('fences a zombie thread by the group generation: its offsets are refused once the group moved on without it, its transaction aborted and its tasks closed', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, fatal, started } = await startThread(cluster, { options: { ...exactlyOnceV2, commitIntervalMs: 50 } });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(1));
    // The process froze past its session timeout: the group rebalanced without it, and it has not heard.
    cluster.expelSilently('app', cluster.memberIds('app')[0]!);
    cluster.produce('in', 0, [{ key: 'b', value: 'two' }]);
    await vi.waitFor(() => expect(thread.taskIds()).toEqual([]));
    // Nothing of the zombie's transaction became visible, and its offsets stayed where the group had them.
    await vi.waitFor(() => expect(cluster.logOf('out', 0).map((record) => record.state)).toEqual(['committed', 'aborted']));
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(1);
    expect(values(cluster.committedRecords('out', 0))).toEqual(['ONE']);
    expect(requestsOf(cluster, 'abortTransaction')).toEqual([TRANSACTIONAL_ID]);
    // The refused commit named the generation it was made in.
    expect(requestsOf(cluster, 'sendOffsetsToTransaction').at(-1)).toMatch(new RegExp(`^${TRANSACTIONAL_ID} app generation 1 `));
    // Its tasks are closed without a commit (Kafka's handleLostAll): it sends nothing more until the group assigns it tasks again.
    const sent = requestsOf(cluster, 'send').length;
    cluster.produce('in', 0, [{ key: 'c', value: 'three' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(requestsOf(cluster, 'send')).toHaveLength(sent);
    expect(fatal).toEqual([]);
  });

  it('closes every task without a commit when a revoke’s offsets are refused, and the assignment restores them from the last commit, counting nothing twice, with no thread replaced', async () => {
    const cluster = new FakeKafkaCluster();
    const options = { ...exactlyOnceV2, cacheMaxBytes: 0 };
    const { thread, fatal, started } = await startThread(cluster, { topology: countTopology(), options, stateDir: await temporaryDirectory() });
    await started;
    cluster.produce('in', 0, [
      { key: 'a', value: 'a0' },
      { key: 'a', value: 'a1' },
    ]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(2));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(committedCounts(cluster)).toEqual(['a=1', 'a=2']));
    cluster.produce('in', 0, [{ key: 'a', value: 'a2' }]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(3));
    // The group completes its rebalance before the revoke's offsets reach the coordinator.
    cluster.failNext('sendOffsetsToTransaction', new KafkaClientError('group-fenced', 'Specified group generation id is not valid (ILLEGAL_GENERATION)', false));
    await cluster.rebalance('app');
    // a2 is processed again from the last commit, on the store as of that commit.
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(4));
    expect(thread.taskIds()).toEqual(['0_0']);
    expect(cluster.logOf('app-counts-changelog', 0).map((record) => record.state)).toEqual(['committed', 'committed', 'aborted', 'open']);
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(committedCounts(cluster)).toEqual(['a=1', 'a=2', 'a=3']));
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(3);
    await vi.waitFor(() => expect(thread.state).toBe('RUNNING'));
    expect(fatal).toEqual([]);
  });

  it('aborts the shared transaction, every task’s records with it, when a send fails', async () => {
    const cluster = new FakeKafkaCluster();
    const { fatal, started } = await startThread(cluster, { options: exactlyOnceV2, partitions: 2 });
    await started;
    cluster.produce('in', 0, [{ key: 'a', value: 'one' }]);
    cluster.produce('in', 1, [{ key: 'b', value: 'two' }]);
    await vi.waitFor(() => expect(outLog(cluster, 2)).toHaveLength(2));
    cluster.failNext('send', new KafkaClientError('unavailable', 'Request timed out', true));
    cluster.produce('in', 0, [{ key: 'c', value: 'three' }]);
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]).toBeInstanceOf(TaskCorruptedError);
    expect((fatal[0] as TaskCorruptedError).taskId).toBe('*');
    expect((fatal[0] as Error).message).toContain('The stream thread could not send its records inside its transaction: Request timed out');
    // Both tasks' records were in the one transaction: both are aborted, and no offset is committed.
    await vi.waitFor(() => expect(outLog(cluster, 2).map((record) => record.state)).toEqual(['aborted', 'aborted']));
    expect(requestsOf(cluster, 'abortTransaction')).toEqual([TRANSACTIONAL_ID]);
    expect(requestsOf(cluster, 'sendOffsetsToTransaction')).toEqual([]);
    expect([0, 1].map((partition) => cluster.committedOffset('app', 'in', partition))).toEqual([undefined, undefined]);
  });

  it('restores after a failed commit: the replacement fences the failed thread’s transaction, and nothing is counted twice', async () => {
    const cluster = new FakeKafkaCluster();
    const stateDir = await temporaryDirectory();
    const options = { ...exactlyOnceV2, cacheMaxBytes: 0 };
    const first = await startThread(cluster, { topology: countTopology(), options, stateDir });
    await first.started;
    cluster.produce('in', 0, [
      { key: 'a', value: 'a0' },
      { key: 'a', value: 'a1' },
    ]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(2));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(committedCounts(cluster)).toEqual(['a=1', 'a=2']));
    // The next commit's outcome is unknown: the thread fails with its transaction left open.
    cluster.produce('in', 0, [{ key: 'a', value: 'a2' }]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(3));
    cluster.failNext('commitTransaction', new KafkaClientError('unavailable', 'Request timed out', true));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(first.fatal).toHaveLength(1));
    expect(first.fatal[0]).toBeInstanceOf(TaskCorruptedError);
    expect((first.fatal[0] as Error).message).toContain('could not commit its transaction: Request timed out');
    expect(cluster.logOf('app-counts-changelog', 0).map((record) => record.state)).toEqual(['committed', 'committed', 'open']);
    await first.thread.close();

    // Its replacement (same process, same thread index, same transactional id) fences it, which
    // aborts the open transaction; the store is restored to the last commit and a2 counted once.
    const second = await startThread(cluster, { topology: countTopology(), options, stateDir });
    await second.started;
    expect(cluster.logOf('app-counts-changelog', 0).map((record) => record.state)).toEqual(['committed', 'committed', 'aborted']);
    cluster.produce('in', 0, [{ key: 'a', value: 'a3' }]);
    await vi.waitFor(() => expect(cluster.logOf('out', 0)).toHaveLength(5));
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(committedCounts(cluster)).toEqual(['a=1', 'a=2', 'a=3', 'a=4']));
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(4);
    expect(second.fatal).toEqual([]);
  });
});
