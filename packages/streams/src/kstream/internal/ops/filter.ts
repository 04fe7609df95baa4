/** `filter` and `filterNot`: forward the records a predicate accepts (or rejects), Kafka's `KStreamFilter`. */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { Predicate } from '../../functions.js';

class FilterProcessor<K, V> implements Processor<K, V, K, V> {
  private context!: ProcessorContext<K, V>;

  constructor(
    private readonly predicate: Predicate<K, V>,
    private readonly keepWhen: boolean,
  ) {}

  init(context: ProcessorContext<K, V>): void {
    this.context = context;
  }

  process(record: StreamRecord<K, V>): void {
    if (this.predicate(record.key, record.value) === this.keepWhen) this.context.forward(record);
  }
}

export function filterProcessor<K, V>(predicate: Predicate<K, V>, keepWhen: boolean): ProcessorSupplier<K, V, K, V> {
  return () => new FilterProcessor(predicate, keepWhen);
}
