/**
 * A node that forwards every record unchanged (Kafka's `KStreamPassThrough`): the join point of
 * `merge` and of a cogroup's aggregations, and the entry node of each `split()` branch.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';

class PassThroughProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>;

  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    this.context.forward(record);
  }
}

export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, K, V> {
  return () => new PassThroughProcessor<K, V>();
}
