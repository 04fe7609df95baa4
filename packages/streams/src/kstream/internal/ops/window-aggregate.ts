/**
 * `TimeWindowedKStream.aggregate` / `reduce` / `count` over tumbling and hopping windows: folds
 * each record into every epoch-aligned window `[start, start + size)` containing it, except the
 * windows already closed (end + grace <= stream time), which drop it and count it as late, once
 * per closed window, as Kafka Streams does. Only null keys are dropped: a null value is folded in
 * like any other (Kafka's `KStreamWindowAggregate`), and an aggregate that comes out null (a
 * reduce whose first value is null) deletes its window, as Kafka's store does with a null value.
 * A window's first update carries the initializer's value as its old value when it is forwarded
 * at once (no cache), as Kafka's processor forwards the aggregate it started from; a reduce's, null.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { OldValues } from '../old-values.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { WindowStore } from '../../../state/window-store.js';
import { windowed, type Windowed } from '../../windowed.js';
import type { TimeWindows } from '../../windows.js';
import type { Change } from '../change.js';
import { hasExclusiveWindowWrites, type ExclusiveWindowWrites } from '../../../state/internal/exclusive-writes.js';
import { claims, dropLate, dropNullKey, reuseOrWrap, TableChangeForwarder, type MutableValueAndTimestamp } from './aggregate-support.js';
import type { Fold } from './stream-aggregate.js';

class WindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>> {
  private context!: TaskContext;
  private store!: WindowStore<K, ValueAndTimestamp<VA>>;
  private forwarder!: TableChangeForwarder<Windowed<K>, VA>;
  /** The store's writer side, when it has one; then aggregates it holds for this processor alone are updated in place. */
  private exclusive: ExclusiveWindowWrites<K, MutableValueAndTimestamp<VA>> | undefined;

  constructor(
    private readonly storeName: string,
    private readonly windows: TimeWindows,
    private readonly fold: Fold<K, V, VA>,
    private readonly sendOldValues: boolean,
    /** The old value of a window's first update: the initializer's value, or `undefined` (null) for a reduce. */
    private readonly initializer: (() => VA) | undefined,
    /** The fold that changes the aggregate it is given (an `updateInPlace` aggregator's); `undefined` for any other. */
    private readonly foldInPlace: Fold<K, V, VA> | undefined,
  ) {}

  /**
   * The newest record time this processor has seen: windows close by it, not by the task's stream
   * time, as in Kafka Streams, so records of other sources of the task (a table it joins, say)
   * cannot close its windows early.
   */
  private observedStreamTime = Number.NEGATIVE_INFINITY;

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.context = internalContext(context);
    this.store = context.getStateStore<WindowStore<K, ValueAndTimestamp<VA>>>(this.storeName);
    // The store's windows have the windows' size, so its flush listener reports the right ends.
    this.forwarder = new TableChangeForwarder<Windowed<K>, VA>(context, this.store, 'timestamped', this.sendOldValues);
    // An update forwarded at once with its old value needs the old aggregate intact.
    const keepsOldAggregates = this.forwarder.immediate && this.sendOldValues;
    this.exclusive = keepsOldAggregates || !hasExclusiveWindowWrites<K, MutableValueAndTimestamp<VA>>(this.store) ? undefined : this.store;
  }

  process(record: StreamRecord<K, V>): void {
    if (dropNullKey(this.context, record, 'Windowed aggregation')) return;
    const { sizeMs, advanceMs, graceMs } = this.windows;
    const timestamp = record.timestamp;
    if (timestamp > this.observedStreamTime) this.observedStreamTime = timestamp;
    const closeTime = this.observedStreamTime - graceMs;
    for (let start = this.windows.firstWindowStart(timestamp); start <= timestamp; start += advanceMs) {
      const end = start + sizeMs;
      if (end <= closeTime) {
        dropLate(this.context, 'Windowed aggregation', timestamp, start, end, closeTime);
        continue;
      }
      const exclusive = this.exclusive;
      let newValue: VA;
      let newTimestamp: number;
      let old: ValueAndTimestamp<VA> | undefined;
      if (exclusive === undefined) {
        old = this.store.fetch(record.key, start);
        // The initializer's aggregate is nobody else's: a new window's is changed in place.
        newValue = old === undefined && this.foldInPlace !== undefined ? this.foldInPlace(record.key, record.value, undefined) : this.fold(record.key, record.value, old?.value);
        newTimestamp = old === undefined ? timestamp : Math.max(timestamp, old.timestamp);
        this.store.put(record.key, newValue === null || newValue === undefined ? null : { value: newValue, timestamp: newTimestamp }, start);
      } else {
        const held = exclusive.fetchForUpdate(record.key, start);
        old = held;
        const owned = held !== undefined && exclusive.fetchedExclusive;
        // A new aggregate starts from the initializer's, which nobody else holds either.
        const inPlace = this.foldInPlace !== undefined && (held === undefined || owned);
        newValue = inPlace ? this.foldInPlace!(record.key, record.value, held?.value) : this.fold(record.key, record.value, held?.value);
        newTimestamp = held === undefined ? timestamp : Math.max(timestamp, held.timestamp);
        const stored = newValue === null || newValue === undefined ? null : reuseOrWrap(owned ? held : undefined, newValue, newTimestamp);
        if (claims(inPlace, this.foldInPlace, held, newValue)) exclusive.putExclusive(record.key, stored, start);
        else this.store.put(record.key, stored, start);
      }
      if (this.forwarder.immediate) {
        // Old values only on request; with them, `old` was not changed in place (see init).
        const oldValue = !this.sendOldValues ? null : old !== undefined ? old.value : this.initializer === undefined ? null : this.initializer();
        this.forwarder.forward(record, windowed(record.key, start, end), newValue, oldValue, newTimestamp);
      }
    }
  }
}

export function windowAggregateProcessor<K, V, VA>(
  storeName: string,
  windows: TimeWindows,
  fold: Fold<K, V, VA>,
  oldValues: OldValues,
  initializer: (() => VA) | undefined,
  foldInPlace?: Fold<K, V, VA>,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new WindowAggregateProcessor(storeName, windows, fold, oldValues.sent, initializer, foldInPlace);
}
