/**
 * Aggregators that change their aggregate in place (Tributary's own; Kafka Streams has none: its
 * cache holds bytes, so every update deserializes a fresh aggregate anyway). An ordinary
 * {@link Aggregator} returns a new aggregate per record, because the old one may still be held
 * elsewhere: forwarded downstream, read by a join or an interactive query. Tributary's caching
 * stores hold decoded aggregates, and know when nobody else can hold one: from the write that
 * put it there until the next flush or read by anyone but the aggregation. In between, an
 * aggregation built with {@link updateInPlace} updates the cached aggregate itself, copying it
 * only for the first update after it was handed out.
 */
import { TopologyError } from '../errors/streams-error.js';
import type { Aggregator } from './functions.js';

/** What {@link updateInPlace} takes: an in-place update and the copy that protects a shared aggregate. */
export interface InPlaceAggregation<K, V, VA> {
  /**
   * Folds a record into `aggregate`, changing it in place, and returns the result: usually
   * `aggregate` itself, or a replacement (which the aggregation then owns as it owned
   * `aggregate`). Called only with an aggregate nobody else holds: the initializer's, a
   * {@link InPlaceAggregation.copy | copy}, or one the store holds for this aggregation alone.
   */
  readonly update: (key: K, value: V, aggregate: VA) => VA;
  /**
   * A copy of `aggregate` that {@link InPlaceAggregation.update | update} can change without
   * changing `aggregate`: deep enough to cover every part `update` changes (a sketch or array
   * inside the aggregate is copied too).
   */
  readonly copy: (aggregate: VA) => VA;
}

/** Where an aggregator made by {@link updateInPlace} keeps its parts (read by `kstream/internal/in-place.ts`). */
const inPlaceParts = Symbol.for('tributary.inPlaceAggregation');

/**
 * An {@link Aggregator} that lets an aggregation change its aggregate in place instead of
 * allocating a new one per record. Called as an ordinary aggregator it copies the aggregate and
 * updates the copy, so it works with every operator and every store; the aggregations over all
 * time and over tumbling or hopping windows (`aggregate()` on a `KGroupedStream` or a
 * `TimeWindowedKStream` of `TimeWindows`) skip the copy while their caching store holds the
 * aggregate for them alone, which is from the first update after a commit (or a read by another
 * operator or a query) to the next. Without a cache, or when a downstream operator needs old
 * values and the aggregation forwards each update at once, they copy every time.
 *
 * @example
 * ```ts
 * interface Totals { count: number; sum: number }
 * const totals = grouped.aggregate(
 *   (): Totals => ({ count: 0, sum: 0 }),
 *   updateInPlace<string, number, Totals>({
 *     update: (_key, amount, totals) => {
 *       totals.count++;
 *       totals.sum += amount;
 *       return totals;
 *     },
 *     copy: (totals) => ({ ...totals }),
 *   }),
 *   Materialized.with(Serdes.String(), Serdes.Json<Totals>()),
 * );
 * ```
 */
export function updateInPlace<K, V, VA>(aggregation: InPlaceAggregation<K, V, VA>): Aggregator<K, V, VA> {
  const { update, copy } = aggregation;
  if (typeof update !== 'function' || typeof copy !== 'function') {
    throw new TopologyError('updateInPlace() takes { update, copy }: an update that changes the aggregate in place, and a copy of the aggregate that update can change.');
  }
  return withInPlaceParts((key, value, aggregate) => update(key, value, copy(aggregate)), { update, copy });
}

/**
 * Gives `aggregator` (called where an aggregate cannot be updated in place) in-place parts for
 * the aggregations that can use them. For Tributary's own aggregators, whose ordinary call is
 * cheaper than a copy and an update (a sketch's copy on write copies only when a register
 * changes); not exported to applications, which use {@link updateInPlace}. The ordinary call must
 * return either the aggregate it was given, unchanged, or one sharing nothing `update` changes
 * with it (as `updateInPlace`'s copy then update does).
 */
export function withInPlaceParts<K, V, VA>(aggregator: Aggregator<K, V, VA>, parts: InPlaceAggregation<K, V, VA>): Aggregator<K, V, VA> {
  Object.defineProperty(aggregator, inPlaceParts, { value: parts });
  return aggregator;
}
