/**
 * The client seam's contract, against the real broker: the same cases for every
 * `KafkaClientSupplier` Tributary ships, chosen by `TRIBUTARY_CLIENT` (kafkajs on any Node;
 * `pnpm test:platformatic` runs them on @platformatic/kafka under Node 24). Each case checks what
 * the runtime relies on: batches with the high watermark, positions, commits with metadata, a
 * rebalance run by the runtime's own kind of assignor, read_committed, fencing, and offsets
 * committed in a transaction.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchedBatch, GroupAssignment, GroupAssignor, KafkaClientSupplier, StreamsConsumer } from '../../packages/kafka/src/client/kafka-client.js';
import { fetchResponseReaderVerified } from '../../packages/kafka/src/client/internal/kafkajs-fetch-response.js';
import { produceRequestEncoderVerified } from '../../packages/kafka/src/client/internal/kafkajs-produce-request.js';
import { withTimeout } from '../../packages/kafka/src/internal/with-timeout.js';
import { clientName } from './helpers/client-option.mjs';
import { supplierUnderTest } from './helpers/client-under-test.js';
import { retainedBaseTime, uniqueTopic } from './helpers/kafka.js';

const open: { supplier: KafkaClientSupplier; close: (() => Promise<void>)[] }[] = [];

afterEach(async () => {
  for (const { supplier, close } of open.splice(0)) {
    for (const step of close.reverse()) await step().catch(() => {});
    supplier.shutdown();
  }
});

async function clients(name: string): Promise<{ supplier: KafkaClientSupplier; onClose: (step: () => Promise<void>) => void }> {
  const supplier = await supplierUnderTest(`contract-${name}`);
  const entry = { supplier, close: [] as (() => Promise<void>)[] };
  open.push(entry);
  return { supplier, onClose: (step) => entry.close.push(step) };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createTopic(supplier: KafkaClientSupplier, onClose: (step: () => Promise<void>) => void, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = supplier.admin();
  await admin.connect({ timeoutMs: 30_000, stopped: () => false });
  onClose(() => admin.disconnect());
  await admin.createTopics([{ name, partitions, replicationFactor: 1, configs }]);
}

/** Splits the partitions of every topic among the members, round robin in member id order; each member's user data names it. */
function splittingAssignor(label: string): GroupAssignor {
  return {
    name: 'contract-split',
    version: 1,
    subscriptionUserData: () => Buffer.from(label),
    assign(members, partitionCount) {
      const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      const shares = sorted.map(() => [] as number[]);
      for (let partition = 0; partition < partitionCount(topicOfAssignor); partition++) shares[partition % sorted.length]!.push(partition);
      return sorted.map((member, index) => ({ memberId: member.memberId, partitions: { [topicOfAssignor]: shares[index]! }, userData: Buffer.from(`for ${member.userData?.toString() ?? '?'}`) }));
    },
  };
}
let topicOfAssignor = '';

/** A consumer of `topic` in `groupId` that keeps every batch and membership event. */
async function reader(
  supplier: KafkaClientSupplier,
  onClose: (step: () => Promise<void>) => void,
  groupId: string,
  topic: string,
  options: { assignor?: GroupAssignor; manual?: boolean; revokeCommitMs?: number } = {},
) {
  const batches: FetchedBatch[] = [];
  const assignments: GroupAssignment[] = [];
  /** When each assignment came, and when each revoke's (simulated) commit settled. */
  const assignedAt: number[] = [];
  const revokeSettledAt: number[] = [];
  const events: string[] = [];
  const failures: unknown[] = [];
  const consumer: StreamsConsumer = supplier.consumer({ groupId, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000, maxWaitTimeMs: 200, ...(options.assignor === undefined ? {} : { assignor: options.assignor }) });
  await consumer.connect();
  onClose(() => consumer.disconnect());
  await consumer.subscribe([topic], {
    onRevoked: async () => {
      events.push('revoked');
      if (options.revokeCommitMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.revokeCommitMs));
      revokeSettledAt.push(Date.now());
    },
    onAssigned: (assignment) => {
      events.push('assigned');
      assignments.push(assignment);
      assignedAt.push(Date.now());
    },
    onFailed: (error) => failures.push(error),
  });
  await consumer.run(
    async (batch, markConsumed) => {
      batches.push(batch);
      markConsumed();
    },
    { manualPositions: options.manual ?? false },
  );
  const values = (): string[] => batches.flatMap((batch) => batch.records.map((record) => record.value?.toString() ?? 'null'));
  return { consumer, batches, assignments, assignedAt, revokeSettledAt, events, failures, values };
}

describe(`the Kafka client seam on ${clientName}`, () => {
  it('sends one partition at a time and fetches batches with the high watermark; seeks, pauses and commits with metadata', async () => {
    const { supplier, onClose } = await clients('produce');
    const topic = uniqueTopic('contract-produce');
    await createTopic(supplier, onClose, topic, 2);
    const producer = supplier.producer();
    await producer.connect();
    onClose(() => producer.disconnect());
    const stamp = (plus: number): string => String(retainedBaseTime + plus);
    const first = await producer.send(topic, [
      { key: Buffer.from('a'), value: Buffer.from('a0'), partition: 0, timestamp: stamp(0), headers: { trace: 'x', repeated: ['1', '2'] } },
      { key: Buffer.from('a'), value: Buffer.from('a1'), partition: 0, timestamp: stamp(1) },
    ]);
    expect(first).toEqual([{ topic, partition: 0, baseOffset: 0 }]);
    const second = await producer.send(topic, [{ key: null, value: null, partition: 1, timestamp: stamp(2) }]);
    expect(second).toEqual([{ topic, partition: 1, baseOffset: 0 }]);

    const groupId = uniqueTopic('contract-produce-group');
    const read = await reader(supplier, onClose, groupId, topic);
    await waitFor('three records', () => read.batches.reduce((sum, batch) => sum + batch.records.length, 0) >= 3);
    const zero = read.batches.filter((batch) => batch.partition === 0).flatMap((batch) => batch.records);
    expect(zero.map((record) => [record.offset, record.timestamp, record.key?.toString(), record.value?.toString()])).toEqual([
      ['0', stamp(0), 'a', 'a0'],
      ['1', stamp(1), 'a', 'a1'],
    ]);
    const headers = zero[0]!.headers!;
    expect(String(headers['trace'])).toBe('x');
    expect((headers['repeated'] as Buffer[]).map(String)).toEqual(['1', '2']);
    const one = read.batches.find((batch) => batch.partition === 1)!;
    expect(one.records[0]).toMatchObject({ offset: '0', key: null, value: null });
    expect(read.batches.find((batch) => batch.partition === 0)).toMatchObject({ highWatermark: 2, lastOffset: 1 });

    // Seek back: the partition's records come again.
    const before = read.values().length;
    read.consumer.seek(topic, 0, 1);
    await waitFor('the sought record again', () => read.values().length > before);
    expect(read.values().slice(before)).toEqual(['a1']);

    // Paused, a partition's new records wait; resumed, they come.
    read.consumer.pause([{ topic, partitions: [0] }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const paused = read.values().length;
    await producer.send(topic, [{ key: null, value: Buffer.from('a2'), partition: 0 }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(read.values().length).toBe(paused);
    read.consumer.resume([{ topic, partitions: [0] }]);
    await waitFor('the resumed record', () => read.values().includes('a2'));

    await read.consumer.commitOffsets([
      { topic, partition: 0, offset: 3, metadata: 'ends:0=3' },
      { topic, partition: 1, offset: 1 },
    ]);
    const admin = supplier.admin();
    await admin.connect({ timeoutMs: 30_000, stopped: () => false });
    onClose(() => admin.disconnect());
    const committed = await admin.fetchCommittedOffsets(groupId, [topic]);
    expect([...committed].sort((a, b) => a.partition - b.partition)).toEqual([
      { topic, partition: 0, offset: 3, metadata: 'ends:0=3' },
      { topic, partition: 1, offset: 1, metadata: expect.toBeOneOf([null, '']) },
    ]);
    const byPartition = async () => (await admin.listOffsets(topic)).sort((a, b) => a.partition - b.partition);
    expect(await byPartition()).toEqual([
      { partition: 0, low: 0, high: 3 },
      { partition: 1, low: 0, high: 1 },
    ]);
    expect(await admin.partitionCounts([topic, uniqueTopic('absent')])).toEqual(new Map([[topic, 2]]));
    await admin.deleteRecords(topic, [{ partition: 0, offset: 2 }]);
    expect((await byPartition())[0]).toEqual({ partition: 0, low: 2, high: 3 });
    expect(read.failures).toEqual([]);
    if (clientName === 'kafkajs') {
      // The adapter wrote these produce requests and read these fetch responses itself, the first of each checked against kafkajs' own.
      expect(produceRequestEncoderVerified()).toBe(true);
      expect(fetchResponseReaderVerified()).toBe(true);
    }
  });

  it('rebalances two members with the runtime-style assignor: disjoint partitions, each member its own assignment user data', async () => {
    const { supplier, onClose } = await clients('rebalance');
    const topic = uniqueTopic('contract-rebalance');
    topicOfAssignor = topic;
    await createTopic(supplier, onClose, topic, 4);
    const groupId = uniqueTopic('contract-rebalance-group');
    const first = await reader(supplier, onClose, groupId, topic, { assignor: splittingAssignor('first') });
    await waitFor('the first member assigned', () => first.assignments.length > 0);
    expect(first.assignments[0]!.partitions[topic]).toEqual([0, 1, 2, 3]);

    const second = await reader(supplier, onClose, groupId, topic, { assignor: splittingAssignor('second') });
    await waitFor('both members in one generation', () => {
      const a = first.assignments.at(-1)?.partitions[topic] ?? [];
      const b = second.assignments.at(-1)?.partitions[topic] ?? [];
      return a.length === 2 && b.length === 2;
    });
    expect([...first.assignments.at(-1)!.partitions[topic]!, ...second.assignments.at(-1)!.partitions[topic]!].sort()).toEqual([0, 1, 2, 3]);
    expect(first.events).toContain('revoked');
    expect(first.events.at(-1)).toBe('assigned');

    const admin = supplier.admin();
    await admin.connect({ timeoutMs: 30_000, stopped: () => false });
    onClose(() => admin.disconnect());
    const members = await admin.describeGroup(groupId);
    expect(members.map((member) => [member.subscriptionUserData?.toString(), member.assignmentUserData?.toString()]).sort()).toEqual([
      ['first', 'for first'],
      ['second', 'for second'],
    ]);
    const ids = new Set([first.assignments.at(-1)!.memberId, second.assignments.at(-1)!.memberId]);
    expect(new Set(members.map((member) => member.memberId))).toEqual(ids);
    expect(first.failures).toEqual([]);
    expect(second.failures).toEqual([]);
  });

  it("holds its JoinGroup until the revoke's commit settles, so no other member gets the partitions before their last writes", async () => {
    const { supplier, onClose } = await clients('revoke-first');
    const topic = uniqueTopic('contract-revoke-first');
    topicOfAssignor = topic;
    await createTopic(supplier, onClose, topic, 4);
    const groupId = uniqueTopic('contract-revoke-first-group');
    const revokeCommitMs = 3000;
    const first = await reader(supplier, onClose, groupId, topic, { assignor: splittingAssignor('first'), revokeCommitMs });
    await waitFor('the first member assigned', () => first.assignments.length > 0);
    const second = await reader(supplier, onClose, groupId, topic, { assignor: splittingAssignor('second') });
    await waitFor('both members in one generation', () => (first.assignments.at(-1)?.partitions[topic]?.length ?? 0) === 2 && (second.assignments.at(-1)?.partitions[topic]?.length ?? 0) === 2);
    // The first member's revoke took 3 s; the second got its partitions only after it settled.
    await waitFor("the first member's revoke settled", () => first.revokeSettledAt.length > 0, 10_000);
    const secondGotPartitions = second.assignments.findIndex((assignment) => (assignment.partitions[topic]?.length ?? 0) > 0);
    expect(second.assignedAt[secondGotPartitions]!).toBeGreaterThanOrEqual(first.revokeSettledAt[0]!);
    expect(first.failures).toEqual([]);
    expect(second.failures).toEqual([]);
  });

  it('commits and aborts transactions: read_committed sees only the committed records, and positions move past the aborted ones', async () => {
    const { supplier, onClose } = await clients('transactions');
    const topic = uniqueTopic('contract-txn');
    await createTopic(supplier, onClose, topic, 1);
    const producer = supplier.transactionalProducer({ transactionalId: uniqueTopic('contract-txn-id'), transactionTimeoutMs: 30_000 });
    await producer.initTransactions();
    onClose(() => producer.disconnect());
    await producer.beginTransaction();
    await producer.send(topic, [{ key: null, value: Buffer.from('committed-1'), partition: 0 }]);
    await producer.commitTransaction();
    await producer.beginTransaction();
    await producer.send(topic, [{ key: null, value: Buffer.from('aborted-1'), partition: 0 }, { key: null, value: Buffer.from('aborted-2'), partition: 0 }]);
    await producer.abortTransaction();
    await producer.beginTransaction();
    await producer.send(topic, [{ key: null, value: Buffer.from('committed-2'), partition: 0 }]);
    await producer.commitTransaction();

    const read = await reader(supplier, onClose, uniqueTopic('contract-txn-group'), topic);
    // committed-1, its marker, two aborted, their marker, committed-2, its marker: offsets 0..6.
    await waitFor('the end of the partition', () => read.batches.some((batch) => batch.lastOffset >= 5));
    expect(read.values()).toEqual(['committed-1', 'committed-2']);
    expect(Math.max(...read.batches.map((batch) => batch.highWatermark))).toBe(7);
    expect(read.failures).toEqual([]);
  });

  it('keeps a committed transaction that an abort marker with no records of its own follows, as a kill between adding a partition and producing to it leaves', async () => {
    const { supplier, onClose } = await clients('between-aborts');
    const topic = uniqueTopic('contract-between');
    // Batches above 2,048 bytes are refused, so a transaction can add the partition and then write nothing to it.
    await createTopic(supplier, onClose, topic, 1, { 'max.message.bytes': '2048' });
    const transactionalId = uniqueTopic('contract-between-id');
    const killed = supplier.transactionalProducer({ transactionalId, transactionTimeoutMs: 30_000 });
    await killed.initTransactions();
    onClose(() => killed.disconnect());
    const transaction = async (producer: typeof killed, values: string[], end: 'commit' | 'abort'): Promise<void> => {
      await producer.beginTransaction();
      await producer.send(topic, values.map((value) => ({ key: null, value: Buffer.from(value), partition: 0 })));
      await (end === 'commit' ? producer.commitTransaction() : producer.abortTransaction());
    };
    await transaction(killed, ['aborted-1', 'aborted-2'], 'abort');
    await transaction(killed, ['kept-1', 'kept-2', 'kept-3'], 'commit');
    // The partition joins a transaction and its only batch is refused; then the producer is left as if killed.
    await killed.beginTransaction();
    const refused = await killed.send(topic, [{ key: null, value: Buffer.alloc(8_192, 120), partition: 0 }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    // Its successor's initialization aborts that transaction: an abort marker after the kept records, for which the
    // broker lists no aborted transaction, since the transaction has no records in the partition.
    const successor = supplier.transactionalProducer({ transactionalId, transactionTimeoutMs: 30_000 });
    await successor.initTransactions();
    onClose(() => successor.disconnect());
    await transaction(successor, ['kept-4'], 'commit');

    const read = await reader(supplier, onClose, uniqueTopic('contract-between-group'), topic);
    // Two aborted and their marker (0..2), three kept and theirs (3..6), the bare abort marker (7), one kept and its marker (8, 9).
    await waitFor('the end of the partition', () => read.batches.some((batch) => batch.lastOffset >= 9));
    expect(read.values()).toEqual(['kept-1', 'kept-2', 'kept-3', 'kept-4']);
    expect(read.failures).toEqual([]);
  });

  it('takes concurrent sends to partitions new to the transaction, as the runtime sends a changelog and an output at once', async () => {
    const { supplier, onClose } = await clients('concurrent');
    const topic = uniqueTopic('contract-concurrent');
    await createTopic(supplier, onClose, topic, 3);
    const producer = supplier.transactionalProducer({ transactionalId: uniqueTopic('contract-concurrent-id'), transactionTimeoutMs: 30_000 });
    await producer.initTransactions();
    onClose(() => producer.disconnect());
    await producer.beginTransaction();
    await Promise.all([0, 1, 2].map((partition) => producer.send(topic, [{ key: null, value: Buffer.from(`p${partition}`), partition }])));
    await producer.commitTransaction();
    const read = await reader(supplier, onClose, uniqueTopic('contract-concurrent-group'), topic);
    await waitFor('a record from every partition', () => read.values().length >= 3);
    expect(read.values().sort()).toEqual(['p0', 'p1', 'p2']);
  });

  it('fences the first producer of a transactional id when a second one initializes it', async () => {
    const { supplier, onClose } = await clients('fencing');
    const topic = uniqueTopic('contract-fence');
    await createTopic(supplier, onClose, topic, 1);
    const transactionalId = uniqueTopic('contract-fence-id');
    const zombie = supplier.transactionalProducer({ transactionalId, transactionTimeoutMs: 30_000 });
    await zombie.initTransactions();
    onClose(() => zombie.disconnect());
    await zombie.beginTransaction();
    await zombie.send(topic, [{ key: null, value: Buffer.from('zombie'), partition: 0 }]);

    const successor = supplier.transactionalProducer({ transactionalId, transactionTimeoutMs: 30_000 });
    await successor.initTransactions();
    onClose(() => successor.disconnect());

    const failure = await (async () => {
      await zombie.send(topic, [{ key: null, value: Buffer.from('zombie-again'), partition: 0 }]);
      await zombie.commitTransaction();
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ kind: 'fenced', code: 'KAFKA_CLIENT_FENCED' });

    await successor.beginTransaction();
    await successor.send(topic, [{ key: null, value: Buffer.from('successor'), partition: 0 }]);
    await successor.commitTransaction();
    const read = await reader(supplier, onClose, uniqueTopic('contract-fence-group'), topic);
    await waitFor("the successor's record", () => read.values().includes('successor'));
    expect(read.values()).toEqual(['successor']);
  });

  it('commits consumed offsets with the transaction, and only when it commits', async () => {
    const { supplier, onClose } = await clients('offsets');
    const topic = uniqueTopic('contract-offsets');
    await createTopic(supplier, onClose, topic, 2);
    const groupId = uniqueTopic('contract-offsets-group');
    const producer = supplier.transactionalProducer({ transactionalId: uniqueTopic('contract-offsets-id'), transactionTimeoutMs: 30_000 });
    await producer.initTransactions();
    onClose(() => producer.disconnect());
    await producer.beginTransaction();
    await producer.send(topic, [{ key: null, value: Buffer.from('out'), partition: 0 }]);
    await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 5 }, { topic, partition: 1, offset: 7 }], { groupId });
    await producer.abortTransaction();
    const admin = supplier.admin();
    await admin.connect({ timeoutMs: 30_000, stopped: () => false });
    onClose(() => admin.disconnect());
    const offsetsOf = async (): Promise<number[]> => (await admin.fetchCommittedOffsets(groupId, [topic])).sort((a, b) => a.partition - b.partition).map((entry) => entry.offset);
    expect(await offsetsOf()).toEqual([-1, -1]);

    await producer.beginTransaction();
    await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 5 }, { topic, partition: 1, offset: 7 }], { groupId });
    await producer.commitTransaction();
    // The coordinator writes the commit markers (and so the offsets) after it answers the commit:
    // a fetch that does not ask for stable offsets (kafkajs) can still read none for a moment.
    await vi.waitFor(async () => expect(await offsetsOf()).toEqual([5, 7]), { timeout: 15_000, interval: 100 });
  });

  it('commits transactional offsets with the group generation, refused for another generation where the client speaks KIP-447', async () => {
    const { supplier, onClose } = await clients('generation');
    const topic = uniqueTopic('contract-generation');
    await createTopic(supplier, onClose, topic, 1);
    const groupId = uniqueTopic('contract-generation-group');
    const member = await reader(supplier, onClose, groupId, topic);
    await waitFor('the member assigned', () => member.assignments.length > 0);
    const { memberId, generationId } = member.assignments.at(-1)!;
    const producer = supplier.transactionalProducer({ transactionalId: uniqueTopic('contract-generation-id'), transactionTimeoutMs: 30_000 });
    await producer.initTransactions();
    onClose(() => producer.disconnect());

    await producer.beginTransaction();
    await producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 1 }], { groupId, generationId, memberId });
    await producer.commitTransaction();

    if (clientName === 'kafkajs') {
      // TxnOffsetCommit v0/v1 carries no generation, and kafkajs does not report one.
      expect(generationId).toBe(-1);
      return;
    }
    expect(generationId).toBeGreaterThan(0);
    await producer.beginTransaction();
    const stale = producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 2 }], { groupId, generationId: generationId + 1, memberId });
    await expect(stale).rejects.toMatchObject({ kind: 'group-fenced', code: 'KAFKA_CLIENT_GROUP_FENCED' });
    const unknownMember = producer.sendOffsetsToTransaction([{ topic, partition: 0, offset: 2 }], { groupId, generationId, memberId: 'no-such-member' });
    await expect(unknownMember).rejects.toMatchObject({ kind: 'group-fenced' });
    await producer.abortTransaction();
  });

  it("starts a partition at offsets a pending transaction commits for the group only once it completes, where the client reads offsets stable", async () => {
    // kafkajs' OffsetFetch never asks for stable offsets: it starts from the last completed commit at once.
    const readsStable = { kafkajs: false, platformatic: true }[clientName];
    const { supplier, onClose } = await clients('stable');
    const topic = uniqueTopic('contract-stable');
    await createTopic(supplier, onClose, topic, 1);
    const producer = supplier.producer();
    await producer.connect();
    onClose(() => producer.disconnect());
    await producer.send(topic, ['r0', 'r1', 'r2', 'r3'].map((value) => ({ key: null, value: Buffer.from(value), partition: 0 })));

    const groupId = uniqueTopic('contract-stable-group');
    const transactional = supplier.transactionalProducer({ transactionalId: uniqueTopic('contract-stable-id'), transactionTimeoutMs: 30_000 });
    await transactional.initTransactions();
    onClose(() => transactional.disconnect());
    await transactional.beginTransaction();
    await transactional.sendOffsetsToTransaction([{ topic, partition: 0, offset: 2 }], { groupId });

    const read = await reader(supplier, onClose, groupId, topic);
    await waitFor('the member assigned', () => read.assignments.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(read.values()).toEqual(readsStable ? [] : ['r0', 'r1', 'r2', 'r3']);
    await transactional.commitTransaction();
    if (readsStable) {
      await waitFor('the records after the committed offset', () => read.values().length >= 2);
      expect(read.values()).toEqual(['r2', 'r3']);
    }
  });
});

describe.runIf(clientName === 'platformatic')('@platformatic/kafka: the transactional producer', () => {
  it('adds partitions to its transaction after the transaction coordinator went missing from its list of brokers', async () => {
    const { supplier, onClose } = await clients('stale-brokers');
    const topic = uniqueTopic('contract-stale-brokers');
    await createTopic(supplier, onClose, topic, 2);
    const producer = supplier.transactionalProducer({ transactionalId: uniqueTopic('contract-stale-brokers-id'), transactionTimeoutMs: 30_000 });
    await producer.initTransactions();
    onClose(() => producer.disconnect());
    await producer.beginTransaction();
    await producer.send(topic, [{ key: null, value: Buffer.from('first'), partition: 0 }]);
    await producer.commitTransaction();

    // As after a broker's controlled shutdown: the list read while the broker was away lacks it.
    // platformatic hands out its cached list itself, so emptying it is what a stale read leaves.
    const inner = (producer as unknown as { producer: { metadata(options: { topics: string[] }): Promise<{ brokers: Map<number, unknown> }> } }).producer;
    (await inner.metadata({ topics: [] })).brokers.clear();
    await producer.beginTransaction();
    const sent = await withTimeout(producer.send(topic, [{ key: null, value: Buffer.from('second'), partition: 1 }]), 15_000, () => new Error('The send waited 15 s: the producer kept retrying AddPartitionsToTxn against a broker list it never refreshed.'));
    expect(sent).toMatchObject([{ topic, partition: 1 }]);
    await producer.commitTransaction();
  });
});
