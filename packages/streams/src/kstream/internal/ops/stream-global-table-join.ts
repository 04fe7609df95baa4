/**
 * Stream-global-table joins (inner, left; Kafka's `KStreamGlobalKTableJoin`): each stream record
 * looks up the global table's row for the key its key selector computes. The global table holds
 * every partition, so the stream needs no repartition and no co-partitioning. As in Kafka Streams
 * 3.9, a record whose selector returns null is dropped, except that a left join keeps a record
 * whose own key is null (KIP-962): it joins the row its selected key finds, or null.
 */
import { TopologyError } from '../../../errors/streams-error.js';
import type { KeyValueMapper, ValueJoiner } from '../../functions.js';
import type { KStream } from '../../kstream.js';
import type { Named } from '../../named.js';
import type { KStreamImpl } from '../kstream-impl.js';
import type { KTableValueGetterSupplier } from '../ktable-value-getter.js';
import { streamTableLookupProcessor } from './stream-table-join.js';

/** Adds a stream-global-table join and returns the joined stream, keyed as the input stream. */
export function joinStreamToGlobalTable<K, V, GK, GV, VR>(
  stream: KStreamImpl<K, V>,
  getterSupplier: KTableValueGetterSupplier<GK, GV>,
  keySelector: KeyValueMapper<K, V, GK>,
  joiner: ValueJoiner<V, GV | null, VR>,
  named: Named | undefined,
  leftJoin: boolean,
): KStream<K, VR> {
  const operator = leftJoin ? 'leftJoin' : 'join';
  if (typeof keySelector !== 'function') throw new TopologyError(`${operator}() with a global table takes a key selector function as its second argument.`);
  if (typeof joiner !== 'function') throw new TopologyError(`${operator}() with a global table takes a ValueJoiner function as its third argument.`);
  const topology = stream.topology;
  // Kafka Streams names both kinds of global-table join KSTREAM-LEFTJOIN- (KStreamImpl.globalTableJoin).
  const name = topology.nameOr(named?.name, 'KSTREAM-LEFTJOIN-');
  const processor = streamTableLookupProcessor(getterSupplier, keySelector, joiner, leftJoin);
  // The key is unchanged, so the stream keeps whatever partitioning it had (or lacked).
  const result = stream.addNamedChild<K, VR>(name, processor, stream.keySerde, undefined, stream.repartitionRequired);
  if (getterSupplier.storeNames.length > 0) topology.connectProcessorAndStateStores([name], getterSupplier.storeNames);
  // A left join keeps null keys (KIP-962), so a repartition above it keeps them too, as in Kafka Streams.
  if (leftJoin) topology.markNullKeyJoin(name);
  return result;
}
