import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { KafkaClientError } from '../../client/client-error.js';
import { FakeKafkaCluster } from '../../client/testing/fake-kafka-cluster.js';
import type { ProcessingGuarantee } from '../../options.js';
import { countTopology, startThread } from './thread-test-kit.js';

/**
 * When a stream thread checkpoints its LevelDB stores, on the in-memory cluster: the count of
 * `in` by key into store `counts`, committed every 20 ms, checkpointed past 4 changelog records.
 */
const checkpointEvery4 = { commitIntervalMs: 20, checkpointThresholdRecords: 4 } as const;

/** The offset in the `counts` store's `.checkpoint` of task 0_0, or `undefined` with none. */
async function checkpointOf(stateDir: string): Promise<number | undefined> {
  try {
    return (JSON.parse(await readFile(join(stateDir, 'app', '0_0', 'counts', '.checkpoint'), 'utf8')) as { offset: number }).offset;
  } catch {
    return undefined;
  }
}

async function freshStateDir(): Promise<string> {
  const stateDir = await mkdtemp(join(tmpdir(), 'checkpoints-'));
  onTestFinished(() => rm(stateDir, { recursive: true, force: true }));
  return stateDir;
}

const produceKeys = (cluster: FakeKafkaCluster, keys: string): void =>
  cluster.produce(
    'in',
    0,
    [...keys].map((key) => ({ key, value: 'x' })),
  );

/** The latest count `out` holds for each key. */
function counts(cluster: FakeKafkaCluster): Map<string, number> {
  const latest = new Map<string, number>();
  for (const record of cluster.committedRecords('out', 0)) latest.set(record.key!.toString(), record.value!.readDoubleBE(0));
  return latest;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Checkpoints of a stream thread', () => {
  it('at-least-once: an interval commit checkpoints only once the changelog moved by more than checkpointThresholdRecords; a close always does', async () => {
    const cluster = new FakeKafkaCluster();
    const stateDir = await freshStateDir();
    const { thread, fatal, started } = await startThread(cluster, { topology: countTopology(), stateDir, options: checkpointEvery4 });
    await started;
    produceKeys(cluster, 'abc');
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(3));
    await settle(100);
    // Three changelog records since the (empty) start: committed, not checkpointed.
    expect(await checkpointOf(stateDir)).toBeUndefined();
    produceKeys(cluster, 'def');
    await vi.waitFor(async () => expect(await checkpointOf(stateDir)).toBe(6));
    produceKeys(cluster, 'a');
    await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(7));
    await settle(100);
    expect(await checkpointOf(stateDir)).toBe(6);
    await thread.close();
    expect(await checkpointOf(stateDir)).toBe(7);
    expect(fatal).toEqual([]);
  });

  it.each<ProcessingGuarantee>(['at_least_once', 'exactly_once', 'exactly_once_v2'])(
    '%s: after a crash between checkpoints, with a flush of an unfinished commit, a restart replays the changelog from the older checkpoint to the right counts',
    async (processingGuarantee) => {
      const cluster = new FakeKafkaCluster();
      const stateDir = await freshStateDir();
      const options = { ...checkpointEvery4, processingGuarantee };
      const first = await startThread(cluster, { topology: countTopology(), stateDir, options });
      await first.started;
      produceKeys(cluster, 'abcde');
      await vi.waitFor(async () => expect(await checkpointOf(stateDir)).toBeGreaterThanOrEqual(5));
      const checkpoint = await checkpointOf(stateDir);
      // Two more changelog records, committed and written to the store's files, not checkpointed.
      produceKeys(cluster, 'ab');
      await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(7));
      await settle(100);
      expect(await checkpointOf(stateDir)).toBe(checkpoint);
      // The next commit flushes 'c' into the store, then its send fails: the thread dies with that
      // commit unfinished (no offsets, or an aborted transaction) and closes its tasks uncommitted.
      cluster.failNext('send', new KafkaClientError('unavailable', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', true));
      produceKeys(cluster, 'c');
      await vi.waitFor(() => expect(first.fatal).toHaveLength(1));
      await first.thread.close();
      expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(7);

      const second = await startThread(cluster, { topology: countTopology(), stateDir, options });
      await second.started;
      // Only 'a' and 'b' were replayed: the store kept its committed data past the checkpoint.
      expect(second.thread.restoredRecords).toBe(2);
      produceKeys(cluster, 'cad');
      await vi.waitFor(() => expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(11));
      // Each input counted once: the crashed commit's 'c' is processed again, and its flush (which
      // would make 'c' 4) never reached the store.
      await vi.waitFor(() => expect(Object.fromEntries(counts(cluster))).toEqual({ a: 3, b: 2, c: 3, d: 2, e: 1 }));
      expect(second.fatal).toEqual([]);
    },
  );
});
