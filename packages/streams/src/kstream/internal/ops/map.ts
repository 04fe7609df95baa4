/** `map` and `selectKey`: forward each record with a new key (and, for `map`, a new value). */
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

export function mapProcessor<K, V, KR, VR>(mapper: KeyValueMapper<K, V, KeyValue<KR, VR>>): ProcessorSupplier<K, V, KR, VR> {
  return () => new MapProcessor(mapper);
}

export function selectKeyProcessor<K, V, KR>(mapper: KeyValueMapper<K, V, KR>): ProcessorSupplier<K, V, KR, V> {
  return () => new SelectKeyProcessor(mapper);
}
