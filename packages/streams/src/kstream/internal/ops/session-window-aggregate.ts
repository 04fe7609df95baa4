/**
 * `SessionWindowedKStream` aggregations: a record at `t` joins every session of its key that
 * ends at or after `t - gap` and starts at or before `t + gap`; those sessions are merged with
 * the record into one session `[min start, max end]`. Each merged-away session is deleted
 * downstream (a change with a null new value) and the merged session is forwarded as new. The
 * result's timestamp is the session's end, its latest record. As in Kafka Streams'
 * `KStreamSessionWindowAggregate`:
 * - a session closes at observed stream time - grace - inactivity gap (not stream time - grace):
 *   a record whose merged session ends before that is late, dropped and counted;
 * - the store's look-up skips sessions that ended at or before its observed time - retention
 *   (gap + grace unless `Materialized` sets it), so a record just inside the close time can start
 *   a new session beside an expired one instead of merging with it;
 * - only null keys are dropped: a null value reaches the aggregator (`count()` counts it).
 */
import type { Processor, ProcessorContext, ProcessorSupplier } from '../../../processor/processor.js';
import type { StreamRecord } from '../../../processor/stream-record.js';
import type { OldValues } from '../old-values.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import type { KeyValue } from '../../../state/key-value-store.js';
import type { SessionStore } from '../../../state/session-store.js';
import { windowed, type Windowed } from '../../windowed.js';
import type { SessionWindows } from '../../windows.js';
import type { Change } from '../change.js';
import { dropLate, dropNullKey, TableChangeForwarder } from './aggregate-support.js';

const operator = 'Session-window aggregation';

/** How a session aggregation starts, merges sessions and folds in a record. */
export interface SessionFunctions<K, V, VA> {
  /** The aggregate before any session or record; `undefined` for reduce. */
  initial(): VA | undefined;
  /** Merges a session's aggregate into the accumulated one. */
  merge(key: K, accumulated: VA | undefined, session: VA): VA;
  /** Folds the record into the accumulated aggregate. */
  fold(key: K, value: V, accumulated: VA | undefined): VA;
}

class SessionWindowAggregateProcessor<K, V, VA> implements Processor<K, V, Windowed<K>, Change<VA>> {
  private context!: TaskContext;
  private store!: SessionStore<K, VA>;
  private forwarder!: TableChangeForwarder<Windowed<K>, VA>;
  // Reused per record: the sessions a record overlaps, read before the store is changed.
  private readonly overlapping: KeyValue<Windowed<K>, VA>[] = [];

  constructor(
    private readonly storeName: string,
    private readonly windows: SessionWindows,
    private readonly functions: SessionFunctions<K, V, VA>,
    private readonly sendOldValues: boolean,
  ) {}

  /**
   * The newest record time this processor has seen: windows close by it, not by the task's stream
   * time, as in Kafka Streams, so records of other sources of the task (a table it joins, say)
   * cannot close its windows early.
   */
  private observedStreamTime = Number.NEGATIVE_INFINITY;

  init(context: ProcessorContext<Windowed<K>, Change<VA>>): void {
    this.context = internalContext(context);
    this.store = context.getStateStore<SessionStore<K, VA>>(this.storeName);
    this.forwarder = new TableChangeForwarder<Windowed<K>, VA>(context, this.store, 'session', this.sendOldValues);
  }

  process(record: StreamRecord<K, V>): void {
    if (dropNullKey(this.context, record, operator)) return;
    const { key } = record;
    const time = record.timestamp;
    const gap = this.windows.inactivityGapMs;
    if (time > this.observedStreamTime) this.observedStreamTime = time;
    const closeTime = this.observedStreamTime - this.windows.graceMs - gap;
    const overlapping = this.overlapping;
    overlapping.length = 0;
    for (const session of this.store.findSessions(key, time - gap, time + gap)) overlapping.push(session);
    let start = time;
    let end = time;
    let aggregate = this.functions.initial();
    for (const session of overlapping) {
      aggregate = this.functions.merge(key, aggregate, session.value);
      if (session.key.window.start < start) start = session.key.window.start;
      if (session.key.window.end > end) end = session.key.window.end;
    }
    if (end < closeTime) {
      dropLate(this.context, operator, time, start, end, closeTime);
      return;
    }
    // Only a session `[t, t]` can have the bounds of the new one: it is overwritten, not deleted.
    const sameBounds = start === time && end === time;
    const immediate = this.forwarder.immediate;
    if (!sameBounds) {
      for (const session of overlapping) {
        this.store.remove(session.key);
        if (immediate) this.forwarder.forward(record, session.key, null, session.value, session.key.window.end);
      }
    }
    aggregate = this.functions.fold(key, record.value, aggregate);
    const merged = windowed(key, start, end);
    this.store.put(merged, aggregate);
    // Kafka forwards the merged session with a null old value, even one overwriting `[t, t]`.
    if (immediate) this.forwarder.forward(record, merged, aggregate, null, end);
  }
}

export function sessionWindowAggregateProcessor<K, V, VA>(
  storeName: string,
  windows: SessionWindows,
  functions: SessionFunctions<K, V, VA>,
  oldValues: OldValues,
): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => new SessionWindowAggregateProcessor(storeName, windows, functions, oldValues.sent);
}
