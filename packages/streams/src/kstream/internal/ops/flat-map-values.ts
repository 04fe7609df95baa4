/** `flatMapValues`: forward zero or more values, each under the record's own key (Kafka's `KStreamFlatMapValues`). */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { ValueMapper } from '../../functions.js';
import { checkIterable } from './flat-map.js';

class FlatMapValuesProcessor<K, V, VR> implements Processor<K, V, K, VR> {
  private context!: ProcessorContext<K, VR>;

  constructor(private readonly mapper: ValueMapper<V, Iterable<VR>, K>) {}

  init(context: ProcessorContext<K, VR>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    const values = this.mapper(record.value, record.key);
    checkIterable(values, 'flatMapValues');
    for (const value of values) this.context.forward(record.withValue(value));
  }
}

export function flatMapValuesProcessor<K, V, VR>(mapper: ValueMapper<V, Iterable<VR>, K>): ProcessorSupplier<K, V, K, VR> {
  return () => new FlatMapValuesProcessor(mapper);
}
