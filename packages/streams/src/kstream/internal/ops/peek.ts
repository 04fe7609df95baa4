/** `peek`: run an action on each record and pass the record on unchanged (Kafka's `KStreamPeek`). */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { ForeachAction } from '../../functions.js';

class PeekProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>;

  constructor(private readonly action: ForeachAction<K, V>) {}

  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    this.action(record.key, record.value);
    this.context.forward(record);
  }
}

export function peekProcessor<K, V>(action: ForeachAction<K, V>): ProcessorSupplier<K, V, K, V> {
  return () => new PeekProcessor(action);
}
