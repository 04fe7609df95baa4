/**
 * `foreach`: run an action on each record; a terminal node that forwards nothing (Kafka's
 * `ForeachProcessor`).
 */
import type { Processor, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { ForeachAction } from '../../functions.js';

class ForeachProcessor<K, V> implements Processor<K, V, never, never> {
  constructor(private readonly action: ForeachAction<K, V>) {}

  process(record: StreamRecord<K, V>): void {
    this.action(record.key, record.value);
  }
}

export function foreachProcessor<K, V>(action: ForeachAction<K, V>): ProcessorSupplier<K, V, never, never> {
  return () => new ForeachProcessor(action);
}
