/**
 * Counts the transactions a Tributary app commits, for the exactly-once scenarios' commits per
 * second: the app's Kafka client supplier, with each transactional producer's
 * `commitTransaction` counted once it succeeds. Counting at the client, not in the runtime,
 * counts per-task (v1) and per-thread (v2) transactions alike, whichever strategy commits them.
 * Only a supplier the app builds can be wrapped (the kafkajs one is the runtime's own), so the
 * count exists on @platformatic/kafka; with several stream threads each worker has its own
 * supplier, and the main thread's count would miss them, so the app counts on one thread only.
 */
import type { KafkaClientSupplier, TransactionalProducer } from '@tributary/kafka';

/** A supplier that counts the transactions its producers commit. */
export interface CountingSupplier {
  readonly supplier: KafkaClientSupplier;
  /** Transactions committed so far by every producer the supplier made. */
  transactions(): number;
}

export function countingTransactions(inner: KafkaClientSupplier): CountingSupplier {
  let committed = 0;
  const transactionalProducer = (config: Parameters<KafkaClientSupplier['transactionalProducer']>[0]): TransactionalProducer => {
    const producer = inner.transactionalProducer(config);
    const commit = producer.commitTransaction.bind(producer);
    // An own property over the class's method: every other method stays the producer's own.
    producer.commitTransaction = async () => {
      await commit();
      committed++;
    };
    return producer;
  };
  // Every other member is the inner supplier's, through the prototype (a method a later runtime
  // adds too, or a class's); only `transactionalProducer` is replaced.
  const supplier = Object.assign(Object.create(inner) as KafkaClientSupplier, { transactionalProducer });
  return { supplier, transactions: () => committed };
}
