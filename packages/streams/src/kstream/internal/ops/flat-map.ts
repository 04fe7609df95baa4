/** `flatMap` and `flatMapValues`: forward zero or more records for each record. */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import { StreamsError } from '../../../errors/streams-error.js';
import type { KeyValue } from '../../../state/key-value-store.js';
import type { KeyValueMapper, ValueMapper } from '../../functions.js';

function checkIterable(result: unknown, operator: string): asserts result is Iterable<unknown> {
  if (result === null || result === undefined || typeof (result as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new StreamsError('MAPPER_RESULT_INVALID', `A ${operator}() mapper must return an iterable (for example an array), got ${String(result)}.`);
  }
}

class FlatMapProcessor<K, V, KR, VR> implements Processor<K, V, KR, VR> {
  private context!: ProcessorContext<KR, VR>;

  constructor(private readonly mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>) {}

  init(context: ProcessorContext<KR, VR>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    const pairs = this.mapper(record.key, record.value);
    checkIterable(pairs, 'flatMap');
    for (const pair of pairs) this.context.forward(new StreamRecord(pair.key, pair.value, record.timestamp, record.headers));
  }
}

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

export function flatMapProcessor<K, V, KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>): ProcessorSupplier<K, V, KR, VR> {
  return () => new FlatMapProcessor(mapper);
}

export function flatMapValuesProcessor<K, V, VR>(mapper: ValueMapper<V, Iterable<VR>, K>): ProcessorSupplier<K, V, K, VR> {
  return () => new FlatMapValuesProcessor(mapper);
}
