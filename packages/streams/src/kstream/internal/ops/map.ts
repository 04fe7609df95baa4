/** `map`: forward each record with the key and value its mapper returns (Kafka's `KStreamMap`). */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import { StreamsError } from '../../../errors/streams-error.js';
import type { KeyValue } from '../../../state/key-value-store.js';
import type { KeyValueMapper } from '../../functions.js';

class MapProcessor<K, V, KR, VR> implements Processor<K, V, KR, VR> {
  private context!: ProcessorContext<KR, VR>;

  constructor(private readonly mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>) {}

  init(context: ProcessorContext<KR, VR>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    const pair = this.mapper(record.key, record.value);
    if (pair === null || typeof pair !== 'object') {
      throw new StreamsError('MAPPER_RESULT_INVALID', `A map() mapper must return { key, value }, got ${String(pair)}.`);
    }
    this.context.forward(new StreamRecord(pair.key, pair.value, record.timestamp, record.headers));
  }
}

export function mapProcessor<K, V, KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>): ProcessorSupplier<K, V, KR, VR> {
  return () => new MapProcessor(mapper);
}
