/**
 * `selectKey`: forward each record with the key its mapper computes and the same value. Kafka
 * Streams does it with a `KStreamMap` that keeps the value; the stream then needs a repartition
 * before grouping or joining.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { KeyValueMapper } from '../../functions.js';

class SelectKeyProcessor<K, V, KR> implements Processor<K, V, KR, V> {
  private context!: ProcessorContext<KR, V>;

  constructor(private readonly mapper: KeyValueMapper<K, V, KR>) {}

  init(context: ProcessorContext<KR, V>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    this.context.forward(record.withKey(this.mapper(record.key, record.value)));
  }
}

export function selectKeyProcessor<K, V, KR>(mapper: KeyValueMapper<K, V, KR>): ProcessorSupplier<K, V, KR, V> {
  return () => new SelectKeyProcessor(mapper);
}
