import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { silentLogger, type ChangelogRecord } from '@tributary/streams';
import { TaskCorruptedError } from '../errors.js';
import { restoreChangelogs, type RestoreOptions, type RestoreRequest } from './changelog-restorer.js';

type Listener = (event: { payload: Record<string, unknown> }) => void;

/**
 * A kafkajs client whose restore consumer joins its group only after `joinAfterMs` (as while the
 * broker holding the group's coordinator is down), then delivers `records` of changelog
 * `changelog-0` in one batch, as kafkajs does: `eachBatch`, then END_BATCH_PROCESS.
 */
function clientJoiningLate(records: readonly string[], joinAfterMs: number): Kafka {
  const listeners = new Map<string, Listener[]>();
  const emit = (event: string, payload: Record<string, unknown>): void => {
    for (const listener of listeners.get(event) ?? []) listener({ payload });
  };
  let stopped = false;
  const consumer = {
    events: { GROUP_JOIN: 'group-join', END_BATCH_PROCESS: 'end-batch', CRASH: 'crash' },
    on: (event: string, listener: Listener) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
      return () => {};
    },
    connect: async () => {},
    subscribe: async () => {},
    seek: () => {},
    pause: () => {},
    disconnect: async () => {
      stopped = true;
    },
    run: async ({ eachBatch }: { eachBatch: (payload: { batch: unknown }) => Promise<void> }) => {
      setTimeout(() => {
        if (stopped) return;
        emit('group-join', { memberAssignment: { changelog: [0] } });
        const messages: KafkaMessage[] = records.map((key, offset) => ({ key: Buffer.from(key), value: Buffer.from('1'), timestamp: '1', offset: String(offset), attributes: 0, headers: {} }) as KafkaMessage);
        const batch = { topic: 'changelog', partition: 0, messages, lastOffset: () => String(records.length - 1) };
        void eachBatch({ batch }).then(() => emit('end-batch', { topic: 'changelog', partition: 0, batchSize: messages.length, lastOffset: String(records.length - 1) }));
      }, joinAfterMs);
    },
  };
  return { consumer: () => consumer } as unknown as Kafka;
}

const admin = { fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: '3', offset: '3' }] } as unknown as Admin;

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
});
