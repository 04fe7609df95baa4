/**
 * `KGroupedStream.aggregate` / `reduce` / `count` (and each input of a cogroup; Kafka's
 * `KStreamAggregate` and `KStreamReduce`): folds each record into its key's aggregate in a
 * timestamped key-value store and forwards the change. The aggregate's timestamp is the largest
 * timestamp of the records folded into it.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { OldValues } from '../old-values.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { KeyValueStore } from '../../../state/key-value-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { Change } from '../change.js';
import { hasExclusiveKeyValueWrites, type ExclusiveKeyValueWrites } from '../../../state/internal/exclusive-writes.js';
import { claims, dropUnaggregatable, reuseOrWrap, TableChangeForwarder, type MutableValueAndTimestamp } from './aggregate-support.js';

/**
 * Folds one record into an aggregate; `aggregate` is `undefined` for a key seen first, so one
 * function covers aggregate (initializer, then aggregator) and reduce (the first value as is).
 */
export type Fold<K, V, VA> = (key: K, value: V, aggregate: VA | undefined) => VA;

class StreamAggregateProcessor<K, V, VA> implements Processor<K, V, K, Change<VA>> {
  private context!: TaskContext;
  private store!: KeyValueStore<K, ValueAndTimestamp<VA>>;
  private forwarder!: TableChangeForwarder<K, VA>;

  /** The store's writer side, when it has one; then aggregates it holds for this processor alone are updated in place. */
  private exclusive: ExclusiveKeyValueWrites<K, MutableValueAndTimestamp<VA>> | undefined;

  constructor(
    private readonly storeName: string,
    private readonly fold: Fold<K, V, VA>,
    private readonly sendOldValues: boolean,
    /** The old value of a key's first update: the initializer's value, or `undefined` (null) for a reduce. */
    private readonly initializer: (() => VA) | undefined,
    /** The fold that changes the aggregate it is given (an `updateInPlace` aggregator's); `undefined` for any other. */
    private readonly foldInPlace: Fold<K, V, VA> | undefined,
  ) {}

  init(context: ProcessorContext<K, Change<VA>>): void {
    this.context = internalContext(context);
    this.store = context.getStateStore<KeyValueStore<K, ValueAndTimestamp<VA>>>(this.storeName);
    this.forwarder = new TableChangeForwarder<K, VA>(context, this.store, 'timestamped', this.sendOldValues);
    // An update forwarded at once with its old value needs the old aggregate intact.
    const keepsOldAggregates = this.forwarder.immediate && this.sendOldValues;
    this.exclusive = keepsOldAggregates || !hasExclusiveKeyValueWrites<K, MutableValueAndTimestamp<VA>>(this.store) ? undefined : this.store;
  }

  process(record: StreamRecord<K, V>): void {
    if (dropUnaggregatable(this.context, record, 'Aggregation')) return;
    const exclusive = this.exclusive;
    let old: ValueAndTimestamp<VA> | undefined;
    let newValue: VA;
    let timestamp: number;
    if (exclusive === undefined) {
      old = this.store.get(record.key);
      // The initializer's aggregate is nobody else's: a new key's is changed in place.
      newValue = old === undefined && this.foldInPlace !== undefined ? this.foldInPlace(record.key, record.value, undefined) : this.fold(record.key, record.value, old?.value);
      timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp);
      this.store.put(record.key, { value: newValue, timestamp });
    } else {
      const held = exclusive.getForUpdate(record.key);
      old = held;
      const owned = held !== undefined && exclusive.fetchedExclusive;
      // A new aggregate starts from the initializer's, which nobody else holds either.
      const inPlace = this.foldInPlace !== undefined && (held === undefined || owned);
      newValue = inPlace ? this.foldInPlace!(record.key, record.value, held?.value) : this.fold(record.key, record.value, held?.value);
      timestamp = held === undefined ? record.timestamp : Math.max(record.timestamp, held.timestamp);
      const stored = reuseOrWrap(owned ? held : undefined, newValue, timestamp);
      if (claims(inPlace, this.foldInPlace, held, newValue)) exclusive.putExclusive(record.key, stored);
      else this.store.put(record.key, stored);
    }
    if (this.forwarder.immediate) {
      // Kafka's processor forwards the aggregate it started from: for a new key, the initializer's.
      // Old values only on request; with them, `old` was not changed in place (see init).
      const oldValue = !this.sendOldValues ? null : old !== undefined ? old.value : this.initializer === undefined ? null : this.initializer();
      this.forwarder.forward(record, record.key, newValue, oldValue, timestamp);
    }
  }
}

export function streamAggregateProcessor<K, V, VA>(
  storeName: string,
  fold: Fold<K, V, VA>,
  oldValues: OldValues,
  initializer: (() => VA) | undefined,
  foldInPlace?: Fold<K, V, VA>,
): ProcessorSupplier<K, V, K, Change<VA>> {
  return () => new StreamAggregateProcessor(storeName, fold, oldValues.sent, initializer, foldInPlace);
}
