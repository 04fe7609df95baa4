/** `flatMap`: forward zero or more records, with new keys and values, for each record (Kafka's `KStreamFlatMap`). */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import { StreamsError } from '../../../errors/streams-error.js';
import type { KeyValue } from '../../../state/key-value-store.js';
import type { KeyValueMapper } from '../../functions.js';

/** Fails the record with `MAPPER_RESULT_INVALID` when a flat mapper returned no iterable; shared with `flatMapValues`. */
export function checkIterable(result: unknown, operator: string): asserts result is Iterable<unknown> {
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

export function flatMapProcessor<K, V, KR, VR>(mapper: KeyValueMapper<K, V, Iterable<KeyValue<KR, VR>>>): ProcessorSupplier<K, V, KR, VR> {
  return () => new FlatMapProcessor(mapper);
}
