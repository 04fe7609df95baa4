/**
 * `KGroupedStream.aggregate` / `reduce` / `count` (and each input of a cogroup): folds each
 * record into its key's aggregate in a timestamped key-value store and forwards the change. The
 * aggregate's timestamp is the largest timestamp of the records folded into it.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { OldValues } from '../old-values.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { Change } from '../change.js';
import { dropUnaggregatable, TableChangeForwarder } from './aggregate-support.js';

/**
 * Folds one record into an aggregate; `aggregate` is `undefined` for a key seen first, so one
 * function covers aggregate (initializer, then aggregator) and reduce (the first value as is).
 */
export type Fold<K, V, VA> = (key: K, value: V, aggregate: VA | undefined) => VA;

class StreamAggregateProcessor<K, V, VA> implements Processor<K, V, K, Change<VA>> {
  private context!: TaskContext;
  private store!: KeyValueStore<K, ValueAndTimestamp<VA>>;
  private forwarder!: TableChangeForwarder<K, VA>;

  constructor(
    private readonly storeName: string,
    private readonly fold: Fold<K, V, VA>,
    private readonly sendOldValues: boolean,
    /** The old value of a key's first update: the initializer's value, or `undefined` (null) for a reduce. */
    private readonly initializer: (() => VA) | undefined,
  ) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.context = internalContext(context);
    this.store = context.getStateStore<KeyValueStore<K, ValueAndTimestamp<VA>>>(this.storeName);
    this.forwarder = new TableChangeForwarder<K, VA>(context, this.store, 'timestamped', this.sendOldValues);
  }

  process(record: StreamRecord<K, V>): void {
    if (dropUnaggregatable(this.context, record, 'Aggregation')) return;
    const old = this.store.get(record.key);
    const newValue = this.fold(record.key, record.value, old?.value);
    const timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp);
    this.store.put(record.key, { value: newValue, timestamp });
    if (this.forwarder.immediate) {
      // Kafka's processor forwards the aggregate it started from: for a new key, the initializer's.
      const oldValue = old !== undefined ? old.value : this.initializer === undefined || !this.sendOldValues ? null : this.initializer();
      this.forwarder.forward(record, record.key, newValue, oldValue, timestamp);
    }
  }
}

export function streamAggregateProcessor<K, V, VA>(storeName: string, fold: Fold<K, V, VA>, oldValues: OldValues, initializer: (() => VA) | undefined): ProcessorSupplier<K, V, K, Change<VA>> {
  return () => new StreamAggregateProcessor(storeName, fold, oldValues.sent, initializer);
}
