/** `mapValues`: forward each record with a new value and the same key (Kafka's `KStreamMapValues`). */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { ValueMapper } from '../../functions.js';

class MapValuesProcessor<K, V, VR> implements Processor<K, V, K, VR> {
  private context!: ProcessorContext<K, VR>;

  constructor(private readonly mapper: ValueMapper<V, VR, K>) {}

  init(context: ProcessorContext<K, VR>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    this.context.forward(record.withValue(this.mapper(record.value, record.key)));
  }
}

export function mapValuesProcessor<K, V, VR>(mapper: ValueMapper<V, VR, K>): ProcessorSupplier<K, V, K, VR> {
  return () => new MapValuesProcessor(mapper);
}
