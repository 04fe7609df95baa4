import { describe, expect, it } from 'vitest';
import { silentLogger, type ChangelogRecord } from '@tributary/streams';
import { TaskCorruptedError } from '../errors.js';
import { restoreChangelogs, type RestoreOptions, type RestoreRequest } from './changelog-restorer.js';
import type { FetchedRecord, GroupMembershipListener, KafkaClientSupplier, StreamsAdmin, StreamsConsumer } from '../client/kafka-client.js';

/**
 * A client whose restore consumer joins its group only after `joinAfterMs` (as while the broker
 * holding the group's coordinator is down), then delivers `records` of changelog `changelog-0`
 * in one batch.
 */
function clientJoiningLate(records: readonly string[], joinAfterMs: number): KafkaClientSupplier {
  let stopped = false;
  let listener: GroupMembershipListener = {};
  const consumer: Partial<StreamsConsumer> = {
    connect: async () => {},
    subscribe: async (_topics, membership) => {
      listener = membership;
    },
    seek: () => {},
    pause: () => {},
    disconnect: async () => {
      stopped = true;
    },
    run: async (onBatch) => {
      setTimeout(() => {
        if (stopped) return;
        listener.onAssigned?.({ memberId: 'm', generationId: 1, partitions: { changelog: [0] } });
        const fetched: FetchedRecord[] = records.map((key, offset) => ({ key: Buffer.from(key), value: Buffer.from('1'), timestamp: '1', offset: String(offset), headers: {} }));
        void onBatch({ topic: 'changelog', partition: 0, records: fetched, lastOffset: records.length - 1, highWatermark: records.length }, () => {});
      }, joinAfterMs);
    },
  };
  return { consumer: () => consumer as StreamsConsumer } as unknown as KafkaClientSupplier;
}

const admin = { listOffsets: async () => [{ partition: 0, low: 0, high: 3 }] } as unknown as StreamsAdmin;

const options: RestoreOptions = {
  groupIdPrefix: 'app',
  logger: silentLogger,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  onRecords: () => {},
  cancelled: () => false,
  progressIntervalMs: 20,
  idleTimeoutMs: 100,
};

describe('restoreChangelogs', () => {
  it('waits for a consumer that has not fetched yet, however long its join takes, instead of taking the changelog as restored', async () => {
    const applied: ChangelogRecord[] = [];
    const request: RestoreRequest = { store: 'counts', topic: 'changelog', partition: 0, fromOffset: 0, apply: (records) => void applied.push(...records) };
    const result = await restoreChangelogs(clientJoiningLate(['a', 'b', 'c'], 400), admin, [request], options);
    expect(applied.map((record) => record.key.toString())).toEqual(['a', 'b', 'c']);
    expect(result.positions.get(request)).toBe(3);
  });

  it('fails as a corrupted task, naming the changelog, when it makes no progress for the stall timeout', async () => {
    const applied: ChangelogRecord[] = [];
    const request: RestoreRequest = { store: 'counts', topic: 'changelog', partition: 0, fromOffset: 0, apply: (records) => void applied.push(...records) };
    const restore = restoreChangelogs(clientJoiningLate(['a', 'b', 'c'], 60_000), admin, [request], { ...options, stallTimeoutMs: 300 });
    await expect(restore).rejects.toBeInstanceOf(TaskCorruptedError);
    await expect(restore).rejects.toThrow(/changelog-0 at offset 0 of 3 made no progress/);
    expect(applied).toEqual([]);
  });

  it('reports no position past what its store applied when the restore is cancelled while a batch is being applied', async () => {
    let release = (): void => {};
    const applying = new Promise<void>((resolve) => (release = resolve));
    let cancelled = false;
    const request: RestoreRequest = {
      store: 'counts',
      topic: 'changelog',
      partition: 0,
      fromOffset: 0,
      // The thread fails while the store writes the batch; this client's disconnect does not wait for it.
      apply: () => {
        cancelled = true;
        return applying;
      },
    };
    const result = await restoreChangelogs(clientJoiningLate(['a', 'b', 'c'], 10), admin, [request], { ...options, cancelled: () => cancelled });
    // A checkpoint at 3 would make the next owner skip records the store may never have written.
    expect(result.positions.get(request)).toBe(0);
    release();
  });
});
