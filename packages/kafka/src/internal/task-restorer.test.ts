import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Materialized, Serdes, silentLogger, StreamsBuilder, Stores, type ChangelogRecord } from '@tributary/streams';
import { topologyBuilder, type StoreHandle } from '@tributary/streams/engine';
import { resolveKafkaStreamsOptions, type KafkaStreamsOptions } from '../options.js';
import type { RestoreOptions, RestoreRequest, RestoreResult } from './changelog-restorer.js';
import type { KafkaRecordCollector } from './kafka-record-collector.js';
import type { KafkaClientSupplier, StreamsAdmin } from '../client/kafka-client.js';
import { TaskManager, type ManagedTask } from './task-manager.js';

/** What the fake restore does with each request, given the manager and the task restoring. */
let restoreScript: (request: RestoreRequest, options: RestoreOptions) => Promise<number>;

vi.mock('./changelog-restorer.js', () => ({
  async restoreChangelogs(_client: unknown, _admin: unknown, requests: readonly RestoreRequest[], options: RestoreOptions): Promise<RestoreResult> {
    const positions = new Map<RestoreRequest, number>();
    for (const request of requests) positions.set(request, await restoreScript(request, options));
    return { restored: 0, positions };
  },
}));

/** A persistent store's handle that records what it was given. */
class RecordingHandle implements StoreHandle {
  readonly applied: ChangelogRecord[] = [];
  readonly checkpoints: number[] = [];
  closed = false;
  holdsFlushes = false;
  readonly wiped = false;
  constructor(readonly path: string) {}
  checkpointOffset(): number | undefined {
    return this.checkpoints.at(-1);
  }
  holdFlushesUntilCommit(): void {
    this.holdsFlushes = true;
  }
  async commit(): Promise<void> {}
  async writeCheckpoint(offset: number): Promise<void> {
    this.checkpoints.push(offset);
  }
  async restore(records: Iterable<ChangelogRecord>): Promise<number> {
    const before = this.applied.length;
    this.applied.push(...records);
    return this.applied.length - before;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const record = (key: string): ChangelogRecord => ({ key: Buffer.from(key), value: Buffer.from([0, 0, 0, 1]), timestamp: 1 });

describe('TaskManager restore', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'task-manager-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  async function restoringTask(): Promise<{ manager: TaskManager; managed: ManagedTask; handle: RecordingHandle }> {
    const handle = new RecordingHandle(join(stateDir, 'counts'));
    const memory = Stores.inMemoryKeyValueStore('counts');
    const supplier = { kind: 'key-value' as const, name: 'counts', get: () => memory.get(), prepare: async () => handle };
    const streams = new StreamsBuilder();
    streams.stream('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).groupByKey().count(Materialized.as(supplier));
    const builder = topologyBuilder(streams.build())!;
    const options = resolveKafkaStreamsOptions({ applicationId: 'restore-cut', bootstrapServers: '127.0.0.1:9', processingGuarantee: 'exactly_once', stateDir, logger: silentLogger });
    // Exactly-once: each task fences through its own producer first, which needs no broker here.
    const client = { transactionalProducer: () => ({ initTransactions: async () => {}, disconnect: async () => {} }) } as unknown as KafkaClientSupplier;
    const collector = { forTask: () => ({ context: undefined, send: () => {}, partitionCount: () => 1 }), discard: () => {} } as unknown as KafkaRecordCollector;
    const manager = new TaskManager({ client, admin: {} as StreamsAdmin, builder, options, collectorFor: () => collector, globalStores: new Map(), producer: undefined });
    const [subtopology] = builder.subtopologies();
    const managed = await manager.create('0_0', subtopology!, 0, { clicks: [0] });
    return { manager, managed, handle };
  }

  it('checkpoints where a completed restore ended', async () => {
    const { manager, managed, handle } = await restoringTask();
    restoreScript = async (request) => {
      await request.apply([record('a')]);
      await request.apply([record('b')]);
      return 2;
    };
    await manager.restore([managed], () => false);
    expect(handle.applied.map((entry) => entry.key.toString())).toEqual(['a', 'b']);
    expect(handle.checkpoints).toEqual([2]);
  });

  it('writes no checkpoint for a task closed while it restored: the records read after its close were never applied', async () => {
    const { manager, managed, handle } = await restoringTask();
    restoreScript = async (request) => {
      await request.apply([record('a')]);
      // The thread failed (or the task was revoked) meanwhile: its stores close under the restore.
      await manager.close(managed);
      await request.apply([record('b')]);
      return 2;
    };
    await manager.restore([managed], () => managed.state === 'closed');
    expect(handle.closed).toBe(true);
    expect(handle.applied.map((entry) => entry.key.toString())).toEqual(['a']);
    // A checkpoint at 2 would make the next owner restore from offset 2 and never see 'b'.
    expect(handle.checkpoints).toEqual([]);
  });
});

describe('TaskManager commits of stores', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'task-manager-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A handle whose commits and checkpoint writes wait for {@link release}, counting those begun. */
  class SlowDiskHandle extends RecordingHandle {
    static begun = 0;
    static release: () => void = () => {};
    static readonly disk = new Promise<void>((resolve) => (SlowDiskHandle.release = resolve));
    override async commit(): Promise<void> {
      SlowDiskHandle.begun++;
      await SlowDiskHandle.disk;
    }
    override async writeCheckpoint(offset: number): Promise<void> {
      SlowDiskHandle.begun++;
      await SlowDiskHandle.disk;
      await super.writeCheckpoint(offset);
    }
  }

  async function runningTasks<H extends RecordingHandle>(
    count: number,
    Handle: new (path: string) => H,
    given: Partial<KafkaStreamsOptions> = {},
  ): Promise<{ manager: TaskManager; handles: H[]; tasks: ManagedTask[] }> {
    const handles: H[] = [];
    const tasks: ManagedTask[] = [];
    const memory = Stores.inMemoryKeyValueStore('counts');
    const supplier = {
      kind: 'key-value' as const,
      name: 'counts',
      get: () => memory.get(),
      prepare: async () => {
        const handle = new Handle(join(stateDir, `counts-${handles.length}`));
        handles.push(handle);
        return handle;
      },
    };
    const streams = new StreamsBuilder();
    streams.stream('clicks', { keySerde: Serdes.String(), valueSerde: Serdes.String() }).groupByKey().count(Materialized.as(supplier));
    const builder = topologyBuilder(streams.build())!;
    const options = resolveKafkaStreamsOptions({ applicationId: 'disk', bootstrapServers: '127.0.0.1:9', stateDir, logger: silentLogger, ...given });
    const collector = { forTask: () => ({ context: undefined, send: () => {}, partitionCount: () => count }), discard: () => {} } as unknown as KafkaRecordCollector;
    const manager = new TaskManager({ client: {} as KafkaClientSupplier, admin: {} as StreamsAdmin, builder, options, collectorFor: () => collector, globalStores: new Map(), producer: undefined });
    const [subtopology] = builder.subtopologies();
    for (let partition = 0; partition < count; partition++) {
      const managed = await manager.create(`0_${partition}`, subtopology!, partition, { clicks: [partition] });
      managed.state = 'running';
      tasks.push(managed);
    }
    return { manager, handles, tasks };
  }

  it("commits every task's stores and writes every checkpoint at once, not one disk wait after another", async () => {
    const { manager, handles } = await runningTasks(3, SlowDiskHandle);
    expect(handles).toHaveLength(3);
    const committing = manager.commitStores();
    await new Promise((resolve) => setImmediate(resolve));
    // One at a time, the second would wait for the first's disk.
    expect(SlowDiskHandle.begun).toBe(3);
    const offsets = new Map([0, 1, 2].map((partition) => [`disk-counts-changelog:${partition}`, 10 + partition]));
    const checkpointing = manager.writeCheckpoints(() => offsets, true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(SlowDiskHandle.begun).toBe(6);
    SlowDiskHandle.release();
    await committing;
    await checkpointing;
    expect(handles.map((handle) => handle.checkpoints)).toEqual([[10], [11], [12]]);
  });

  it("holds every store's flushes until its commit, so no uncommitted write reaches its files", async () => {
    const { handles } = await runningTasks(2, RecordingHandle);
    expect(handles.map((handle) => handle.holdsFlushes)).toEqual([true, true]);
  });

  it("checkpoints a task at an interval commit only once its changelogs moved by more than checkpointThresholdRecords, and always when told to (a close, a revoke)", async () => {
    const { manager, handles, tasks } = await runningTasks(2, RecordingHandle, { checkpointThresholdRecords: 100 });
    const at = (first: number, second: number) => new Map([[`disk-counts-changelog:0`, first], [`disk-counts-changelog:1`, second]]);
    // 100 records is not more than the threshold; 101 is.
    await manager.writeCheckpoints(() => at(100, 101), false);
    expect(handles.map((handle) => handle.checkpoints)).toEqual([[], [101]]);
    // Counted from each task's own last checkpoint: the second moved 50 since.
    await manager.writeCheckpoints(() => at(150, 151), false);
    expect(handles.map((handle) => handle.checkpoints)).toEqual([[150], [101]]);
    await manager.writeCheckpoints(() => at(160, 161), true);
    expect(handles.map((handle) => handle.checkpoints)).toEqual([[150, 160], [101, 161]]);
    // A task the commit could not vouch for (no offsets) is never checkpointed, and `only` limits the tasks.
    await manager.writeCheckpoints((managed) => (managed === tasks[0] ? undefined : at(170, 171)), true);
    await manager.writeCheckpoints(() => at(180, 181), true, [tasks[0]!]);
    expect(handles.map((handle) => handle.checkpoints)).toEqual([[150, 160, 180], [101, 161, 171]]);
  });

  it('checkpoints at every commit that moved a changelog with checkpointThresholdRecords 0', async () => {
    const { manager, handles } = await runningTasks(1, RecordingHandle, { checkpointThresholdRecords: 0 });
    await manager.writeCheckpoints(() => new Map([['disk-counts-changelog:0', 1]]), false);
    await manager.writeCheckpoints(() => new Map([['disk-counts-changelog:0', 1]]), false);
    await manager.writeCheckpoints(() => new Map([['disk-counts-changelog:0', 2]]), false);
    expect(handles[0]!.checkpoints).toEqual([1, 2]);
  });
});
