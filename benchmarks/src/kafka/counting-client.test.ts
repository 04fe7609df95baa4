import type { KafkaClientSupplier, OffsetCommit, SendAcknowledgement, TransactionalProducer } from '@tributary/kafka';
import { describe, expect, it } from 'vitest';
import { countingTransactions } from './counting-client.js';

/** A transactional producer whose commits fail while `failing` is set; it records what it was asked. */
class FakeTransactionalProducer implements TransactionalProducer {
  readonly calls: string[] = [];
  failing = false;

  async initTransactions(): Promise<void> {
    this.calls.push('init');
  }
  async beginTransaction(): Promise<void> {
    this.calls.push('begin');
  }
  async send(): Promise<SendAcknowledgement[]> {
    this.calls.push('send');
    return [];
  }
  async sendOffsetsToTransaction(offsets: readonly OffsetCommit[]): Promise<void> {
    this.calls.push(`offsets ${offsets.length}`);
  }
  async commitTransaction(): Promise<void> {
    this.calls.push('commit');
    if (this.failing) throw new Error('PRODUCER_FENCED');
  }
  async abortTransaction(): Promise<void> {
    this.calls.push('abort');
  }
  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
  }
}

function fakeSupplier(): { supplier: KafkaClientSupplier; producers: FakeTransactionalProducer[]; shutdowns: () => number } {
  const producers: FakeTransactionalProducer[] = [];
  let shutdowns = 0;
  const unused = (): never => {
    throw new Error('not used in this test');
  };
  const supplier: KafkaClientSupplier = {
    name: 'fake',
    consumer: unused,
    producer: unused,
    admin: unused,
    transactionalProducer: () => {
      const producer = new FakeTransactionalProducer();
      producers.push(producer);
      return producer;
    },
    shutdown: () => {
      shutdowns++;
    },
  };
  return { supplier, producers, shutdowns: () => shutdowns };
}

describe('countingTransactions', () => {
  it('counts the commits of every producer the supplier makes, once each succeeds', async () => {
    const inner = fakeSupplier();
    const counting = countingTransactions(inner.supplier);
    const first = counting.supplier.transactionalProducer({ transactionalId: 'app-0_0', transactionTimeoutMs: 10_000 });
    const second = counting.supplier.transactionalProducer({ transactionalId: 'app-0_1', transactionTimeoutMs: 10_000 });
    await first.commitTransaction();
    await second.commitTransaction();
    await first.commitTransaction();
    expect(counting.transactions()).toBe(3);
    expect(inner.producers.map((producer) => producer.calls)).toEqual([['commit', 'commit'], ['commit']]);
  });

  it('does not count a commit that fails, and lets its error through', async () => {
    const inner = fakeSupplier();
    const counting = countingTransactions(inner.supplier);
    const producer = counting.supplier.transactionalProducer({ transactionalId: 'app-0_0', transactionTimeoutMs: 10_000 });
    await producer.commitTransaction();
    inner.producers[0]!.failing = true;
    await expect(producer.commitTransaction()).rejects.toThrow('PRODUCER_FENCED');
    expect(counting.transactions()).toBe(1);
  });

  it("leaves every other member to the inner supplier and its producers", async () => {
    const inner = fakeSupplier();
    const { supplier } = countingTransactions(inner.supplier);
    expect(supplier.name).toBe('fake');
    supplier.shutdown();
    expect(inner.shutdowns()).toBe(1);
    const producer = supplier.transactionalProducer({ transactionalId: 'app-0_0', transactionTimeoutMs: 10_000 });
    await producer.initTransactions();
    await producer.beginTransaction();
    await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 5 }], { groupId: 'app' });
    await producer.abortTransaction();
    expect(inner.producers[0]!.calls).toEqual(['init', 'begin', 'offsets 1', 'abort']);
  });
});
