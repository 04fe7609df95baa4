/**
 * `TimeWindowedKStream` aggregations over sliding windows (KIP-450, Kafka's
 * `KStreamSlidingWindowAggregate`). Windows are `[start, start + difference]`, both ends
 * inclusive, and exist only where records are: each record has a left window ending at it and,
 * when later records lie within the difference, a right window starting just after it. Aggregates
 * cannot be subtracted, so a new window's aggregate is copied from an existing window that holds
 * exactly the same records, as Kafka Streams does:
 * - the record's left window `[t - d, t]` starts from the latest window ending before `t` (the
 *   window holding exactly the records in `[t - d, t)`), when the previous record is within `d`;
 * - the record's right window `[t + 1, t + 1 + d]` copies the latest window that contains `t`
 *   (before `t` is added) when that window holds a record after `t`;
 * - the previous record's right window, when missing and `t` falls into it, holds only `t`.
 * Records earlier than `d` (whose left window would start before 0) share the window `[0, d]`.
 * Updates and creations go downstream in Kafka's order: the existing windows holding the record,
 * newest start first, then the previous record's right window, the record's left window, and its
 * right window (records earlier than `d`: windows after `[0, d]` oldest first, the new right
 * windows, then `[0, d]`).
 * A window is closed once its end is before stream time minus grace; a record whose own right
 * window would be closed is dropped whole, otherwise each closed window it misses counts a drop.
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { OldValues } from '../old-values.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { KeyValue } from '../../../state/key-value-store.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { WindowStore } from '../../../state/window-store.js';
import { windowed, type Windowed } from '../../windowed.js';
import type { SlidingWindows } from '../../windows.js';
import type { Change } from '../change.js';
import { dropLate, dropUnaggregatable, TableChangeForwarder } from './aggregate-support.js';
import type { Fold } from './stream-aggregate.js';

const operator = 'Sliding-window aggregation';

class SlidingWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>> {
  private context!: TaskContext;
  private store!: WindowStore<K, ValueAndTimestamp<VA>>;
  private forwarder!: TableChangeForwarder<Windowed<K>, VA>;
  private readonly difference: number;
  // Reused per record: the windows a record may touch, read before any is updated.
  private readonly found: KeyValue<number, ValueAndTimestamp<VA>>[] = [];

  constructor(
    private readonly storeName: string,
    private readonly windows: SlidingWindows,
    private readonly fold: Fold<K, V, VA>,
    private readonly sendOldValues: boolean,
    /** The aggregate a window made from nothing starts from, forwarded as its old value; `undefined` (null) for a reduce. */
    private readonly initializer: (() => VA) | undefined,
  ) {
    this.difference = windows.timeDifferenceMs;
  }

  /**
   * The old value Kafka forwards for a window it updates from `old`, or makes from it (a copy) or
   * from nothing: the aggregate it started from, the initializer's value for nothing.
   */
  private startingValue(old: ValueAndTimestamp<VA> | undefined): VA | null {
    if (old !== undefined) return old.value;
    return this.initializer === undefined || !this.sendOldValues ? null : this.initializer();
  }

  /**
   * The newest record time this processor has seen: windows close by it, not by the task's stream
   * time, as in Kafka Streams, so records of other sources of the task (a table it joins, say)
   * cannot close its windows early.
   */
  private observedStreamTime = Number.NEGATIVE_INFINITY;

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.context = internalContext(context);
    this.store = context.getStateStore<WindowStore<K, ValueAndTimestamp<VA>>>(this.storeName);
    // The store's window size is the time difference, so its flush listener reports the right ends.
    this.forwarder = new TableChangeForwarder<Windowed<K>, VA>(context, this.store, 'timestamped', this.sendOldValues);
  }

  process(record: StreamRecord<K, V>): void {
    if (dropUnaggregatable(this.context, record, operator)) return;
    const time = record.timestamp;
    const difference = this.difference;
    if (time > this.observedStreamTime) this.observedStreamTime = time;
    const closeTime = this.observedStreamTime - this.windows.graceMs;
    if (time + 1 + difference <= closeTime) {
      dropLate(this.context, operator, time, time - difference, time, closeTime);
      return;
    }
    if (time < difference) this.processEarly(record, closeTime);
    else this.processRecord(record, closeTime);
  }

  /**
   * Kafka's reverse-fetch path (`processReverse`): the record's windows are visited newest start
   * first, so the windows it falls into are updated from the newest to the oldest, then the
   * windows it needs are created. The walk stops at the latest window ending before the record,
   * which holds the aggregate its left window starts from; and when the record's left window
   * already holds a record at its time, there is nothing to create.
   */
  private processRecord(record: StreamRecord<K, V>, closeTime: number): void {
    const time = record.timestamp;
    const difference = this.difference;
    let before: ValueAndTimestamp<VA> | undefined;
    let previousTime: number | undefined;
    let latestContaining: ValueAndTimestamp<VA> | undefined;
    let leftExists = false;
    let rightExists = false;
    const found = this.readWindows(record.key, Math.max(0, time - 2 * difference), time + 1);
    let index = found.length - 1;
    for (; index >= 0; index--) {
      const { key: start, value } = found[index]!;
      const end = start + difference;
      if (start === time + 1) {
        rightExists = true;
      } else if (end > time) {
        latestContaining ??= value;
        this.update(record, start, value, closeTime);
      } else if (end === time) {
        leftExists = true;
        this.update(record, start, value, closeTime);
        // A record at this very time made the windows already.
        if (value.timestamp >= time) return;
        previousTime = value.timestamp;
      } else {
        before = value;
        previousTime = value.timestamp;
        break;
      }
    }
    if (previousTime !== undefined) {
      const previousRightStart = previousTime + 1;
      if (!hasStart(found, index, previousRightStart) && previousRightStart + difference >= time) this.update(record, previousRightStart, undefined, closeTime);
    }
    if (!leftExists) {
      const base = previousTime !== undefined && time - difference <= previousTime ? before : undefined;
      this.create(record, time - difference, base, closeTime);
    }
    if (!rightExists) this.createRight(record, latestContaining);
  }

  private processEarly(record: StreamRecord<K, V>, closeTime: number): void {
    const time = record.timestamp;
    let combined: ValueAndTimestamp<VA> | undefined;
    let previousTime: number | undefined;
    let latestContaining: ValueAndTimestamp<VA> | undefined;
    let rightExists = false;
    const found = this.readWindows(record.key, 0, time + 1);
    for (let index = 0; index < found.length; index++) {
      const { key: start, value } = found[index]!;
      if (start === 0) {
        combined = value;
        // A record after this one already made the previous record's right window.
        if (value.timestamp < time) previousTime = value.timestamp;
      } else if (start <= time) {
        latestContaining = value;
        this.update(record, start, value, closeTime);
      } else if (start === time + 1) {
        rightExists = true;
      }
    }
    // With no right window of an earlier record around, `[0, d]` holds only records after this one.
    if (latestContaining === undefined && combined !== undefined && combined.timestamp > time) latestContaining = combined;
    if (!rightExists) this.createRight(record, latestContaining);
    if (previousTime !== undefined && !hasStart(found, 0, previousTime + 1)) this.update(record, previousTime + 1, undefined, closeTime);
    this.update(record, 0, combined, closeTime);
  }

  /** The key's windows starting in `[from, to]`, read whole: updating while iterating a store is not something every backend allows. */
  private readWindows(key: K, from: number, to: number): readonly KeyValue<number, ValueAndTimestamp<VA>>[] {
    const found = this.found;
    found.length = 0;
    for (const window of this.store.fetchRange(key, from, to)) found.push(window);
    return found;
  }

  /** Folds the record into the window at `start` (new when `old` is undefined), unless it closed. */
  private update(record: StreamRecord<K, V>, start: number, old: ValueAndTimestamp<VA> | undefined, closeTime: number): void {
    const end = start + this.difference;
    if (end < closeTime) {
      dropLate(this.context, operator, record.timestamp, start, end, closeTime);
      return;
    }
    const value = this.fold(record.key, record.value, old?.value);
    const timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp);
    this.store.put(record.key, { value, timestamp }, start);
    if (this.forwarder.immediate) this.forwarder.forward(record, windowed(record.key, start, end), value, this.startingValue(old), timestamp);
  }

  /** Makes a new window from a copy of `base` (or from nothing) plus the record. */
  private create(record: StreamRecord<K, V>, start: number, base: ValueAndTimestamp<VA> | undefined, closeTime: number): void {
    const end = start + this.difference;
    if (end < closeTime) {
      dropLate(this.context, operator, record.timestamp, start, end, closeTime);
      return;
    }
    const value = this.fold(record.key, record.value, base?.value);
    this.store.put(record.key, { value, timestamp: record.timestamp }, start);
    if (this.forwarder.immediate) this.forwarder.forward(record, windowed(record.key, start, end), value, this.startingValue(base), record.timestamp);
  }

  /** Makes the record's right window from `source` when `source` holds a record after this one. */
  private createRight(record: StreamRecord<K, V>, source: ValueAndTimestamp<VA> | undefined): void {
    if (source === undefined || source.timestamp <= record.timestamp) return;
    const start = record.timestamp + 1;
    this.store.put(record.key, source, start);
    if (this.forwarder.immediate) this.forwarder.forward(record, windowed(record.key, start, start + this.difference), source.value, null, source.timestamp);
  }
}

/**
 * Whether a window starting at `start` was visited: one of `found` from index `from` on (a
 * handful of windows: a scan beats a Set).
 */
function hasStart(found: readonly KeyValue<number, unknown>[], from: number, start: number): boolean {
  for (let index = Math.max(0, from); index < found.length; index++) if (found[index]!.key === start) return true;
  return false;
}

export function slidingWindowAggregateProcessor<K, V, VA>(
  storeName: string,
  windows: SlidingWindows,
  fold: Fold<K, V, VA>,
  oldValues: OldValues,
  initializer: (() => VA) | undefined,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new SlidingWindowAggregateProcessor(storeName, windows, fold, oldValues.sent, initializer);
}
