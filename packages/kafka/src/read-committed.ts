/**
 * read_committed for kafkajs consumers of your own, such as those reading an exactly-once
 * application's output.
 */
import { installReadCommittedFilter } from './internal/read-committed.js';

/**
 * Makes every kafkajs (2.x) consumer in this process hide all records of aborted transactions
 * when it reads with read_committed (kafkajs' default, `readUncommitted: false`).
 *
 * kafkajs 2.2.4 delivers some aborted records when transactions that interleave in one
 * partition are aborted in another order than they began, which is what the output and
 * repartition topics of an exactly-once application look like after an instance is killed: each
 * task's producer has a transaction open in every partition it writes, and the tasks' new owners
 * abort them in any order. `KafkaStreams` applies this fix to its own consumers when it is
 * constructed; call this before your own consumers fetch when no `KafkaStreams` runs in the
 * process. Calling it again does nothing.
 *
 * @throws {@link IllegalStateError} when the kafkajs installed is not laid out as 2.x is.
 *
 * @example
 * ```ts
 * import { fixKafkajsReadCommitted } from '@tributary/kafka';
 *
 * fixKafkajsReadCommitted();
 * const consumer = kafka.consumer({ groupId: 'report', readUncommitted: false });
 * ```
 */
export function fixKafkajsReadCommitted(): void {
  installReadCommittedFilter();
}
