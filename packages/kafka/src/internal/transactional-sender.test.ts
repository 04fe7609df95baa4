import { describe, expect, it, vi } from 'vitest';
import { KafkaClientError } from '../client/client-error.js';
import { FakeKafkaCluster } from '../client/testing/fake-kafka-cluster.js';
import { TaskCorruptedError, TaskMigratedError } from '../errors.js';
import { TaskTransaction } from './task-transaction.js';
import { ThreadTransaction } from './thread/thread-transaction.js';
import type { TransactionalSender } from './transactional-sender.js';
import { MAX_BLOCK_MS } from './broker-wait.js';

/** The two exactly-once guarantees' transactions, on the in-memory cluster, with the transactional id each derives. */
const guarantees = [
  {
    name: 'exactly-once v1 (a task)',
    transactionalId: 'app-0_1',
    create: (cluster: FakeKafkaCluster): TransactionalSender => new TaskTransaction({ client: cluster.supplier(), applicationId: 'app', taskId: '0_1', commitIntervalMs: 100 }),
  },
  {
    name: 'exactly-once v2 (a stream thread)',
    transactionalId: 'app-process-2',
    create: (cluster: FakeKafkaCluster): TransactionalSender => new ThreadTransaction({ client: cluster.supplier(), applicationId: 'app', processId: 'process', threadIndex: 2, commitIntervalMs: 100 }),
  },
];

const record = (value: string) => ({ key: Buffer.from('k'), value: Buffer.from(value), partition: 0 });
const offsets = [{ topic: 'in', partition: 0, offset: 5 }];
const operations = (cluster: FakeKafkaCluster): string[] => cluster.requests.map((request) => request.operation);

function newCluster(): FakeKafkaCluster {
  const cluster = new FakeKafkaCluster();
  cluster.createTopic('in', 1);
  cluster.createTopic('out', 1);
  return cluster;
}

/** A cluster and an initialized sender on it, its transaction open with `sent` when given. */
async function initialized(create: (cluster: FakeKafkaCluster) => TransactionalSender, sent?: string): Promise<{ cluster: FakeKafkaCluster; sender: TransactionalSender }> {
  const cluster = newCluster();
  const sender = create(cluster);
  await sender.initialize();
  if (sent !== undefined) await sender.send('out', [record(sent)]);
  return { cluster, sender };
}

describe.each(guarantees)('TransactionalSender, $name', ({ transactionalId, create }) => {
  it('begins one transaction at the first send and commits its records with the offsets', async () => {
    const cluster = newCluster();
    const sender = create(cluster);
    expect(sender.transactionalId).toBe(transactionalId);
    await sender.initialize();
    expect(sender.open).toBe(false);
    await Promise.all([sender.send('out', [record('a')]), sender.send('out', [record('b')])]);
    expect(sender.open).toBe(true);
    expect(cluster.committedRecords('out', 0)).toEqual([]);
    await sender.commit(offsets, { groupId: 'app' });
    expect(sender.open).toBe(false);
    expect(operations(cluster)).toEqual(['beginTransaction', 'send', 'send', 'sendOffsetsToTransaction', 'commitTransaction']);
    expect(cluster.committedRecords('out', 0).map((entry) => entry.value!.toString())).toEqual(['a', 'b']);
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(5);
  });

  it('sends nothing at a commit with no records and no offsets, and commits offsets alone in a transaction', async () => {
    const { cluster, sender } = await initialized(create);
    await sender.commit([], { groupId: 'app' });
    expect(operations(cluster)).toEqual([]);
    await sender.commit(offsets, { groupId: 'app' });
    expect(operations(cluster)).toEqual(['beginTransaction', 'sendOffsetsToTransaction', 'commitTransaction']);
    expect(cluster.committedOffset('app', 'in', 0)?.offset).toBe(5);
  });

  it('fences the earlier producer of its id at initialize, aborting its open transaction', async () => {
    const cluster = newCluster();
    const zombie = create(cluster);
    await zombie.initialize();
    await zombie.send('out', [record('zombie')]);
    const successor = create(cluster);
    await successor.initialize();
    expect(cluster.logOf('out', 0).map((entry) => entry.state)).toEqual(['aborted']);
    await expect(zombie.commit(offsets, { groupId: 'app' })).rejects.toThrow(/newer producer|another instance|fenced/i);
    await successor.send('out', [record('successor')]);
    await successor.commit([], { groupId: 'app' });
    expect(cluster.committedRecords('out', 0).map((entry) => entry.value!.toString())).toEqual(['successor']);
  });

  it('throws the guarantee\'s error when a transaction cannot begin, and begins again at the next send', async () => {
    const { cluster, sender } = await initialized(create);
    cluster.failNext('beginTransaction', new KafkaClientError('unavailable', 'Request timed out', true));
    const error: unknown = await sender.send('out', [record('a')]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TaskCorruptedError);
    expect((error as Error).message).toContain('could not begin a transaction: Request timed out');
    expect(sender.open).toBe(false);
    await sender.send('out', [record('b')]);
    await sender.commit([], { groupId: 'app' });
    expect(cluster.committedRecords('out', 0).map((entry) => entry.value!.toString())).toEqual(['b']);
  });

  it('leaves no transaction open after a failed commit', async () => {
    const { cluster, sender } = await initialized(create, 'a');
    cluster.failNext('commitTransaction', new KafkaClientError('unavailable', 'Request timed out', true));
    await expect(sender.commit(offsets, { groupId: 'app' })).rejects.toThrow('could not commit its transaction: Request timed out');
    expect(sender.open).toBe(false);
  });
});

describe('TransactionalSender, offsets the brokers refuse', () => {
  const refused = (): KafkaClientError => new KafkaClientError('group-fenced', 'Specified group generation id is not valid (ILLEGAL_GENERATION)', false);

  /** Sends a record, then commits with `operation` failing as `failure`: the cluster, and what the commit threw. */
  async function failedCommit(create: (cluster: FakeKafkaCluster) => TransactionalSender, operation: 'sendOffsetsToTransaction' | 'commitTransaction', failure: Error): Promise<{ cluster: FakeKafkaCluster; error: unknown }> {
    const { cluster, sender } = await initialized(create, 'a');
    cluster.failNext(operation, failure);
    const error: unknown = await sender.commit(offsets, { groupId: 'app' }).catch((thrown: unknown) => thrown);
    return { cluster, error };
  }

  it('v2 aborts the open transaction before it throws, since the tasks\' next owners use other transactional ids', async () => {
    const { cluster, error } = await failedCommit(guarantees[1]!.create, 'sendOffsetsToTransaction', refused());
    expect(error).toBeInstanceOf(TaskMigratedError);
    expect((error as Error).message).toContain('could not add its offsets to its transaction: the consumer group has moved on without this member');
    expect(cluster.logOf('out', 0).map((entry) => entry.state)).toEqual(['aborted']);
    expect(operations(cluster)).toContain('abortTransaction');
  });

  it('v1 leaves the transaction to the task\'s next owner, whose initialize of the same id aborts it', async () => {
    const { cluster, error } = await failedCommit(guarantees[0]!.create, 'sendOffsetsToTransaction', refused());
    expect(error).toBeInstanceOf(TaskCorruptedError);
    expect((error as TaskCorruptedError).taskId).toBe('0_1');
    expect(operations(cluster)).not.toContain('abortTransaction');
    expect(cluster.logOf('out', 0).map((entry) => entry.state)).toEqual(['open']);
    await guarantees[0]!.create(cluster).initialize();
    expect(cluster.logOf('out', 0).map((entry) => entry.state)).toEqual(['aborted']);
  });

  it('v2 reports a newer producer of its id as migrated tasks, v1 as a corrupted task taken over', async () => {
    const fenced = (): KafkaClientError => new KafkaClientError('fenced', 'There is a newer producer with the same transactionalId which fences the current one', false);
    for (const [index, expected] of [
      [0, 'another instance has taken the task over'],
      [1, 'a newer producer of its transactional id took over'],
    ] as const) {
      const { error } = await failedCommit(guarantees[index]!.create, 'commitTransaction', fenced());
      expect(error).toBeInstanceOf(index === 0 ? TaskCorruptedError : TaskMigratedError);
      expect((error as Error).message).toContain(expected);
    }
  });
});

describe.each(guarantees)('TransactionalSender, $name, when the brokers never answer', ({ create }) => {
  /** A cluster whose producers' `operation` never completes, as a client that retries without end. */
  function silentOn(operation: 'beginTransaction' | 'sendOffsetsToTransaction' | 'commitTransaction'): FakeKafkaCluster {
    const cluster = newCluster();
    const supplier = cluster.supplier();
    const transactionalProducer = supplier.transactionalProducer.bind(supplier);
    vi.spyOn(cluster, 'supplier').mockReturnValue({
      ...supplier,
      transactionalProducer: (config) => {
        const producer = transactionalProducer(config);
        return Object.assign(Object.create(producer) as typeof producer, { [operation]: () => new Promise(() => {}) });
      },
    });
    return cluster;
  }

  it.each(['beginTransaction', 'sendOffsetsToTransaction', 'commitTransaction'] as const)("fails the thread once %s waited Kafka's max.block.ms", async (operation) => {
    const sender = create(silentOn(operation));
    await sender.initialize();
    vi.useFakeTimers();
    try {
      const committed = operation === 'beginTransaction' ? sender.send('out', [record('a')]) : sender.send('out', [record('a')]).then(() => sender.commit(offsets, { groupId: 'app' }));
      const outcome = expect(committed).rejects.toBeInstanceOf(TaskCorruptedError);
      await vi.advanceTimersByTimeAsync(MAX_BLOCK_MS);
      await outcome;
      await expect(committed).rejects.toThrow(/did not (begin a transaction|take the offsets into the transaction|commit the transaction) within 60000 ms/);
    } finally {
      vi.useRealTimers();
    }
  });
});
