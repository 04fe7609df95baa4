// The errors module first, as the runtime loads it: platformatic-producer.ts reaching it through errors.ts would meet a half-loaded cycle.
import '../client-error.js';
import { kOptions, kPerformWithRetry, NetworkError, ProtocolError, type Producer, type RetryDelayGetter } from '@platformatic/kafka';
import { describe, expect, it, vi } from 'vitest';
import { PlatformaticTransactionalProducer } from './platformatic-producer.js';

/** The platformatic producer inside a transactional producer of the adapter (no broker: nothing here connects). */
function innerProducer(options: { retryDelay?: number } = {}): Producer {
  const transactional = new PlatformaticTransactionalProducer({ clientId: 'test', bootstrapBrokers: ['127.0.0.1:9'], ...options }, { transactionalId: 'app-thread-1', transactionTimeoutMs: 10_000 }, async () => 1);
  return (transactional as unknown as { producer: Producer }).producer;
}

/** Runs `operationId` through platformatic's retry loop, failing with `failure` the first `failures` times; resolves with the attempts it took. */
function retried(producer: Producer, operationId: string, failures: number, failure: () => Error): Promise<number> {
  let attempts = 0;
  return new Promise((resolve, reject) => {
    void producer[kPerformWithRetry]<number>(
      operationId,
      (callback) => {
        attempts++;
        if (attempts <= failures) callback(failure(), undefined as unknown as number);
        else callback(null, attempts);
      },
      ((error: Error | null, result: number) => (error === null ? resolve(result) : reject(error))) as never,
    );
  });
}

describe('PlatformaticTransactionalProducer retries', () => {
  it('adds partitions again within a moment of CONCURRENT_TRANSACTIONS (the previous transaction still ending), not after the usual second', async () => {
    const started = performance.now();
    // Three refusals in a row: a second each would hold the transaction's first send up 3 s.
    expect(await retried(innerProducer(), 'addPartitionsToTransaction', 3, () => new ProtocolError('CONCURRENT_TRANSACTIONS'))).toBe(4);
    expect(performance.now() - started).toBeLessThan(600);
  });

  it("keeps the client's delay for other errors, and as the bound of the growing wait", () => {
    const delay = innerProducer({ retryDelay: 300 })[kOptions].retryDelay as RetryDelayGetter;
    const producer = innerProducer({ retryDelay: 300 });
    expect(delay(producer, 'endTransaction', 1, 10, new NetworkError('Connection closed'))).toBe(300);
    expect(delay(producer, 'addPartitionsToTransaction', 1, 10, new ProtocolError('CONCURRENT_TRANSACTIONS'))).toBe(20);
    expect(delay(producer, 'addPartitionsToTransaction', 3, 10, new ProtocolError('CONCURRENT_TRANSACTIONS'))).toBe(80);
    expect(delay(producer, 'addPartitionsToTransaction', 9, 10, new ProtocolError('CONCURRENT_TRANSACTIONS'))).toBe(300);
  });

  it('reads the list of brokers again before it retries a request for a broker missing from it (the coordinator of a transaction)', () => {
    const producer = innerProducer({ retryDelay: 300 });
    const delay = producer[kOptions].retryDelay as RetryDelayGetter;
    const metadata = vi.spyOn(producer, 'metadata').mockResolvedValue(undefined as never);
    expect(delay(producer, 'addPartitionsToTransaction', 1, 10, new ProtocolError('CONCURRENT_TRANSACTIONS'))).toBe(20);
    expect(delay(producer, 'endTransaction', 1, 10, new NetworkError('Connection closed'))).toBe(300);
    expect(metadata).not.toHaveBeenCalled();
    const missing = new NetworkError('Cannot get a connection: the broker is not available in the current cluster metadata.', { canRetry: true, hasStaleMetadata: true });
    expect(delay(producer, 'addPartitionsToTransaction', 2, 10, missing)).toBe(300);
    expect(metadata).toHaveBeenCalledExactlyOnceWith({ topics: [], forceUpdate: true });
  });
});
