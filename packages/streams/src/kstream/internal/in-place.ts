/**
 * How an aggregation folds records into an aggregate it may change in place (see
 * `kstream/in-place-aggregator.ts`): reading the parts `updateInPlace` left on an aggregator, and
 * building the two folds an aggregation processor chooses between per record.
 */
import type { Aggregator, Initializer } from '../functions.js';
import type { InPlaceAggregation } from '../in-place-aggregator.js';
import type { Fold } from './ops/stream-aggregate.js';

/** The parts `updateInPlace` keeps on its aggregator, under this symbol. */
const inPlaceParts = Symbol.for('tributary.inPlaceAggregation');

/** The in-place parts of an aggregator made by `updateInPlace`; `undefined` for any other. */
export function inPlaceAggregationOf<K, V, VA>(aggregator: Aggregator<K, V, VA>): InPlaceAggregation<K, V, VA> | undefined {
  return (aggregator as unknown as { readonly [inPlaceParts]?: InPlaceAggregation<K, V, VA> })[inPlaceParts];
}

/** The folds of an in-place aggregator. */
export interface InPlaceFolds<K, V, VA> {
  /**
   * For an aggregate others may hold: updates a copy (or a new aggregate), so its result is the
   * aggregation's alone whatever the aggregator's ordinary call returns.
   */
  readonly fold: Fold<K, V, VA>;
  /** For an aggregate the store holds for the aggregation alone: changes it. */
  readonly foldInPlace: Fold<K, V, VA>;
}

/** The folds of an aggregator made by `updateInPlace` (or a Tributary one with in-place parts); `undefined` for any other. */
export function inPlaceFolds<K, V, VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>): InPlaceFolds<K, V, VA> | undefined {
  const parts = inPlaceAggregationOf(aggregator);
  if (parts === undefined) return undefined;
  const { update, copy } = parts;
  return {
    fold: (key, value, aggregate) => update(key, value, aggregate === undefined ? initializer() : copy(aggregate)),
    foldInPlace: (key, value, aggregate) => update(key, value, aggregate === undefined ? initializer() : aggregate),
  };
}
