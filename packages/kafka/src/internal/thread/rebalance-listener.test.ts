import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { KafkaClientSupplier, StreamsConsumer } from '../../client/kafka-client.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { countTopology, startThread } from './thread-test-kit.js';

/** The counts in `out` (Float64 values), by key, the latest per key. */
function latestCounts(cluster: FakeKafkaCluster): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of cluster.committedRecords('out', 0)) counts.set(record.key!.toString(), record.value!.readDoubleBE(0));
  return counts;
}

const records = (key: string, count: number): { key: string; value: string }[] => Array.from({ length: count }, (_, index) => ({ key, value: `${key}${index}` }));

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'rebalance-listener-'));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

/** The cluster's clients, with every changelog restore held before it reads until the test releases it. */
function holdRestores(base: KafkaClientSupplier): { client: KafkaClientSupplier; held(): number; release(): void } {
  let open = (): void => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const consumer = (config: Parameters<KafkaClientSupplier['consumer']>[0]): StreamsConsumer => {
    const inner = base.consumer(config);
    if (!config.groupId.includes('-restore-')) return inner;
    return new Proxy(inner, {
      get(target, property, receiver) {
        if (property !== 'run') {
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: Parameters<StreamsConsumer['run']>) => {
          held++;
          await gate;
          return target.run(...args);
        };
      },
    });
  };
  return { client: { ...base, consumer }, held: () => held, release: () => open() };
}

describe('RebalanceListener', () => {
  it('moves the thread through the states of a start, a rebalance and a close', async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, states, started } = await startThread(cluster);
    expect(thread.state).not.toBe('CREATED');
    await started;
    expect(thread.state).toBe('RUNNING');
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(states.at(-1)).toBe('RUNNING'));
    await thread.close();
    expect(thread.state).toBe('DEAD');
    expect(states).toEqual(['PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING', 'PARTITIONS_REVOKED', 'PARTITIONS_ASSIGNED', 'RUNNING']);
  });

  it('closes a task revoked while it restores, and restores it in full when it comes back', async () => {
    const cluster = new FakeKafkaCluster();
    // A first owner counts and commits (its close), so the changelog has the state to restore.
    const options = { cacheMaxBytes: 0 };
    const first = await startThread(cluster, { topology: countTopology(), options, stateDir: await temporaryDirectory() });
    await first.started;
    cluster.produce('in', 0, [...records('a', 3), ...records('b', 2)]);
    await vi.waitFor(() => expect(latestCounts(cluster)).toEqual(new Map([['a', 3], ['b', 2]])));
    await first.thread.close();
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(5);

    // A new owner with an empty state directory restores, and its restore is held.
    const held = holdRestores(cluster.supplier());
    const second = await startThread(cluster, { topology: countTopology(), options, client: held.client, stateDir: await temporaryDirectory() });
    await vi.waitFor(() => expect(held.held()).toBe(1));
    expect(second.thread.state).toBe('PARTITIONS_ASSIGNED');
    expect(second.thread.storeOfTask('0_0', 'counts')).toBe('restoring');
    // The group takes the task away mid-restore: it is closed, and the thread runs with nothing.
    await cluster.rebalance('app', () => new Map());
    await vi.waitFor(() => expect(second.thread.storeOfTask('0_0', 'counts')).toBeUndefined());
    await vi.waitFor(() => expect(second.thread.state).toBe('RUNNING'));
    held.release();
    // It comes back: restored in full, the counts go on from the changelog, nothing is counted twice.
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(second.thread.taskIds()).toEqual(['0_0']));
    await second.started;
    await vi.waitFor(() => expect(second.thread.state).toBe('RUNNING'));
    cluster.produce('in', 0, records('a', 1));
    await vi.waitFor(() => expect(latestCounts(cluster).get('a')).toBe(4));
    expect(second.thread.restoredRecords).toBeGreaterThan(0);
    expect(second.fatal).toEqual([]);
  });

  it("forgets a revoked partition's consumer lag, as Kafka's consumer drops the lag metrics of a partition it no longer has", async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, started } = await startThread(cluster, { partitions: 2 });
    await started;
    cluster.produce('in', 0, records('a', 2));
    cluster.produce('in', 1, records('b', 2));
    await vi.waitFor(() => expect([...thread.sensors.recordsLag.keys()].sort()).toEqual(['in:0', 'in:1']));
    // Partition 1 moves to another member: a lag kept for it would be reported, stale, for as long as the thread runs.
    await cluster.rebalance('app', (members) => new Map([[members[0]!, { in: [0] }]]));
    await vi.waitFor(() => expect(thread.taskIds()).toEqual(['0_0']));
    await vi.waitFor(() => expect(thread.state).toBe('RUNNING'));
    expect([...thread.sensors.recordsLag.keys()]).toEqual(['in:0']);
  });

  it('promotes a standby to the active task when its owner leaves, restoring only what the standby had not read', async () => {
    const cluster = new FakeKafkaCluster();
    // No record cache: every update is a changelog record, so the standby has a log to copy.
    const options = { numStandbyReplicas: 1, cacheMaxBytes: 0 };
    const owner = await startThread(cluster, { topology: countTopology(), options, processId: 'owner', stateDir: await temporaryDirectory() });
    await owner.started;
    const standby = await startThread(cluster, { topology: countTopology(), options, processId: 'standby', stateDir: await temporaryDirectory() });
    await standby.started;
    expect(owner.thread.taskIds()).toEqual(['0_0']);
    expect(standby.thread.taskIds()).toEqual([]);
    expect(standby.thread.standbyTaskIds()).toEqual(['0_0']);
    cluster.produce('in', 0, [...records('a', 12), ...records('b', 8)]);
    await vi.waitFor(() => expect(latestCounts(cluster)).toEqual(new Map([['a', 12], ['b', 8]])));
    await vi.waitFor(() => expect(standby.thread.standbyRecords).toBe(20));

    await owner.thread.close();
    await cluster.rebalance('app');
    await vi.waitFor(() => expect(standby.thread.taskIds()).toEqual(['0_0']));
    await vi.waitFor(() => expect(standby.thread.state).toBe('RUNNING'));
    expect(standby.thread.standbyTaskIds()).toEqual([]);
    // The standby's store became the task's: at most the tail after its last checkpoint is restored.
    expect(standby.thread.restoredRecords).toBeLessThan(20);
    cluster.produce('in', 0, records('b', 1));
    await vi.waitFor(() => expect(latestCounts(cluster).get('b')).toBe(9));
    expect(standby.fatal).toEqual([]);
  });
});
