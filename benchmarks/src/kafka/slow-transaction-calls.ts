/**
 * Diagnosis of exactly-once stalls: a supplier whose transactional producers report every call
 * (initTransactions, beginTransaction, send, sendOffsetsToTransaction, commitTransaction,
 * abortTransaction) that took `thresholdMs` or more, with its transactional id, how long it took
 * and how it ended. The app uses it when the runner keeps the children's logs
 * (`TRIBUTARY_BENCH_APP_LOG`), so a stall in a latency run can be traced to the request that held it.
 */
import type { KafkaClientSupplier, TransactionalProducer } from '@tributary/kafka';

/** One call that took at least the threshold. */
export interface SlowCall {
  readonly transactionalId: string;
  readonly method: string;
  readonly startedAt: number;
  readonly durationMs: number;
  /** The error's message when the call failed. */
  readonly error?: string;
}

const timedMethods = ['initTransactions', 'beginTransaction', 'send', 'sendOffsetsToTransaction', 'commitTransaction', 'abortTransaction'] as const;

export function reportingSlowTransactionCalls(inner: KafkaClientSupplier, thresholdMs: number, report: (call: SlowCall) => void): KafkaClientSupplier {
  const transactionalProducer = (config: Parameters<KafkaClientSupplier['transactionalProducer']>[0]): TransactionalProducer => {
    const producer = inner.transactionalProducer(config);
    for (const method of timedMethods) {
      const call = (producer[method] as (...args: unknown[]) => Promise<unknown>).bind(producer);
      const timed = async (...args: unknown[]): Promise<unknown> => {
        const startedAt = Date.now();
        try {
          const result = await call(...args);
          if (Date.now() - startedAt >= thresholdMs) report({ transactionalId: config.transactionalId, method, startedAt, durationMs: Date.now() - startedAt });
          return result;
        } catch (error) {
          if (Date.now() - startedAt >= thresholdMs) report({ transactionalId: config.transactionalId, method, startedAt, durationMs: Date.now() - startedAt, error: error instanceof Error ? error.message : String(error) });
          throw error;
        }
      };
      // An own property over the class's method, as counting-client.ts does.
      Object.assign(producer, { [method]: timed });
    }
    return producer;
  };
  return Object.assign(Object.create(inner) as KafkaClientSupplier, { transactionalProducer });
}
