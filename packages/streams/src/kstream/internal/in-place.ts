/**
 * How an aggregation folds records into an aggregate it may change in place (see
 * `kstream/in-place-aggregator.ts`): reading the parts `updateInPlace` left on an aggregator.
 */
import type { Aggregator, Initializer } from '../functions.js';
import type { InPlaceAggregation } from '../in-place-aggregator.js';
import type { Fold } from './ops/stream-aggregate.js';

/** The parts `updateInPlace` keeps on its aggregator, under this symbol. */
const inPlaceParts = Symbol.for('tributary.inPlaceAggregation');

/** The in-place parts of an aggregator made by `updateInPlace`; `undefined` for any other. */
function inPlaceAggregationOf<K, V, VA>(aggregator: Aggregator<K, V, VA>): InPlaceAggregation<K, V, VA> | undefined {
  return (aggregator as unknown as { readonly [inPlaceParts]?: InPlaceAggregation<K, V, VA> })[inPlaceParts];
}

/**
 * The fold that changes the aggregate it is given (the processor passes only aggregates nobody
 * else holds), for an aggregator with in-place parts; `undefined` for any other. Its ordinary
 * call stays the fold for aggregates others may hold: it returns either the aggregate unchanged
 * (which the processor then does not claim) or one sharing nothing with it.
 */
export function inPlaceFold<K, V, VA>(initializer: Initializer<VA>, aggregator: Aggregator<K, V, VA>): Fold<K, V, VA> | undefined {
  const parts = inPlaceAggregationOf(aggregator);
  if (parts === undefined) return undefined;
  const update = parts.update;
  return (key, value, aggregate) => update(key, value, aggregate === undefined ? initializer() : aggregate);
}
