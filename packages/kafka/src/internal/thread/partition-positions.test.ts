import { describe, expect, it } from 'vitest';
import { KafkaClientError } from '../../client/client-error.js';
import type { StreamsConsumer } from '../../client/kafka-client.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError } from '../../errors.js';
import type { ManagedTask } from '../task-manager.js';
import { PartitionPositions } from './partition-positions.js';

/** Positions over the fake cluster's admin, with a consumer that records its seeks. */
function positionsOn(cluster: FakeKafkaCluster): { positions: PartitionPositions; seeks: string[] } {
  const seeks: string[] = [];
  const consumer = { seek: (topic: string, partition: number, offset: number) => void seeks.push(`${topic}:${partition}@${offset}`) } as unknown as StreamsConsumer;
  return { positions: new PartitionPositions(consumer, cluster.supplier().admin(), 'app'), seeks };
}

const task = (key: string, partitions: readonly [string, number][], startOffsets?: Map<string, number>): ManagedTask =>
  ({ key, topicPartitions: partitions.map(([topic, partition]) => ({ topic, partition })), startOffsets }) as unknown as ManagedTask;

describe('PartitionPositions', () => {
  it('feeds a partition from its position on, never going back, and forgets a closed task', () => {
    const { positions } = positionsOn(new FakeKafkaCluster());
    const managed = task('0_0', [['in', 0]]);
    expect(positions.positionOf('in', 0)).toBe(-1);
    positions.advance('in', 0, 9);
    positions.advance('in', 0, 4);
    expect(positions.positionOf('in', 0)).toBe(10);
    positions.markCommitted([{ topic: 'in', partition: 0, offset: 10 }]);
    expect(positions.committedOf('in', 0)).toBe(10);
    positions.forget(managed);
    expect(positions.positionOf('in', 0)).toBe(-1);
    expect(positions.committedOf('in', 0)).toBeUndefined();
  });

  it('seeks restored tasks to their committed offsets, the earliest where none is, or where their restore started', async () => {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('in', 3);
    cluster.produce('in', 1, [{ key: 'a', value: '1' }]);
    cluster.commitGroupOffsets('app', [{ topic: 'in', partition: 0, offset: 7 }], undefined);
    const { positions, seeks } = positionsOn(cluster);
    await positions.seekToCommitted([task('0_0', [['in', 0]]), task('0_1', [['in', 1]]), task('0_2', [['in', 2]], new Map([['in', 4]]))]);
    expect(seeks).toEqual(['in:0@7', 'in:1@0', 'in:2@4']);
    expect([0, 1, 2].map((partition) => [positions.positionOf('in', partition), positions.committedOf('in', partition)])).toEqual([
      [7, 7],
      [0, 0],
      [4, 4],
    ]);
    // Known start offsets need no request.
    const before = cluster.requests.length;
    await positions.seekToCommitted([task('0_2', [['in', 2]], new Map([['in', 5]]))]);
    expect(cluster.requests.length).toBe(before);
  });

  it('throws a TaskCorruptedError naming the task when the committed offsets cannot be read', async () => {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('in', 1);
    cluster.failNext('fetchCommittedOffsets', new KafkaClientError('unavailable', 'The coordinator is not available', true));
    const { positions, seeks } = positionsOn(cluster);
    const failure = positions.seekToCommitted([task('0_0', [['in', 0]])]);
    await expect(failure).rejects.toBeInstanceOf(TaskCorruptedError);
    await expect(failure).rejects.toMatchObject({ taskId: '0_0', message: 'Could not read the committed offsets of restored tasks: The coordinator is not available.' });
    expect(seeks).toEqual([]);
  });
});
