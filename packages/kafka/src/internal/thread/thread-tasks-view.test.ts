import { describe, expect, it, vi } from 'vitest';
import type { StateStore } from '@tributary/streams';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { countTopology, startThread, type ThreadUnderTest } from './thread-test-kit.js';

/** What key `key` counts to in a `counts` store instance (a timestamped store: value and timestamp). */
const countIn = (store: StateStore | 'restoring' | undefined, key: string): unknown => (store as unknown as { get(key: string): { value: unknown } | undefined }).get(key)?.value;

const records = (key: string, count: number): { key: string; value: string }[] => Array.from({ length: count }, (_, index) => ({ key, value: `${key}${index}` }));

describe('ThreadTasksView', () => {
  it("shows the running tasks' ids, store instances and counters, and the thread's metrics view", async () => {
    const cluster = new FakeKafkaCluster();
    const { thread, started } = await startThread(cluster, { topology: countTopology() });
    await started;
    cluster.produce('in', 0, [...records('a', 2), ...records('b', 1)]);
    await vi.waitFor(() => expect(thread.processedCount()).toBe(3));
    expect(thread.taskIds()).toEqual(['0_0']);
    const [store] = thread.storesNamed('counts');
    expect(thread.storesNamed('counts')).toHaveLength(1);
    expect(thread.storeOfTask('0_0', 'counts')).toBe(store);
    expect(countIn(store, 'a')).toBe(2);
    expect(thread.storeOfTask('0_1', 'counts')).toBeUndefined();
    expect(thread.storeOfTask('0_0', 'no-such-store')).toBeUndefined();
    expect(thread.droppedCounts().size).toBe(0);
    expect(thread.restoredRecords).toBe(0);
    expect(thread.streamTimeAheadOfWallClockMs()).toBe(0);
    const view = thread.metricsView();
    expect(view.threadId).toBe('app-StreamThread-1');
    expect(view.sensors).toBe(thread.sensors);
    expect([...view.tasks].map((task) => `${task.id.subtopology}_${task.id.partition}`)).toEqual(['0_0']);
    // No standbys configured: nothing to show of them.
    expect([thread.standbyTaskIds(), thread.standbyStoresNamed('counts'), thread.standbyStoreOfTask('0_0', 'counts'), thread.standbyRecords]).toEqual([[], [], undefined, 0]);
  });

  it("shows a standby's store instances, for stale queries, on the thread that holds the standby only", async () => {
    const cluster = new FakeKafkaCluster();
    // Two processes, each thread with a state directory of its own; no record cache, so every update reaches the changelog the standby copies.
    const threads: ThreadUnderTest[] = [];
    for (const processId of ['owner', 'standby']) {
      const started = await startThread(cluster, { topology: countTopology(), options: { numStandbyReplicas: 1, cacheMaxBytes: 0 }, processId });
      await started.started;
      threads.push(started);
    }
    const [owner, standby] = threads as [ThreadUnderTest, ThreadUnderTest];
    cluster.produce('in', 0, records('a', 4));
    await vi.waitFor(() => expect(standby.thread.standbyRecords).toBe(4));
    expect(standby.thread.standbyTaskIds()).toEqual(['0_0']);
    expect(standby.thread.storeOfTask('0_0', 'counts')).toBeUndefined();
    expect(standby.thread.storesNamed('counts')).toEqual([]);
    const copy = standby.thread.standbyStoreOfTask('0_0', 'counts');
    expect(countIn(copy, 'a')).toBe(4);
    expect(standby.thread.standbyStoresNamed('counts')).toEqual([copy]);
    expect(owner.thread.standbyStoreOfTask('0_0', 'counts')).toBeUndefined();
    expect(countIn(owner.thread.storeOfTask('0_0', 'counts'), 'a')).toBe(4);
  });
});
