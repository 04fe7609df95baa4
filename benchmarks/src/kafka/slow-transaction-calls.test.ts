import type { KafkaClientSupplier, SendAcknowledgement, TransactionalProducer } from '@tributary/kafka';
import { describe, expect, it } from 'vitest';
import { reportingSlowTransactionCalls, type SlowCall } from './slow-transaction-calls.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A producer whose commit takes 60 ms and whose abort fails after 60 ms; everything else answers at once. */
const slowCommits: TransactionalProducer = {
  initTransactions: async () => {},
  beginTransaction: async () => {},
  send: async (): Promise<SendAcknowledgement[]> => [],
  sendOffsetsToTransaction: async () => {},
  commitTransaction: async () => {
    await wait(60);
  },
  abortTransaction: async () => {
    await wait(60);
    throw new Error('PRODUCER_FENCED');
  },
  disconnect: async () => {},
};

const unused = (): never => {
  throw new Error('not used in this test');
};
const supplier: KafkaClientSupplier = { name: 'fake', consumer: unused, producer: unused, admin: unused, transactionalProducer: () => ({ ...slowCommits }), shutdown: () => {} };

describe('reportingSlowTransactionCalls', () => {
  it('reports the calls that took the threshold or more, with their transactional id and how they ended, and passes every call through', async () => {
    const reported: SlowCall[] = [];
    const producer = reportingSlowTransactionCalls(supplier, 50, (call) => reported.push(call)).transactionalProducer({ transactionalId: 'app-1', transactionTimeoutMs: 10_000 });
    await producer.beginTransaction();
    await producer.commitTransaction();
    await expect(producer.abortTransaction()).rejects.toThrow('PRODUCER_FENCED');
    expect(reported.map(({ transactionalId, method, error }) => ({ transactionalId, method, error }))).toEqual([
      { transactionalId: 'app-1', method: 'commitTransaction', error: undefined },
      { transactionalId: 'app-1', method: 'abortTransaction', error: 'PRODUCER_FENCED' },
    ]);
    expect(reported.every((call) => call.durationMs >= 50)).toBe(true);
  });
});
