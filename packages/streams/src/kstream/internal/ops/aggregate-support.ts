/**
 * What every aggregation processor shares: dropping (counting and warning about) records it
 * cannot aggregate and late records, and forwarding its table's changes either at once or, when the store
 * caches, only from the cache's flush listener (so updates are deduplicated up to commit).
 */
import type { ProcessorContext } from '../../../processor/processor.js';
import { StreamRecord } from '../../../processor/stream-record.js';
import { internalContext, type TaskContext } from '../../../processor/internal/task-context.js';
import { isFlushListenable, type CacheFlushListener } from '../../../state/internal/flush-listener.js';
import type { Windowed } from '../../windowed.js';
import type { Change } from '../change.js';

/**
 * Drops a record with a null key or a null value, as Kafka Streams' sliding-window and
 * non-windowed aggregations do, counting it under 'null-key' or 'null-value'.
 * Returns true when the record was dropped.
 */
export function dropUnaggregatable(context: TaskContext, record: StreamRecord<unknown, unknown>, operator: string): boolean {
  if (dropNullKey(context, record, operator)) return true;
  if (record.value !== null && record.value !== undefined) return false;
  skip(context, operator, 'null value');
  return true;
}

/**
 * Drops a record with a null key, counting it under 'null-key'; a null value passes. Kafka
 * Streams' time- and session-window aggregations drop only null keys: a null value reaches the
 * initializer and aggregator (`count()` counts it, `reduce` takes it as the value).
 * Returns true when the record was dropped.
 */
export function dropNullKey(context: TaskContext, record: StreamRecord<unknown, unknown>, operator: string): boolean {
  if (record.key !== null && record.key !== undefined) return false;
  skip(context, operator, 'null key');
  return true;
}

function skip(context: TaskContext, operator: string, what: 'null key' | 'null value'): void {
  context.dropRecord(what === 'null key' ? 'null-key' : 'null-value', `${operator} skipped a record with a ${what}.`);
}

/**
 * Counts and warns about a record too late for a window (its end plus grace is behind stream
 * time), as Kafka Streams warns "Skipping record for expired window"; rate-limited, see
 * {@link TaskContext.dropRecord}.
 */
export function dropLate(context: TaskContext, operator: string, timestamp: number, windowStart: number, windowEnd: number, closeTime: number): void {
  const dropped = context.dropWarnings.count('late-record');
  if (dropped === 0) return;
  context.dropWarnings.warn(dropped, 'late-record', `${operator} skipped a record for an expired window [${windowStart},${windowEnd}]: windows ending at or before ${closeTime} (its stream time minus the grace period) are closed.`, {
    processor: context.currentNode?.name,
    source: context.describeSource(),
    timestamp,
    window: `[${windowStart},${windowEnd}]`,
    expiration: closeTime,
    streamTime: context.streamTime,
  });
}

/**
 * Sends an aggregation's table changes on (Kafka's `TimestampedTupleForwarder`). When the store
 * caches, its flush listener is the only source of output: one change per key (or window, or
 * session) per flush, with the value last flushed as the old value, and the processor must not
 * forward itself ({@link immediate} is false). Otherwise the processor forwards each change at
 * once with {@link forward}. Session changes carry the session's end as their timestamp, both
 * ways, so the output is the same with caching on or off, up to deduplication. Headers follow
 * Kafka: a flushed change has those of the record that last wrote it; an immediate one has its
 * record's, except a session change, which Kafka's session aggregation sends as a new record
 * without headers.
 */
export class TableChangeForwarder<K, V> {
  /** Whether the processor forwards each change itself (the store does not cache). */
  readonly immediate: boolean;
  /** Whether an immediate change keeps its record's headers (not for sessions; see the class comment). */
  private readonly keepsHeaders: boolean;

  constructor(
    private readonly context: ProcessorContext<K, Change<V>>,
    store: unknown,
    values: 'timestamped' | 'session',
    /** Whether a downstream operator asked for old values; without, the cache does not read them. */
    private readonly sendOldValues: boolean,
  ) {
    this.keepsHeaders = values !== 'session';
    if (!isFlushListenable<K, unknown>(store)) {
      this.immediate = true;
      return;
    }
    const forwardLater = internalContext(context).forwarderFor<K, Change<V>>();
    const listener: CacheFlushListener<K, unknown> =
      values === 'session'
        ? (key, newValue, oldValue, _timestamp, headers) =>
            forwardLater(new StreamRecord(key, { newValue: newValue as V | null, oldValue: oldValue as V | null }, (key as Windowed<unknown>).window.end, headers))
        : (key, newValue, oldValue, timestamp, headers) => forwardLater(new StreamRecord(key, { newValue: unwrapTimestamped<V>(newValue), oldValue: unwrapTimestamped<V>(oldValue) }, timestamp, headers));
    this.immediate = !store.setFlushListener(listener, sendOldValues);
  }

  /** Forwards one change at once; call only when {@link immediate}. */
  forward(record: StreamRecord<unknown, unknown>, key: K, newValue: V | null, oldValue: V | null, timestamp: number): void {
    this.context.forward(new StreamRecord(key, { newValue, oldValue: this.sendOldValues ? oldValue : null }, timestamp, this.keepsHeaders ? record.headers : undefined));
  }
}

/** Reads the value out of a `ValueAndTimestamp` (or null). */
function unwrapTimestamped<V>(stored: unknown): V | null {
  if (stored === null || stored === undefined) return null;
  return (stored as { value: V }).value;
}

/** A stored `ValueAndTimestamp` as its store's writer may change it, while the store holds it for the writer alone. */
export interface MutableValueAndTimestamp<V> {
  value: V;
  timestamp: number;
}

/**
 * What an aggregation puts back: `held` itself, with the new aggregate and timestamp, when the
 * store holds it for the aggregation alone (no object per record), else a new value and timestamp.
 */
export function reuseOrWrap<V>(held: MutableValueAndTimestamp<V> | undefined, value: V, timestamp: number): MutableValueAndTimestamp<V> {
  if (held === undefined) return { value, timestamp };
  held.value = value;
  held.timestamp = timestamp;
  return held;
}

/**
 * Whether an aggregation claims the value it puts as its own (the store's `putExclusive`), so a
 * later update may change it in place. Always with an ordinary aggregator: only the stored
 * `ValueAndTimestamp`, which the aggregation made, is ever changed. With an in-place one, the
 * aggregate too, so not when its ordinary call returned the aggregate others may hold unchanged
 * (a sketch a value did not change); a new one shares nothing with it.
 */
export function claims<V>(inPlace: boolean, foldInPlace: unknown, held: { readonly value: V } | undefined, newValue: V): boolean {
  return inPlace || foldInPlace === undefined || held === undefined || newValue !== held.value;
}

