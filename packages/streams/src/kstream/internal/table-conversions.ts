/**
 * How a table makes the stream and the grouped table its `toStream` and `groupBy` return, kept per
 * topology. `StreamsBuilder` registers them when it creates its topology, so `ktable-impl.ts`
 * needs no value import of `kstream-impl.ts` or `kgrouped-table-impl.ts`: both import the table
 * class, and importing them back would be an import cycle (DEVELOPERS.md, "Lint").
 */
import { TopologyError } from '../../errors/streams-error.js';
import type { InternalTopologyBuilder } from '../../processor/internal/topology-builder.js';
import type { KeyValue } from '../../state/key-value-store.js';
import type { KeyValueMapper } from '../functions.js';
import type { Grouped } from '../grouped.js';
import type { KGroupedTableImpl } from './kgrouped-table-impl.js';
import type { KStreamImpl, KStreamNode } from './kstream-impl.js';
import type { KTableImpl } from './ktable-impl.js';

/** The constructors a table's conversions call. */
export interface TableConversions {
  /** The stream of a node `toStream` added. */
  stream<K, V>(topology: InternalTopologyBuilder, node: KStreamNode<K, V>): KStreamImpl<K, V>;
  /** The grouping of `table` by `selector`'s new keys and values. */
  groupedTable<K, V, KR, VR>(table: KTableImpl<K, V>, selector: KeyValueMapper<K, V, KeyValue<KR, VR>>, grouped: Grouped<KR, VR>): KGroupedTableImpl<KR, VR>;
}

const conversionsByTopology = new WeakMap<InternalTopologyBuilder, TableConversions>();

/** Called once per topology, by the `StreamsBuilder` that creates it. */
export function registerTableConversions(topology: InternalTopologyBuilder, conversions: TableConversions): void {
  conversionsByTopology.set(topology, conversions);
}

/** The conversions of the builder that created `topology`. */
export function tableConversions(topology: InternalTopologyBuilder): TableConversions {
  const conversions = conversionsByTopology.get(topology);
  // Unreachable from the API: every table comes from a StreamsBuilder, which registers its topology.
  if (conversions === undefined) throw new TopologyError('This KTable belongs to a topology no StreamsBuilder created; build tables with a StreamsBuilder.');
  return conversions;
}
