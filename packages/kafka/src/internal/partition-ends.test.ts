/**
 * The probe of partition ends: a task waiting for a partition no batch has reported (kafkajs
 * skips empty batches) learns its lag from the brokers, computed against the thread's fetch
 * position, else the committed offset, else the partition's start; a stale answer is dropped.
 */
import { describe, expect, it, vi } from 'vitest';
import { Consumed, Headers, Produced, Serdes, silentLogger, StreamsBuilder } from '@tributary/streams';
import { resolveStreamsConfig, StreamTask, topologyBuilder } from '@tributary/streams/engine';
import type { StreamsAdmin } from '../client/kafka-client.js';
import { PartitionEndProbe } from './partition-ends.js';
import type { ManagedTask } from './task-manager.js';
import type { TaskKey } from './task-assignor.js';

/** A running task of `left` merged with `right`, partition 0, that fetches its input, with a left record buffered. */
function waitingTask(): ManagedTask {
  const builder = new StreamsBuilder();
  builder
    .stream('left', Consumed.with(Serdes.String(), Serdes.String()))
    .merge(builder.stream('right', Consumed.with(Serdes.String(), Serdes.String())))
    .to('out', Produced.with(Serdes.String(), Serdes.String()));
  const internal = topologyBuilder(builder.build())!;
  const task = new StreamTask({
    taskId: { subtopology: 0, partition: 0 },
    builder: internal,
    subtopology: internal.subtopologies()[0]!,
    config: resolveStreamsConfig({ applicationId: 'app', logger: silentLogger }),
    collector: { send: () => {}, partitionCount: () => 1 },
    clock: () => 1_000,
    fetchesInput: true,
  });
  task.addRecords('left', [{ topic: 'left', partition: 0, offset: 0, timestamp: 5, key: null, value: Buffer.from('v'), headers: new Headers() }]);
  task.setFetchedLag('left', 0);
  expect(task.process()).toBe(0);
  return { key: '0_0', task, state: 'running' } as ManagedTask;
}

/** An admin whose `right` partition 0 spans offsets [low, high) and whose group committed `committed` (-1: nothing). */
function fakeAdmin(low: number, high: number, committed: number): StreamsAdmin & { fetchCommittedOffsets: ReturnType<typeof vi.fn>; listOffsets: ReturnType<typeof vi.fn> } {
  return {
    fetchCommittedOffsets: vi.fn(async () => [{ topic: 'right', partition: 0, offset: committed, metadata: null }]),
    listOffsets: vi.fn(async () => [{ partition: 0, high, low }]),
  } as never;
}

/** Runs one probe: a check that starts it, the answer, and a check that applies it. */
async function probeOnce(admin: StreamsAdmin, managed: ManagedTask, positions: Map<string, number>, between: () => void = () => {}): Promise<void> {
  const probe = new PartitionEndProbe(admin, 'app', silentLogger);
  const tasks = new Map<TaskKey, ManagedTask>([[managed.key, managed]]);
  probe.check(tasks, positions, 10_000);
  await vi.waitFor(() => expect(admin.listOffsets).toHaveBeenCalled());
  await new Promise((resolve) => setTimeout(resolve, 0));
  between();
  probe.check(tasks, positions, 10_001);
}

describe('PartitionEndProbe', () => {
  it('tells a waiting task that an empty partition, never fetched from, is at its end (committed offset = high watermark)', async () => {
    const managed = waitingTask();
    expect(managed.task.emptyTopicsNotAtEnd()).toEqual(['right']);
    const admin = fakeAdmin(0, 7, 7);
    await probeOnce(admin, managed, new Map());
    expect(admin.fetchCommittedOffsets).toHaveBeenCalledWith('app', ['right']);
    expect(managed.task.emptyTopicsNotAtEnd()).toEqual([]);
    // With maxTaskIdleMs 0 the task now goes on, as an enforced processing.
    expect(managed.task.process()).toBe(1);
    expect(managed.task.metrics.enforcedProcessing).toBe(1);
  });

  it('leaves the task waiting when the broker holds records past the position (nothing committed: the partition start)', async () => {
    const managed = waitingTask();
    await probeOnce(fakeAdmin(2, 9, -1), managed, new Map());
    expect(managed.task.emptyTopicsNotAtEnd()).toEqual(['right']);
    expect(managed.task.process()).toBe(0);
    // Fetched to 9 by the thread: at its end.
    const fetched = waitingTask();
    await probeOnce(fakeAdmin(2, 9, -1), fetched, new Map([['right:0', 9]]));
    expect(fetched.task.emptyTopicsNotAtEnd()).toEqual([]);
  });

  it('drops an answer a batch overtook, and probes nothing while no task waits', async () => {
    const managed = waitingTask();
    const positions = new Map<string, number>();
    await probeOnce(fakeAdmin(0, 7, 7), managed, positions, () => positions.set('right:0', 12));
    expect(managed.task.emptyTopicsNotAtEnd()).toEqual(['right']);

    const idle = fakeAdmin(0, 7, 7);
    const ready = waitingTask();
    ready.task.setFetchedLag('right', 0);
    expect(ready.task.process()).toBe(1);
    new PartitionEndProbe(idle, 'app', silentLogger).check(new Map([[ready.key, ready]]), new Map(), 10_000);
    expect(idle.fetchCommittedOffsets).not.toHaveBeenCalled();
  });
});
